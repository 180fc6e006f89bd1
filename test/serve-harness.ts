/** What the `taoguan serve` tests share: a SQLite catalog of one fixture COG (key `name`, value `beijing`) in a temp dir. */
import { copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCatalog } from '../lib/catalog/open.ts';
import { ingestObject } from '../lib/ingest/ingest.ts';
import { fixturePath } from './helpers.ts';

export const SERVE_FIXTURE = 'u16-4band-deflate-p2-meta-utm50.tif';

export async function beijingCatalog(prefix: string): Promise<{ dir: string; uri: string }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await copyFile(fixturePath(SERVE_FIXTURE), join(dir, 'b.tif'));
  const uri = `sqlite:${join(dir, 'catalog.db')}`;
  const catalog = await openCatalog(uri);
  await catalog.create([{ name: 'name' }]);
  await ingestObject(catalog, join(dir, 'b.tif'), ['beijing']);
  await catalog.close();
  return { dir, uri };
}
