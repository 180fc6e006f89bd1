/**
 * The promise of the catalog design, end to end over real sockets: a tile never costs a header
 * request at the origin — not even the first after a cold start (a new createApi and a new catalog
 * instance on the same SQLite file) — only the coalesced ranges of the blocks it needs; and once a
 * dataset is warm, tiles cost no catalog query at all.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DatasetRecord } from '../lib/catalog/catalog.ts';
import { openCatalog } from '../lib/catalog/open.ts';
import { planWindow } from '../lib/raster/plan.ts';
import { planRanges } from '../lib/source/coalesce.ts';
import { tileMatrixSet } from '../lib/tiles/tms.ts';
import { planTile } from '../lib/tiles/warp.ts';
import { DATASETS, makeCatalog, Origin, startApi, tileAt } from './api-harness.ts';

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
      assert.equal(api.spy.queries, 2, 'cold: the key names and the record, one query each');

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
