/**
 * Local files in the functions: a catalog row or a location naming a path (bare or file:) is read
 * only where the deployment lists a local folder in TAOGUAN_ALLOWED_PREFIXES, judged by where its
 * links really lead; `serve` and the CLI (no policy, or one without localFiles: false) read files as
 * before. Over real files and symbolic links in a temp folder. (The built tiles bundle answering a
 * 502 for such a row: test/functions-bundles.test.ts.)
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ConfigError, tilesConfig } from '../functions/config.ts';
import { checkLocation, LocationRefusedError, openAllowed } from '../lib/source/allow.ts';
import { fixturePath } from './helpers.ts';

const refused = (re: RegExp) => (e: unknown) => e instanceof LocationRefusedError && re.test(e.message);

describe('local files in the functions', () => {
  let dir = '', cogs = '', other = '';
  before(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'taoguan-local-')));
    cogs = join(dir, 'cogs');
    other = join(dir, 'other');
    await mkdir(cogs);
    await mkdir(other);
    await copyFile(fixturePath('u8-deflate-mask-4326.tif'), join(cogs, 'a.tif'));
    await copyFile(fixturePath('u8-deflate-mask-4326.tif'), join(other, 'b.tif'));
    // a link inside the allowed folder to a file outside it, and the folder reached through a link
    await symlink(join(other, 'b.tif'), join(cogs, 'escape.tif'));
    await symlink(cogs, join(dir, 'cogs-link'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const head = (location: string, policy?: Parameters<typeof openAllowed>[2]) => openAllowed(location, {}, policy).head();
  const env = (prefixes?: string) => ({ TAOGUAN_CATALOG: 'sqlite:/tmp/x.db', ...(prefixes ? { TAOGUAN_ALLOWED_PREFIXES: prefixes } : {}) });

  it('with no local folder listed, a function refuses every local path, with or without other lists', async () => {
    for (const policy of [tilesConfig(env()).policy, tilesConfig({ ...env(), TAOGUAN_ALLOWED_BUCKETS: 'cogs' }).policy, tilesConfig(env('oss://b/cogs/')).policy]) {
      for (const location of [join(cogs, 'a.tif'), pathToFileURL(join(cogs, 'a.tif')).href]) {
        await assert.rejects(head(location, policy), refused(/is outside the allowed (locations: this deployment reads local files only under an allowed prefix such as \/mnt\/cogs\/|buckets cogs|prefixes oss:\/\/b\/cogs\/)/), location);
      }
    }
    // object-store locations are judged as before
    checkLocation(tilesConfig(env()).policy, 's3://any/a.tif');
  });

  it('a listed folder admits the files under it, by bare path or file: URL, and through a link to the folder; never a link leading out', async () => {
    const policy = tilesConfig(env(`${cogs}/`)).policy;
    assert.deepEqual(policy.prefixes, [`${cogs}/`]);
    for (const location of [join(cogs, 'a.tif'), pathToFileURL(join(cogs, 'a.tif')).href, join(dir, 'cogs-link', 'a.tif')]) assert.ok((await head(location, policy)).size > 0, location);
    await assert.rejects(head(join(cogs, 'escape.tif'), policy), refused(/escape\.tif leads to .*other\/b\.tif, which is outside the allowed prefixes/));
    await assert.rejects(head(join(other, 'b.tif'), policy), refused(/is outside the allowed prefixes/));
    // the folder given through a link, or as a file: URL, is kept as its real path
    assert.deepEqual(tilesConfig(env(`${join(dir, 'cogs-link')}/,${pathToFileURL(other).href}/`)).policy.prefixes, [`${cogs}/`, `${other}/`]);
  });

  it('a listed local folder must be an absolute, existing folder ending in "/"', () => {
    for (const bad of ['cogs/', cogs, `${join(dir, 'missing')}/`, `${join(cogs, 'a.tif')}/`]) {
      assert.throws(() => tilesConfig(env(bad)), (e: unknown) => e instanceof ConfigError && e.message.includes(`TAOGUAN_ALLOWED_PREFIXES=${bad}`), bad);
    }
  });

  it('serve and the CLI (no policy, or no localFiles: false) read local files as before', async () => {
    assert.ok((await head(join(cogs, 'a.tif'))).size > 0);
    assert.ok((await head(join(other, 'b.tif'), {})).size > 0);
  });
});
