/**
 * `taoguan serve` and the tiles function on each new catalog, for real: datasets ingested into the
 * PostgreSQL server on this machine, that catalog published to a SQLite file served by a local HTTP
 * range server, and both served — by `serve` (its own bundle, its own process) and by the tiles
 * function's entry over the Aliyun adapter (in a fresh process each, as a cold instance). Every
 * route must give the same tile, pixel for pixel, as the SQLite catalog the API tests use.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { openCatalog } from '../lib/catalog/index.ts';
import { publishCatalog } from '../lib/catalog/stores/publish.ts';
import { decodePng } from '../lib/render/index.ts';
import { ingestObject } from '../lib/ingest/index.ts';
import { build } from '../scripts/tools/build.ts';
import { DATASETS, Origin, tileAt } from './api-harness.ts';
import { startServe } from './helpers.ts';

const origin = new Origin();
const prefix = `tgserve${process.pid}_`;
const PG = `postgres://postgres@127.0.0.1:5432/test?prefix=${prefix}`;
let dir = '';
let remote = '';
let local = '';
let tile = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taoguan-serve-catalogs-'));
  await origin.start();
  const catalog = await openCatalog(PG, { cache: false });
  await catalog.create([{ name: 'sensor' }, { name: 'date' }, { name: 'band' }]);
  for (const d of DATASETS.slice(0, 2)) await ingestObject(catalog, await origin.put(d.path, d.fixture), d.keys);
  const [w, s, e, n] = (await catalog.get(DATASETS[0].keys))!.metadata.bounds;
  const [x, y] = tileAt((w + e) / 2, (s + n) / 2, 12);
  tile = `/singleband/${DATASETS[0].keys.join('/')}/12/${x}/${y}.png?colormap=viridis&stretch_range=[0,3000]`;
  local = join(dir, 'published.sqlite');
  await publishCatalog(catalog, local);
  await catalog.close();
  origin.objects.set('/catalogs/nightly.sqlite', { bytes: readFileSync(local), etag: '"nightly-1"' });
  remote = `${origin.url}/catalogs/nightly.sqlite`;
});

after(async () => {
  await origin.stop();
  const admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
  await admin.connect();
  await admin.query(`DROP TABLE IF EXISTS "${prefix}datasets", "${prefix}meta"`);
  await admin.end();
  await rm(dir, { recursive: true, force: true });
});

/** The tile's PNG from `serve -c URI`. */
async function served(uri: string): Promise<Buffer> {
  const { child, url } = await startServe(['-c', uri, '--port', '0', '--workers', '1', '--quiet']);
  try {
    const res = await fetch(`${url}${tile}`);
    assert.equal(res.status, 200, await res.clone().text());
    return Buffer.from(await res.arrayBuffer());
  } finally {
    child.kill('SIGTERM');
  }
}

/** The tile's PNG from the tiles function (Aliyun FC 3.0 event), in a fresh process with TAOGUAN_CATALOG=URI. */
async function fromFunction(uri: string): Promise<Buffer> {
  const script = `const [{ tilesEntry }, { aliyunFc }] = await Promise.all([import('./functions/tiles.ts'), import('./adapters/aliyun-fc.ts')]);
    const path = ${JSON.stringify(tile.split('?')[0])};
    const event = { version: 'v1', rawPath: path, headers: {}, queryParameters: ${JSON.stringify(Object.fromEntries(new URLSearchParams(tile.split('?')[1])))}, requestContext: { http: { method: 'GET', path } } };
    const r = await tilesEntry(aliyunFc)(JSON.stringify(event));
    process.stdout.write(JSON.stringify({ statusCode: r.statusCode, body: r.body, isBase64Encoded: r.isBase64Encoded }));
    process.exit(0);`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: new URL('..', import.meta.url).pathname, maxBuffer: 16 << 20,
    env: { ...process.env, TAOGUAN_CATALOG: uri, TAOGUAN_ALLOW_PRIVATE_HOSTS: '1' },
  });
  const r = JSON.parse(stdout) as { statusCode: number; body: string; isBase64Encoded: boolean };
  assert.equal(r.statusCode, 200, r.body.slice(0, 300));
  return Buffer.from(r.body, r.isBase64Encoded ? 'base64' : 'utf8');
}

/** The same from the built Aliyun tiles bundle (its zip's index.js), required in a fresh process. */
async function fromBundle(uri: string): Promise<Buffer> {
  const [built] = (await build({ outDir: join(dir, 'dist'), providers: ['aliyun'] })).filter((b) => b.name === 'tiles');
  const path = tile.split('?')[0];
  const event = { version: 'v1', rawPath: path, headers: {}, queryParameters: Object.fromEntries(new URLSearchParams(tile.split('?')[1])), requestContext: { http: { method: 'GET', path } } };
  const script = `require(${JSON.stringify(join(built.dir, 'index.js'))}).handler(Buffer.from(process.argv[1]), {})
    .then((r) => process.stdout.write(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); })`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script, JSON.stringify(event)], {
    cwd: tmpdir(), maxBuffer: 16 << 20, env: { PATH: process.env.PATH ?? '', TAOGUAN_CATALOG: uri, TAOGUAN_ALLOW_PRIVATE_HOSTS: '1' },
  });
  const r = JSON.parse(stdout) as { statusCode: number; body: string; isBase64Encoded: boolean };
  assert.equal(r.statusCode, 200, r.body.slice(0, 300));
  return Buffer.from(r.body, r.isBase64Encoded ? 'base64' : 'utf8');
}

describe('serve and the tiles function on PostgreSQL and on a remote SQLite file', () => {
  it('give the same tile as a local SQLite catalog, pixel for pixel', async () => {
    const expected = await served(`sqlite:${local}?mode=ro`);
    const png = decodePng(expected);
    assert.equal(png.width, 256);
    assert.ok(png.rgba.some((v, i) => i % 4 === 3 && v === 255), 'real pixels, not an empty tile');
    for (const [what, got] of [
      ['serve, postgres', await served(PG)],
      ['serve, remote sqlite', await served(remote)],
      ['tiles function, postgres', await fromFunction(PG)],
      ['tiles function, remote sqlite', await fromFunction(remote)],
      // the bundle finds wa-sqlite's WebAssembly beside its index.js, where the build copies it
      ['built tiles bundle, remote sqlite', await fromBundle(remote)],
    ] as const) {
      assert.deepEqual(decodePng(got).rgba, png.rgba, what);
    }
    assert.ok(origin.requests.some((r) => r.path === '/catalogs/nightly.sqlite' && r.range), 'the remote catalog was read by ranges');
  });
});
