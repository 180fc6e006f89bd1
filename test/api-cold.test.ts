/**
 * The promise of the catalog design, end to end over real sockets: a tile never costs a header
 * request at the origin — not even the first after a cold start (a new createApi and a new catalog
 * instance on the same SQLite file) — only the coalesced ranges of the blocks it needs; and once a
 * dataset is warm, tiles cost no catalog query at all. And the first tile costs ONE catalog round
 * trip (key names and record together, Catalog.lookup), counted where the store is talked to: mysql2's
 * commands on the wire for MySQL (MariaDB on 127.0.0.1:3306), requests reaching the TableStore fake,
 * store calls for SQLite (in process, no round trip to count).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import { createApi, type RequestLog } from '../lib/api/index.ts';
import { CachedCatalog } from '../lib/catalog/cache.ts';
import type { Catalog, DatasetRecord } from '../lib/catalog/catalog.ts';
import { MysqlCatalog } from '../lib/catalog/stores/mysql.ts';
import { openCatalog } from '../lib/catalog/open.ts';
import { SqliteCatalog } from '../lib/catalog/stores/sqlite.ts';
import { TableStoreCatalog } from '../lib/catalog/stores/tablestore.ts';
import { ingestObject } from '../lib/ingest/index.ts';
import { planWindow } from '../lib/raster/window-plan.ts';
import { planRanges } from '../lib/source/coalesce.ts';
import { tileMatrixSet } from '../lib/grids/tms.ts';
import { planTileWarp as planTile } from '../lib/warp/index.ts';
import { DATASETS, makeCatalog, Origin, SpyCatalog, startApi, tileAt } from './api-harness.ts';
import { FakeTableStore } from './tablestore-fake.ts';

/** The byte ranges of the blocks a tile needs. */
function blockRanges(record: DatasetRecord, z: number, x: number, y: number): { offset: number; length: number }[] {
  const plan = planTile(record.header, tileMatrixSet('WebMercatorQuad'), z, x, y, { tileSize: 256 });
  if (!plan) return [];
  const blocks = planWindow(record.header, plan.level, plan.window, [0]).blocks.filter((b) => b.byteCount > 0 && b.offset > 0);
  return blocks.map((b) => ({ offset: b.offset, length: b.byteCount }));
}

/** The requests a tile should make: its blocks' byte ranges, coalesced as lib/source does. */
function expectedRanges(record: DatasetRecord, z: number, x: number, y: number): [number, number][] {
  return planRanges(blockRanges(record, z, x, y), 32 * 1024, 8 * 1024 * 1024).requests.map((r) => [r.offset, r.offset + r.length - 1]);
}

describe('tiles after a cold start', () => {
  const origin = new Origin();
  let catalog: Awaited<ReturnType<typeof makeCatalog>>;
  const records = new Map<string, DatasetRecord>();

  before(async () => {
    await origin.start();
    catalog = await makeCatalog(origin);
    const reader = await openCatalog(catalog.uri, { cache: false });
    for (const d of DATASETS) records.set(d.keys.join('/'), (await reader.get(d.keys))!);
    await reader.close();
  });
  after(async () => {
    await origin.stop();
    await catalog.close();
  });

  it('cost 0 header requests, only the coalesced data ranges, and 0 catalog queries once warm', async () => {
    const rec = records.get('S2/2024-01-15/B04')!;
    const [w, s, e, n] = rec.metadata.bounds;
    const tiles = [12, 13, 13, 14].map((z, i) => {
      const [x, y] = tileAt(w + ((e - w) * (i + 1)) / 5, s + ((n - s) * (i + 1)) / 5, z);
      return [z, x, y] as const;
    });
    const api = await startApi(catalog.uri);
    try {
      origin.reset();
      // the very first request of this process is a tile
      const [z, x, y] = tiles[0];
      const res = await fetch(`${api.url}/singleband/S2/2024-01-15/B04/${z}/${x}/${y}.png?colormap=viridis`);
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      const got = origin.requests.map((r) => `${r.method} ${r.path} ${r.range?.join('-')}`);
      const want = expectedRanges(rec, z, x, y).map(([a, b]) => `GET /s2/B04.tif ${a}-${b}`);
      assert.ok(want.length > 0);
      assert.deepEqual(got, want, 'exactly the coalesced block ranges, no HEAD, no header read');
      assert.equal(api.spy.queries, 1, 'cold: the key names and the record in one query');
      assert.equal(api.logs.at(-1)!.catalog, 1, 'and the request log says so');

      // warm: other tiles of the same dataset ask the catalog nothing and read no header
      const warm = api.spy.queries;
      for (const [tz, tx, ty] of tiles.slice(1)) {
        origin.reset();
        const r = await fetch(`${api.url}/singleband/S2/2024-01-15/B04/${tz}/${tx}/${ty}.png?colormap=viridis&stretch_range=["p2","p98"]`);
        assert.equal(r.status, 200);
        await r.arrayBuffer();
        // blocks already in the block cache are skipped, so a request coalesces a subset of the tile's blocks
        const blocks = blockRanges(rec, tz, tx, ty);
        const starts = new Set(blocks.map((b) => b.offset)), ends = new Set(blocks.map((b) => b.offset + b.length - 1));
        for (const req of origin.requests) {
          assert.equal(req.method, 'GET');
          assert.ok(req.range && req.range[0] >= rec.header.headerLength, `no header read: ${JSON.stringify(req)}`);
          assert.ok(starts.has(req.range[0]) && ends.has(req.range[1]), `from block to block of this tile: ${req.range}`);
        }
      }
      assert.equal(api.spy.queries, warm, 'warm: no catalog query');
      const log = api.logs.at(-1)!;
      assert.equal(log.catalog, 0);
      assert.equal(log.status, 200);
    } finally {
      await api.stop();
    }
  });

  it('hold for rgb and compute over several datasets, and for every dataset kind', async () => {
    const api = await startApi(catalog.uri);
    try {
      origin.reset();
      const rec = records.get('S2/2024-01-15/B04')!;
      const [w, s, e, n] = rec.metadata.bounds;
      const [x, y] = tileAt((w + e) / 2, (s + n) / 2, 13);
      const paths = [
        `/rgb/S2/2024-01-15/13/${x}/${y}.png?r=B04&g=B08&b=B02`,
        `/compute/S2/2024-01-15/13/${x}/${y}.png?expression=v1-v2&v1=B04&v2=B08&stretch_range=[-500,500]`,
      ];
      for (const d of DATASETS) {
        const r = records.get(d.keys.join('/'))!;
        const [lon, lat] = [(r.metadata.bounds[0] + r.metadata.bounds[2]) / 2, (r.metadata.bounds[1] + r.metadata.bounds[3]) / 2];
        const [tx, ty] = tileAt(lon, lat, 10);
        paths.push(`/singleband/${d.keys.join('/')}/10/${tx}/${ty}.png`);
      }
      for (const p of paths) {
        const res = await fetch(`${api.url}${p}`);
        assert.equal(res.status, 200, p);
        await res.arrayBuffer();
      }
      assert.ok(origin.requests.length > 0);
      const byPath = new Map(DATASETS.map((d) => [d.path, records.get(d.keys.join('/'))!]));
      for (const req of origin.requests) {
        assert.equal(req.method, 'GET', 'no HEAD');
        assert.ok(req.range && req.range[0] >= byPath.get(req.path)!.header.headerLength, `no header read: ${JSON.stringify(req)}`);
      }
      const before = api.spy.queries;
      for (const p of paths) await (await fetch(`${api.url}${p.replace('.png', '@2x.png')}`)).arrayBuffer();
      assert.equal(api.spy.queries, before, 'warm: no catalog query');
    } finally {
      await api.stop();
    }
  });
});

describe('/point, /metadata and /compute after a cold start', () => {
  const origin = new Origin();
  let catalog: Awaited<ReturnType<typeof makeCatalog>>;
  let centre: [number, number];

  before(async () => {
    await origin.start();
    catalog = await makeCatalog(origin);
    const reader = await openCatalog(catalog.uri, { cache: false });
    const b = (await reader.get(['S2', '2024-01-15', 'B04']))!.metadata.bounds;
    centre = [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
    await reader.close();
  });
  after(async () => {
    await origin.stop();
    await catalog.close();
  });

  /** Store queries of one request as a new process's first, then of a second request for the same data. */
  async function coldThenWarm(path: string): Promise<{ cold: number; warm: number }> {
    const api = await startApi(catalog.uri);
    try {
      const first = await fetch(`${api.url}${path}`);
      assert.equal(first.status, 200, `${path}: ${await first.clone().text()}`);
      await first.arrayBuffer();
      const cold = api.spy.queries;
      assert.equal(api.logs.at(-1)!.catalog, cold, 'the request log agrees');
      await (await fetch(`${api.url}${path}`)).arrayBuffer();
      return { cold, warm: api.spy.queries - cold };
    } finally {
      await api.stop();
    }
  }

  it('/point and /metadata: one catalog query (key names and record together), then none', async () => {
    assert.deepEqual(await coldThenWarm(`/point/S2/2024-01-15/B04?lng=${centre[0]}&lat=${centre[1]}`), { cold: 1, warm: 0 });
    assert.deepEqual(await coldThenWarm('/metadata/S2/2024-01-15/B04'), { cold: 1, warm: 0 });
  });

  it('/compute tiles: one query per dataset, the key names riding on v1\'s', async () => {
    const [x, y] = tileAt(centre[0], centre[1], 12);
    const tile = `/compute/S2/2024-01-15/12/${x}/${y}.png?stretch_range=[0,1000]`;
    assert.deepEqual(await coldThenWarm(`${tile}&expression=v1*2&v1=B04`), { cold: 1, warm: 0 });
    assert.deepEqual(await coldThenWarm(`${tile}&expression=v1-v2&v1=B04&v2=B08`), { cold: 2, warm: 0 });
  });
});

/**
 * mysql2's commands as they go on the wire, by kind: a ClientHandshake per new connection, then a
 * Query (text protocol: one round trip), or a Prepare and an Execute (binary protocol: two, the
 * first time a connection sees a statement). Counted on the driver's base connection class, which
 * mysql2/promise uses too; its package exports do not name the file, so it is required by path.
 */
const wire = new Map<string, number>();
{
  const require = createRequire(import.meta.url);
  const { prototype } = require(join(dirname(require.resolve('mysql2')), 'lib/base/connection.js')) as { prototype: { addCommand(cmd: object): unknown } };
  const addCommand = prototype.addCommand;
  prototype.addCommand = function (this: unknown, cmd: object) {
    const kind = cmd.constructor.name;
    wire.set(kind, (wire.get(kind) ?? 0) + 1);
    return addCommand.call(this, cmd);
  };
}
const roundTrips = () => ['Query', 'Prepare', 'Execute'].reduce((n, kind) => n + (wire.get(kind) ?? 0), 0);

describe('the first tile after a cold start costs one catalog round trip, on every store', () => {
  const origin = new Origin();
  const SERVER = 'mysql://root@127.0.0.1:3306/test';
  const prefix = `tgcold${randomBytes(4).toString('hex')}_`;
  const fake = new FakeTableStore();
  const TS_URI = 'tablestore://cold?endpoint=https://cold.cn-hangzhou.ots.aliyuncs.com&table=cold';
  let sqlite: Awaited<ReturnType<typeof makeCatalog>>;
  let rec: DatasetRecord;

  before(async () => {
    await origin.start();
    sqlite = await makeCatalog(origin);
    for (const writer of [new MysqlCatalog(`${SERVER}?prefix=${prefix}`, { sharedPool: false }), new TableStoreCatalog(TS_URI, { client: fake })]) {
      await writer.create([{ name: 'sensor' }, { name: 'date' }, { name: 'band' }]);
      for (const d of DATASETS) await ingestObject(writer, `${origin.url}${d.path}`, d.keys);
      await writer.close();
    }
    const reader = new SqliteCatalog(sqlite.uri);
    rec = (await reader.get(['S2', '2024-01-15', 'B04']))!;
    await reader.close();
  });
  after(async () => {
    await origin.stop();
    await sqlite.close();
    const admin = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', database: 'test' });
    await admin.query(`DROP TABLE IF EXISTS \`${prefix}datasets\`, \`${prefix}meta\``);
    await admin.end();
  });

  /** A fresh process's view of the store: a new store object (no pool, nothing loaded), a new cache, a new API. */
  async function coldThenWarm(store: Catalog, count: () => number): Promise<{ cold: number; warm: number }> {
    const logs: RequestLog[] = [];
    const api = createApi({ catalog: new CachedCatalog(store), logger: (l) => logs.push(l) });
    const [w, s, e, n] = rec.metadata.bounds;
    const tile = (i: number) => {
      const [x, y] = tileAt(w + ((e - w) * (i + 1)) / 4, s + ((n - s) * (i + 1)) / 4, 13);
      return `http://api.test/singleband/S2/2024-01-15/B04/13/${x}/${y}.png?colormap=viridis`;
    };
    try {
      origin.reset();
      let before = count();
      const first = await api.fetch(new Request(tile(0)));
      assert.equal(first.status, 200, await first.clone().text());
      await first.arrayBuffer();
      const cold = count() - before;
      assert.equal(logs.at(-1)!.catalog, 1, 'the request log counts one catalog query');
      assert.ok(origin.requests.length > 0);
      for (const r of origin.requests) {
        assert.ok(r.method === 'GET' && r.range && r.range[0] >= rec.header.headerLength, `no HEAD, no header read: ${JSON.stringify(r)}`);
      }
      before = count();
      const second = await api.fetch(new Request(tile(1)));
      assert.equal(second.status, 200);
      await second.arrayBuffer();
      assert.equal(logs.at(-1)!.catalog, 0);
      return { cold, warm: count() - before };
    } finally {
      await store.close();
    }
  }

  it('MySQL: one statement on the wire (one Query: no Prepare), then none', async () => {
    const connectionsBefore = wire.get('ClientHandshake') ?? 0;
    const got = await coldThenWarm(new MysqlCatalog(`${SERVER}?prefix=${prefix}`, { sharedPool: false }), roundTrips);
    assert.deepEqual(got, { cold: 1, warm: 0 });
    assert.equal((wire.get('ClientHandshake') ?? 0) - connectionsBefore, 1, 'one connection opened');
  });

  it('TableStore: one request (a BatchGetRow of the meta row and the dataset row), then none', async () => {
    const total = () => Object.values(fake.calls).reduce((a, b) => a + b, 0);
    const batches = fake.calls.batchGetRow ?? 0;
    assert.deepEqual(await coldThenWarm(new TableStoreCatalog(TS_URI, { client: fake }), total), { cold: 1, warm: 0 });
    assert.equal(fake.calls.batchGetRow - batches, 1);
  });

  it('SQLite: one store call, then none', async () => {
    const spy = new SpyCatalog(new SqliteCatalog(sqlite.uri));
    assert.deepEqual(await coldThenWarm(spy, () => spy.queries), { cold: 1, warm: 0 });
  });
});
