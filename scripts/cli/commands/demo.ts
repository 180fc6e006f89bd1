import { copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { openCatalog } from '../../../lib/catalog/index.ts';
import { CatalogError } from '../../../lib/catalog/index.ts';
import { ingestObject } from '../../../lib/ingest/index.ts';
import { startServer } from './serve.ts';

const SAMPLE = new URL('../../../data/sample/jacksboro-dem.tif', import.meta.url).pathname;

/**
 * The README's first command: the shipped sample DEM ingested into a SQLite catalog in a work
 * folder, served, with the URLs to try printed. Running it again reuses the folder.
 */
export async function demoCommand(opts: { dir: string; host: string; port: number }): Promise<void> {
  const dir = resolve(opts.dir);
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'jacksboro-dem.tif');
  await copyFile(SAMPLE, file);
  const uri = `sqlite:${join(dir, 'catalog.db')}`;
  const catalog = await openCatalog(uri);
  try {
    await catalog.create([{ name: 'region', description: 'where' }, { name: 'product', description: 'what the raster holds' }]);
  } catch (e) {
    if (!(e instanceof CatalogError && e.code === 'exists')) throw e;
  }
  const result = await ingestObject(catalog, file, ['jacksboro', 'dem']);
  await catalog.close();
  console.log(`demo: ${file} ${result} in ${uri}`);
  await startServer({ catalog: uri, host: opts.host, port: opts.port, quiet: false }, (url) => {
    const q = 'colormap=terrain&stretch_range=["p2","p98"]';
    console.log(`
taoguan demo is running (Ctrl-C to stop). Try:
  page      ${url}/
  tile      ${url}/singleband/jacksboro/dem/12/1089/1600.png?${q}
  TileJSON  ${url}/singleband/jacksboro/dem/tilejson.json?${q}
  metadata  ${url}/metadata/jacksboro/dem
  API docs  ${url}/apidoc
`);
  });
}
