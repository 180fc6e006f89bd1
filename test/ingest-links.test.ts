/**
 * Symbolic links in local folders: followed and listed under the link's own path, dangling links and
 * loops reported without hanging, the allow-list applied to where a link leads. Real files, real CLI.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, stat, symlink, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createApi } from '../lib/api/index.ts';
import { openCatalog } from '../lib/catalog/open.ts';
import { ingestObject } from '../lib/ingest/index.ts';
import { LocationRefusedError, openAllowed } from '../lib/source/allow.ts';
import { walkFiles } from '../lib/source/walk.ts';
import { centreTile } from './api-harness.ts';
import { fixturePath } from './helpers.ts';

const bin = new URL('../bin/taoguan.mjs', import.meta.url).pathname;
const S2 = 'u16-4band-deflate-p2-meta-utm50.tif', MASKED = 'u8-deflate-mask-4326.tif';
const NAMES = '(?:[^/]+/)*(?<sensor>[^/_]+)_(?<date>[^/_]+)_(?<band>[^/_]+)\\.tif';

/** The CLI in `cwd`; a non-zero exit resolves too (its code, stdout and stderr are what is asserted). */
const taoguan = (cwd: string, ...args: string[]) =>
  promisify(execFile)(process.execPath, [bin, ...args], { cwd }).then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => e);

async function catalogAt(dir: string, name: string): Promise<string> {
  const uri = `sqlite:${join(dir, name)}`;
  const made = await taoguan(dir, 'catalog', 'create', uri, '--keys', 'sensor,date,band');
  assert.equal(made.code, 0, made.stderr);
  return uri;
}

const locations = async (dir: string, uri: string) =>
  (JSON.parse((await taoguan(dir, 'catalog', 'list', uri, '--json')).stdout) as { location: string }[]).map((r) => r.location).sort();

describe('symbolic links', () => {
  let dir = '';
  const at = (p: string) => join(dir, p);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taoguan-links-'));
    for (const d of ['store/scenes', 'outside', 'links/deep', 'allowed']) await mkdir(at(d), { recursive: true });
    await copyFile(fixturePath(S2), at('store/a.tif'));
    await copyFile(fixturePath(MASKED), at('store/b.tif'));
    await copyFile(fixturePath(S2), at('store/scenes/S2_d2_B04.tif'));
    await copyFile(fixturePath(S2), at('outside/secret.tif'));
    await copyFile(fixturePath(S2), at('allowed/S2_d1_B04.tif'));
    await symlink('../store/a.tif', at('links/S2_d1_B04.tif')); // a link to a file
    await symlink('../store/scenes', at('links/more')); // a link to a folder of files
    await symlink('../gone.tif', at('links/S2_d3_B04.tif')); // dangling
    await symlink('loop.tif', at('links/S2_d4_B04.tif')); // a loop of links
    await symlink('S2_d4_B04.tif', at('links/loop.tif'));
    await symlink('..', at('links/deep/up')); // a folder link back to where the walk came from
    await symlink('../../links', at('store/scenes/back')); // … and one through another folder
    await symlink('../outside/secret.tif', at('allowed/S2_d2_B04.tif')); // inside the allowed folder, pointing out of it
    await symlink('S2_d1_B04.tif', at('allowed/S2_d3_B04.tif')); // inside, pointing inside
    await symlink('allowed', at('via-link'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('ingest follows links to files and folders, reports the dangling link and the loop, and does not walk in circles', { timeout: 60_000 }, async () => {
    const uri = await catalogAt(dir, 'links.db');
    const res = await taoguan(dir, 'ingest', 'links/', '--regex', NAMES, '-c', uri);
    assert.equal(res.code, 1, 'the two broken links fail the batch');
    assert.match(res.stdout, /4 object\(s\): 2 inserted, 0 updated, 0 unchanged, 2 failed/);
    assert.match(res.stderr, /failed: links\/S2_d3_B04\.tif: a symbolic link to \.\.\/gone\.tif, which does not exist \(a dangling link\)/);
    assert.match(res.stderr, /failed: links\/S2_d4_B04\.tif: a loop of symbolic links, which never reaches a file/);
    assert.match(res.stderr, /skipped links\/deep\/up: a link back to .*\/links, a folder it is inside/);
    assert.match(res.stderr, /skipped links\/more\/back: a link back to .*\/links, a folder it is inside/);
    // Stored under the links' own (absolute) paths, not their targets'.
    assert.deepEqual(await locations(dir, uri), [at('links/S2_d1_B04.tif'), at('links/more/S2_d2_B04.tif')]);
  });

  it("a re-pointed link reads as a changed object (within a second) until re-ingested, and the row keeps the link's path", async () => {
    await symlink('store/a.tif', at('latest.tif'));
    const catalog = await openCatalog(`sqlite:${at('latest.db')}`);
    try {
      await catalog.create([{ name: 'sensor' }, { name: 'date' }, { name: 'band' }]);
      const keys = ['S2', 'latest', 'B04'];
      assert.equal(await ingestObject(catalog, at('latest.tif'), keys), 'inserted');
      const api = createApi({ catalog, tileCacheBytes: 0, blockCacheBytes: 0 }); // every tile read from the file
      const at12 = centreTile((await catalog.get(keys))!.metadata.bounds);
      const tile = () => api.fetch(new Request(`http://x/singleband/S2/latest/B04/${at12}.png`));
      assert.equal((await tile()).status, 200);
      await unlink(at('latest.tif'));
      await symlink('store/b.tif', at('latest.tif'));
      // createApi's file sources trust a stat of the path for up to 1 s (lib/api/index.ts, for fresh
      // tiles' CPU); meanwhile the version still open answers, consistent with the row. Past it:
      await new Promise((r) => setTimeout(r, 1100));
      const stale = await tile();
      assert.equal(stale.status, 502);
      assert.match(await stale.text(), /changed since it was ingested.*re-ingest/);
      assert.equal(await ingestObject(catalog, at('latest.tif'), keys), 'updated');
      const row = (await catalog.get(keys))!;
      assert.equal(row.location, at('latest.tif'));
      assert.equal(row.size, (await stat(at('store/b.tif'))).size);
      assert.equal(await ingestObject(catalog, at('latest.tif'), keys), 'unchanged');
    } finally {
      await catalog.close();
    }
  });

  it('--allowed-prefix judges a link by its target: a link inside the allowed folder pointing out of it is refused', async () => {
    const uri = await catalogAt(dir, 'allowed.db');
    const res = await taoguan(dir, 'ingest', 'allowed/{sensor}_{date}_{band}.tif', '--allowed-prefix', 'allowed', '-c', uri);
    assert.equal(res.code, 1);
    assert.match(res.stdout, /3 object\(s\): 2 inserted, 0 updated, 0 unchanged, 1 failed/);
    assert.match(res.stderr, new RegExp(`failed: allowed/S2_d2_B04\\.tif: ${at('allowed/S2_d2_B04.tif')} leads to ${at('outside/secret.tif')}, which is outside the allowed prefixes ${at('allowed/')}`));
    assert.deepEqual(await locations(dir, uri), [at('allowed/S2_d1_B04.tif'), at('allowed/S2_d3_B04.tif')]);

    // A prefix given through a link admits what is really in its folder.
    const via = await catalogAt(dir, 'via.db');
    const viaRes = await taoguan(dir, 'ingest', 'via-link/{sensor}_{date}_{band}.tif', '--allowed-prefix', 'via-link/', '-c', via);
    assert.match(viaRes.stdout, /2 inserted, 0 updated, 0 unchanged, 1 failed/);

    const bad = await taoguan(dir, 'ingest', 'allowed/{sensor}_{date}_{band}.tif', '--allowed-prefix', 'nowhere/', '-c', uri);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--allowed-prefix nowhere\/: an allowed local prefix must be an existing folder/);
  });

  it('a walk is bounded in folders too: links reaching one folder by exponentially many paths stop with an error', { timeout: 60_000 }, async () => {
    // level0 … level11, each with two links to the next: 4,096 paths to the last, no loop, no file.
    for (let i = 0; i < 12; i++) await mkdir(at(`dag/level${i}`), { recursive: true });
    for (let i = 0; i < 11; i++) for (const name of ['a', 'b']) await symlink(`../level${i + 1}`, at(`dag/level${i}/${name}`));
    await assert.rejects(walkFiles(at('dag/level0'), { max: 1000 }), /more than 1000 folders \(through symbolic links\)/);
  });

  it('the allow-list is checked at every open: a link re-pointed outside after it was checked is refused', async () => {
    await symlink('S2_d1_B04.tif', at('allowed/moving.tif'));
    const source = openAllowed(at('allowed/moving.tif'), {}, { prefixes: [`${at('allowed')}/`] });
    try {
      await source.head();
      await unlink(at('allowed/moving.tif'));
      await symlink('../outside/secret.tif', at('allowed/moving.tif'));
      await assert.rejects(source.read(0, 16), (e: Error) => e instanceof LocationRefusedError && /leads to .*outside\/secret\.tif/.test(e.message));
      await assert.rejects(source.head(), LocationRefusedError);
    } finally {
      await source.close?.();
    }
  });
});
