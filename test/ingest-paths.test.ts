/**
 * Relative local paths: ingest run in the data folder, `serve` run from anywhere else (a systemd
 * unit's WorkingDirectory). Real CLI, real files, real serve, PNG pixels compared.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { openCatalog } from '../lib/catalog/open.ts';
import { ingestObject } from '../lib/ingest/index.ts';
import { decodePng } from '../lib/render/png-decode.ts';
import { openSource } from '../lib/source/location.ts';
import { readHeader } from '../lib/tiff/parse.ts';
import { renderTile } from '../lib/pipeline/tile.ts';
import { centreTile } from './api-harness.ts';
import { fixturePath, startServe } from './helpers.ts';

const run = promisify(execFile);
const bin = new URL('../bin/taoguan.mjs', import.meta.url).pathname;
const S2 = 'u16-4band-deflate-p2-meta-utm50.tif', MASKED = 'u8-deflate-mask-4326.tif';
const taoguan = (cwd: string, ...args: string[]) => run(process.execPath, [bin, ...args], { cwd });

/** The same tile rendered straight from the fixture, no catalog, no working directory involved. */
async function expectedTile(fixture: string, zxy: string): Promise<Uint8Array> {
  const [z, x, y] = zxy.split('/').map(Number);
  const source = openSource(fixturePath(fixture));
  const { header, info } = await readHeader(source);
  const tile = await renderTile({ z, x, y, inputs: [{ dataset: { header, source, etag: info.etag } }], style: { kind: 'singleband', stretch: [0, 3000] } });
  await source.close?.();
  return decodePng(tile.bytes).rgba;
}

describe('relative local paths', () => {
  let dir = '';
  let uri = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taoguan-paths-'));
    await mkdir(join(dir, 'cogs'));
    await mkdir(join(dir, 'one'));
    await copyFile(fixturePath(S2), join(dir, 'cogs/S2_d1_B04.tif'));
    await copyFile(fixturePath(MASKED), join(dir, 'one/masked.tif'));
    uri = `sqlite:${join(dir, 'catalog.db')}`;
    await taoguan(dir, 'catalog', 'create', uri, '--keys', 'sensor,date,band');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('ingest of cogs/{…} and of --key a/relative.tif in the data folder; serve from / answers their tiles with the right pixels', { timeout: 120_000 }, async () => {
    const batch = await taoguan(dir, 'ingest', 'cogs/{sensor}_{date}_{band}.tif', '-c', uri);
    assert.match(batch.stdout, /1 object\(s\): 1 inserted/);
    const one = await taoguan(dir, 'ingest', 'one/masked.tif', '-c', uri, '--key', 'sensor=L8', '--key', 'date=d2', '--key', 'band=B01');
    assert.match(one.stdout, /inserted: one\/masked\.tif/);
    const listed = JSON.parse((await taoguan('/', 'catalog', 'list', uri, '--json')).stdout) as { location: string }[];
    assert.deepEqual(listed.map((r) => r.location), [join(dir, 'one/masked.tif'), join(dir, 'cogs/S2_d1_B04.tif')]);

    const { child, url, out } = await startServe(['-c', uri, '--port', '0', '--workers', '1'], '/');
    try {
      for (const [keys, fixture] of [['S2/d1/B04', S2], ['L8/d2/B01', MASKED]]) {
        const md = await (await fetch(`${url}/metadata/${keys}`)).json() as { bounds: number[] };
        const t = centreTile(md.bounds);
        const res = await fetch(`${url}/singleband/${keys}/${t}.png?stretch_range=[0,3000]`);
        assert.equal(res.status, 200, `${keys}: ${await res.clone().text()}`);
        const got = decodePng(new Uint8Array(await res.arrayBuffer())).rgba;
        const want = await expectedTile(fixture, t);
        let opaque = 0;
        for (let i = 3; i < want.length; i += 4) if (want[i]) opaque++;
        assert.ok(opaque > 10_000, `${keys}: the tile has data (${opaque} opaque pixels)`);
        assert.deepEqual(got, want, `${keys}: the served tile's pixels`);
      }
      assert.doesNotMatch(out.join(''), /relative local paths/, 'no warning for a catalog of absolute paths');
    } finally {
      child.kill('SIGTERM');
    }
    // Spelt ./cogs/…, the pattern finds the same files, stored under the same absolute paths.
    assert.match((await taoguan(dir, 'ingest', './cogs/{sensor}_{date}_{band}.tif', '-c', uri)).stdout, /1 object\(s\): 0 inserted, 0 updated, 1 unchanged/);
  });

  it('serve warns naming rows an older taoguan stored relative; re-running the ingest in the data folder rewrites them without re-reading', { timeout: 120_000 }, async () => {
    const legacy = `sqlite:${join(dir, 'legacy.db')}`;
    const catalog = await openCatalog(legacy);
    await catalog.create([{ name: 'sensor' }, { name: 'date' }, { name: 'band' }]);
    await ingestObject(catalog, join(dir, 'cogs/S2_d1_B04.tif'), ['S2', 'd1', 'B04']);
    const record = (await catalog.get(['S2', 'd1', 'B04']))!;
    // As an older taoguan wrote it: the path as the pattern listed it. A marker in the metadata
    // tells a rewritten row (kept) from a re-read one (recomputed).
    await catalog.put({ ...record, location: 'cogs/S2_d1_B04.tif', metadata: { ...record.metadata, extra: { carried: true } } });
    await catalog.close();

    const { child, url, out } = await startServe(['-c', legacy, '--port', '0', '--workers', '1'], '/');
    try {
      const res = await fetch(`${url}/singleband/S2/d1/B04/${centreTile(record.metadata.bounds)}.png`);
      assert.equal(res.status, 502, 'served from /, the relative row names no file');
      await new Promise((r) => setTimeout(r, 200));
      const log = out.join('');
      assert.match(log, /1 dataset\(s\) have relative local paths, read from this server's working directory \/:\n {2}S2\/d1\/B04 → cogs\/S2_d1_B04\.tif\n/);
      assert.match(log, /Re-run the same `taoguan ingest` from the folder it ran in/);
      assert.match(log, /cogs\/S2_d1_B04\.tif: no such file \(a relative path, looked up from the working directory \/\)/, 'the request log says why');
    } finally {
      child.kill('SIGTERM');
    }

    const again = await taoguan(dir, 'ingest', 'cogs/{sensor}_{date}_{band}.tif', '-c', legacy);
    assert.match(again.stdout, /1 object\(s\): 0 inserted, 1 updated, 0 unchanged, 0 failed/);
    const after = await openCatalog(legacy);
    const fixed = (await after.get(['S2', 'd1', 'B04']))!;
    await after.close();
    assert.equal(fixed.location, join(dir, 'cogs/S2_d1_B04.tif'));
    assert.deepEqual(fixed.metadata.extra, { carried: true }, 'the row was rewritten, not re-read');
    assert.match((await taoguan(dir, 'ingest', 'cogs/{sensor}_{date}_{band}.tif', '-c', legacy)).stdout, /0 updated, 1 unchanged/);
  });
});
