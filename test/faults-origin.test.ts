/**
 * Origin faults through the real API: createApi on a real socket, a SQLite catalog in a temp dir,
 * datasets ingested from a fault-injecting origin (fault-origin.ts). Each fault gets a bounded retry
 * and then either the right picture (byte-identical to a clean render) or a clean JSON 502/504 —
 * never a hang, a crash or a wrong picture. Also: single flight of block fetches, failures not
 * cached, and the per-request caps on source bytes and decoded pixels.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createApi, toNodeHandler, type ApiOptions, type RequestLog } from '../lib/api/index.ts';
import { CachedCatalog } from '../lib/catalog/cache.ts';
import { openCatalog } from '../lib/catalog/open.ts';
import { ingestObject } from '../lib/ingest/index.ts';
import { DEFAULT_READ_LIMITS, planCost } from '../lib/raster/budget.ts';
import { planWindow } from '../lib/raster/window-plan.ts';
import { FileSource } from '../lib/source/file.ts';
import { openSource } from '../lib/source/location.ts';
import { readHeader } from '../lib/tiff/parse.ts';
import type { CogHeader } from '../lib/tiff/header.ts';
import { tileMatrixSet } from '../lib/grids/tms.ts';
import { planTileWarp as planTile } from '../lib/warp/index.ts';
import { tileAt } from './api-harness.ts';
import { FaultOrigin, type Fault } from './fault-origin.ts';
import { fixturePath } from './helpers.ts';

/** Fast, bounded retries so the whole file stays in seconds: 4 attempts of ≤ 800 ms within 4 s (room for a loaded CI box). */
const RETRY = { retries: 3, timeoutMs: 800, totalMs: 4_000, baseDelayMs: 20, maxDelayMs: 100 };
const ATTEMPTS = RETRY.retries + 1;

const B04 = { keys: ['S2', '2024-01-15', 'B04'], path: '/s2/B04.tif', fixture: 'u16-4band-deflate-p2-meta-utm50.tif' };
const B08 = { keys: ['S2', '2024-01-15', 'B08'], path: '/s2/B08.tif', fixture: 'u16-zstd-bigtiff-utm50.tif' };

const status = (code: number): Fault => ({ kind: 'status', status: code });

describe('origin faults through the API', () => {
  const origin = new FaultOrigin();
  let dir = '';
  let uri = '';
  let tile = '';
  /** A singleband tile of B04 with explicit stretch (so stats never matter) and its clean render. */
  let path = '';
  let reference: Buffer;
  /** Range requests one clean render of `path` makes at the origin. */
  let cleanReads = 0;

  async function startApi(options: Partial<ApiOptions> = {}) {
    const store = await openCatalog(uri, { cache: false });
    const logs: RequestLog[] = [];
    const api = createApi({ catalog: new CachedCatalog(store), logger: (l) => logs.push(l), openSource: (l) => openSource(l, { retry: RETRY }), ...options });
    const server = createServer(toNodeHandler(api));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      url, logs, api,
      get: async (p: string) => {
        const res = await fetch(`${url}${p}`);
        return { status: res.status, type: res.headers.get('content-type') ?? '', body: Buffer.from(await res.arrayBuffer()) };
      },
      stop: async () => {
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
        await store.close();
      },
    };
  }
  type Api = Awaited<ReturnType<typeof startApi>>;

  /** A fresh API (empty caches) for one test, stopped afterwards. */
  async function withApi(fn: (api: Api) => Promise<void>, options?: Partial<ApiOptions>): Promise<void> {
    const api = await startApi(options);
    try {
      await fn(api);
    } finally {
      await api.stop();
      origin.reset();
    }
  }

  const message = (body: Buffer): string => (JSON.parse(body.toString()) as { message: string }).message;

  before(async () => {
    await origin.start();
    dir = await mkdtemp(join(tmpdir(), 'taoguan-faults-'));
    uri = `sqlite:${join(dir, 'catalog.db')}`;
    const catalog = await openCatalog(uri);
    await catalog.create([{ name: 'sensor' }, { name: 'date' }, { name: 'band' }]);
    for (const d of [B04, B08]) await ingestObject(catalog, await origin.put(d.path, d.fixture), d.keys);
    await catalog.close();
    const [x, y] = tileAt(116.395, 39.9, 12);
    tile = `12/${x}/${y}`;
    path = `/singleband/${B04.keys.join('/')}/${tile}.png?colormap=viridis&stretch_range=[0,20000]`;
    await withApi(async (api) => {
      origin.hits.length = 0;
      const res = await api.get(path);
      assert.equal(res.status, 200);
      reference = res.body;
      cleanReads = origin.rangeReads.length;
    });
    assert.ok(cleanReads >= 1, 'the reference tile reads data from the origin');
  });

  after(async () => {
    await origin.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** A transient fault: the first reads fail, the retries succeed, the picture is the clean one. */
  async function recovers(faults: Fault[]): Promise<void> {
    await withApi(async (api) => {
      origin.script.push(...faults);
      const res = await api.get(path);
      assert.equal(res.status, 200, res.status === 200 ? '' : message(res.body));
      assert.ok(res.body.equals(reference), 'the picture after a retried fault is byte-identical to a clean render');
      assert.equal(origin.script.length, 0, 'every scripted fault was met');
      assert.equal(origin.rangeReads.length, cleanReads + faults.length, 'one retry per fault, no more');
    });
  }

  /** A persistent fault: a bounded number of attempts, then this status with a JSON message. */
  async function failsWith(fault: Fault, code: number, pattern: RegExp): Promise<void> {
    await withApi(async (api) => {
      origin.standing = fault;
      const t0 = performance.now();
      const res = await api.get(path);
      const ms = performance.now() - t0;
      assert.equal(res.status, code);
      assert.match(res.type, /application\/json/);
      const text = message(res.body);
      assert.match(text, pattern);
      assert.doesNotMatch(text, /127\.0\.0\.1|\/s2\//, 'no host or key in the message');
      const reads = origin.rangeReads.length;
      assert.ok(reads >= ATTEMPTS && reads <= ATTEMPTS * cleanReads, `retried to the bound: ${reads} range reads for ${cleanReads} range(s) × ${ATTEMPTS} attempts`);
      assert.ok(ms < RETRY.totalMs + 1_000, `answered within the retry budget (${Math.round(ms)} ms)`);
    });
  }

  it('500 and 503 are retried and then serve the right picture; persistent ones are a 502', async () => {
    await recovers([status(500), status(503)]);
    await failsWith(status(503), 502, /object store failed \(HTTP 503\); try again later/);
    await failsWith(status(500), 502, /object store failed \(HTTP 500\)/);
  });

  it('a connection reset mid-body is retried; a persistent one is a 502', async () => {
    await recovers([{ kind: 'reset' }]);
    await failsWith({ kind: 'reset' }, 502, /object store failed; try again later/);
  });

  it('a short body (connection closed early, or a short Content-Length) is retried; persistent is a 502', async () => {
    await recovers([{ kind: 'cut' }]);
    await recovers([{ kind: 'short' }, { kind: 'short' }]);
    await failsWith({ kind: 'short' }, 502, /object store failed/);
  });

  it('a 206 whose Content-Range is not what was asked is retried, never rendered; persistent is a 502', async () => {
    await recovers([{ kind: 'wrong-range' }]);
    await failsWith({ kind: 'wrong-range' }, 502, /object store failed; try again later/);
  });

  it('a 200 with the whole object where a range was asked is sliced to the right bytes', async () => {
    // Decision (lib/source/http.ts): an origin that ignores Range still sent correct bytes, so the
    // asked slice of a small enough object (≤ maxWholeBody, 16 MiB) is used, ETag-checked like a
    // 206; a larger one is refused without retry. Either way never the wrong bytes.
    await withApi(async (api) => {
      origin.standing = { kind: 'whole' };
      const res = await api.get(path);
      assert.equal(res.status, 200);
      assert.ok(res.body.equals(reference), 'the slice of the whole object renders the clean picture');
      assert.equal(origin.rangeReads.length, cleanReads, 'not retried: the answer was usable');
    });
  });

  it('a response slower than the timeout is retried; a persistently slow origin is a 504 within the bound', async () => {
    await recovers([{ kind: 'delay', ms: 2_000 }]);
    await failsWith({ kind: 'delay', ms: 10_000 }, 504, /did not answer in time; try again/);
  });

  it('an object replaced after ingest is a 502 naming re-ingest, not retried, and its cached record is forgotten', async () => {
    const b08Path = path.replace('/B04/', '/B08/');
    await withApi(async (api) => {
      // What the replacement should look like: B08's object rendered with B08's header.
      const b08 = await api.get(b08Path);
      assert.equal(b08.status, 200);
      assert.ok(!b08.body.equals(reference), 'the two objects draw different pictures');
      const original = origin.objects.get(B04.path)!;
      try {
        origin.objects.set(B04.path, { ...origin.objects.get(B08.path)!, etag: '"replaced"' });
        origin.hits.length = 0;
        const res = await api.get(path);
        assert.equal(res.status, 502);
        assert.match(message(res.body), /changed since it was ingested.*re-ingest it/);
        assert.equal(origin.rangeReads.length, 1, 'a changed object is not retried');
        assert.match(api.logs.at(-1)!.error ?? '', /ObjectChangedError/);
        // Another process re-ingests; the API sees it at once (the catalog cache TTL is 60 s).
        const writer = await openCatalog(uri, { cache: false });
        await ingestObject(writer, `${origin.url}${B04.path}`, B04.keys);
        await writer.close();
        const again = await api.get(path);
        assert.equal(again.status, 200);
        assert.ok(again.body.equals(b08.body), 'the new object is drawn with its new header');
      } finally {
        origin.objects.set(B04.path, original);
        const writer = await openCatalog(uri, { cache: false });
        await ingestObject(writer, `${origin.url}${B04.path}`, B04.keys);
        await writer.close();
      }
    });
  });

  /** `n` different renders (colormaps) of the same tile: the same internal blocks, different tiles. */
  const variants = (n: number): string[] => ['viridis', 'magma', 'inferno', 'plasma', 'cividis', 'greys', 'blues', 'reds'].slice(0, n).map((c) => path.replace('viridis', c));

  it('concurrent requests needing the same internal blocks fetch them from the origin once', async () => {
    await withApi(async (api) => {
      // Slow enough that every request is waiting while the first fetch is in flight.
      origin.standing = { kind: 'delay', ms: 200 };
      const results = await Promise.all(variants(6).map((p) => api.get(p)));
      for (const r of results) assert.equal(r.status, 200);
      assert.ok(results[0].body.equals(reference));
      assert.equal(new Set(results.map((r) => r.body.toString('base64'))).size, 6, 'six different pictures');
      assert.equal(origin.rangeReads.length, cleanReads, `six renders, ${cleanReads} range read(s) at the origin`);
      const misses = api.logs.reduce((n, l) => n + l.cache.blockMisses, 0);
      const hits = api.logs.reduce((n, l) => n + l.cache.blockHits, 0);
      assert.ok(misses > 0 && hits === misses * 5, `one request fetched, five waited: ${misses} misses, ${hits} hits`);
    });
  });

  it('a failed block fetch is shared by its waiters but never cached: the next request retries and succeeds', async () => {
    await withApi(async (api) => {
      origin.standing = status(503);
      const failed = await Promise.all(variants(3).map((p) => api.get(p)));
      for (const r of failed) assert.equal(r.status, 502);
      assert.equal(origin.rangeReads.length, ATTEMPTS * cleanReads, 'three requests, one bounded series of attempts');
      origin.standing = undefined;
      origin.hits.length = 0;
      const res = await api.get(path);
      assert.equal(res.status, 200, 'the failure did not poison the block cache or the tile cache');
      assert.ok(res.body.equals(reference));
      assert.equal(origin.rangeReads.length, cleanReads);
    });
  });

  /** What a tile of one dataset costs, as the API plans it (band 0). */
  async function tileCost(keys: string[], z: number, x: number, y: number, tileSize = 256) {
    const store = await openCatalog(uri, { cache: false });
    const { header } = (await store.get(keys))!;
    await store.close();
    const plan = planTile(header, tileMatrixSet('WebMercatorQuad'), z, x, y, { tileSize })!;
    return planCost(header, planWindow(header, plan.level, plan.window, [0]));
  }

  it('a request needing more source bytes or decoded pixels than its cap is a 422 naming the cap, before any fetch', async () => {
    const [z, x, y] = tile.split('/').map(Number);
    const b04 = await tileCost(B04.keys, z, x, y);
    const b08 = await tileCost(B08.keys, z, x, y);
    await withApi(async (api) => {
      const res = await api.get(path);
      assert.equal(res.status, 422);
      assert.match(message(res.body), new RegExp(`would read ${(b04.bytes / 1024).toFixed(1)} KiB from the object store, above this server's cap of 1000 bytes per request \\(maxSourceBytes\\)`));
      assert.equal(origin.rangeReads.length, 0);
    }, { maxSourceBytes: 1000 });
    await withApi(async (api) => {
      const res = await api.get(path);
      assert.equal(res.status, 422);
      assert.match(message(res.body), /would decode \d+ pixels, above this server's cap of 1000 pixels per request \(maxDecodedPixels\)/);
      assert.equal(origin.rangeReads.length, 0);
    }, { maxDecodedPixels: 1000 });
    // Each dataset of an RGB fits; together they do not: refused with nothing fetched for any.
    const rgb = `/rgb/S2/2024-01-15/${tile}.png?r=B04&g=B08&b=B08&r_range=[0,20000]&g_range=[0,20000]&b_range=[0,20000]`;
    await withApi(async (api) => {
      const res = await api.get(rgb);
      assert.equal(res.status, 422);
      assert.match(message(res.body), /maxSourceBytes/);
      assert.equal(origin.rangeReads.length, 0, 'no dataset fetched before the whole request was charged');
    }, { maxSourceBytes: Math.max(b04.bytes, b08.bytes) + 1 });
    await withApi(async (api) => {
      assert.equal((await api.get(rgb)).status, 200, 'exactly enough is enough');
    }, { maxSourceBytes: b04.bytes + b08.bytes, maxDecodedPixels: b04.pixels + b08.pixels });
  });

  it('a cap that is not a positive number is refused when the API is created', () => {
    for (const bad of [0, -1, Number.NaN, Infinity]) {
      assert.throws(() => createApi({ catalog: {} as never, maxSourceBytes: bad }), /^TypeError: maxSourceBytes: expected a positive number/);
      assert.throws(() => createApi({ catalog: {} as never, maxDecodedPixels: bad }), /^TypeError: maxDecodedPixels: expected a positive number/);
    }
  });

  it('the default caps let 512 px @2x rgb and compute tiles through at every zoom', async () => {
    await withApi(async (api) => {
      for (const zoom of [6, 9, 12, 15, 18]) {
        const [x, y] = tileAt(116.395, 39.9, zoom);
        const t = `${zoom}/${x}/${y}@2x.png?tile_size=[512,512]`;
        const rgb = await api.get(`/rgb/S2/2024-01-15/${t}&r=B04&g=B08&b=B04&r_range=[0,20000]&g_range=[0,20000]&b_range=[0,20000]`);
        assert.equal(rgb.status, 200, `rgb z${zoom}`);
        const compute = await api.get(`/compute/S2/2024-01-15/${t}&expression=v1-v2&v1=B04&v2=B08&stretch_range=[-500,500]`);
        assert.equal(compute.status, 200, `compute z${zoom}`);
      }
    });
  });
});

/**
 * The defaults, against a Sentinel-2-sized band (10980², 512² blocks, overviews down to one block,
 * an internal mask, every block incompressible): band math over the most datasets a request can
 * name (9), 1024 px tiles, any zoom, stays under both caps.
 */
describe('default read caps', () => {
  it('are never reached by a legitimate 1024 px tile over 9 datasets with overviews', async () => {
    const header = await sentinelLike();
    const tms = tileMatrixSet('WebMercatorQuad');
    let worst = { bytes: 0, pixels: 0 };
    for (let z = 5; z <= 18; z++) {
      const [cx, cy] = tileAt(116.6, 40.1, z);
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
        const plan = planTile(header, tms, z, cx + dx, cy + dy, { tileSize: 1024, resampling: 'bilinear' });
        if (!plan) continue;
        const cost = planCost(header, planWindow(header, plan.level, plan.window, [0]));
        if (cost.bytes > worst.bytes) worst = { ...worst, bytes: cost.bytes };
        if (cost.pixels > worst.pixels) worst = { ...worst, pixels: cost.pixels };
      }
    }
    assert.ok(worst.pixels > 0);
    assert.ok(9 * worst.bytes < DEFAULT_READ_LIMITS.maxSourceBytes, `9 × ${worst.bytes} bytes`);
    assert.ok(9 * worst.pixels < DEFAULT_READ_LIMITS.maxDecodedPixels, `9 × ${worst.pixels} pixels`);
  });
});

/** A UTM 50N fixture's header reshaped as a Sentinel-2 band: 10980², 512² blocks of 512 KiB, masks. */
async function sentinelLike(): Promise<CogHeader> {
  const source = new FileSource(fixturePath(B08.fixture));
  const { header } = await readHeader(source);
  await source.close();
  const template = header.levels[0].image;
  const image = (width: number, subfileType: number, bitsPerSample: number): CogHeader['levels'][number]['image'] => {
    const n = Math.ceil(width / 512) ** 2;
    const bytes = (512 * 512 * bitsPerSample) / 8;
    return {
      ...template, subfileType, width, height: width, tiled: true, blockWidth: 512, blockHeight: 512, bitsPerSample, samplesPerPixel: 1,
      offsets: Array.from({ length: n }, (_, i) => 1_048_576 + i * bytes), byteCounts: new Array<number>(n).fill(bytes),
    };
  };
  const levels: CogHeader['levels'] = [];
  for (let w = 10980, i = 0; ; w = Math.ceil(w / 2), i++) {
    levels.push({ image: image(w, i === 0 ? 0 : 1, 16), mask: image(w, i === 0 ? 4 : 5, 8) });
    if (w <= 512) break;
  }
  return { ...header, levels, geotransform: [399960, 10, 0, 4500000, 0, -10] };
}
