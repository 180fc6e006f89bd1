/**
 * Every route and parameter of the API, fuzzed through the real handler (createApi over a SQLite
 * catalog of fixture COGs): random and hostile path segments, query values and POST bodies. Each
 * answer must be 2xx, 304 or a 4xx carrying a JSON {message} — never a 5xx, never a hang — and the
 * process's memory must stay bounded over thousands of requests. Seeds are fixed: a failure
 * reproduces, and fast-check prints the shrunk request.
 */
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createApi, type Api } from '../lib/api/index.ts';
import type { Catalog } from '../lib/catalog/catalog.ts';
import { openCatalog } from '../lib/catalog/open.ts';
import { makeCatalog, Origin, tileAt } from './api-harness.ts';

const HOST = 'http://tiles.test';
/** Cases per route; ~12 routes. */
const RUNS = 400;
const SEED = 20250109;
/** A request still unanswered after this long is a hang. */
const HANG_MS = 10_000;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

// ---- hostile values -------------------------------------------------------------------------------
const nasty = fc.constantFrom(
  '', ' ', '-1', '-0', '0', '1e309', '-1e309', 'NaN', 'Infinity', '0x10', '1.5', '007', '9'.repeat(40), '4294967296', '2e31',
  '[', ']', '[]', '[,]', '[1,', '[1,2', '[1,2,3]', '[null,null]', '[null]', '["p2","p98"]', '["p0","p100"]', '["p2",1e309]', '[1e309,-1e309]',
  '[true,false]', '[[1],[2]]', '[{},{}]', '["a","b"]', '[-1,-1]', '[0,0]', '[256,256]', '[1024,1025]', '[100000,100000]', '[1.5,1.5]',
  '{}', '{"1":[255,0,0]}', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{}}}', '{"1":"#zzzzzz"}', '{"1":[1e309]}',
  'null', 'true', '"str"', '%', '%%', '%zz', '%00', '%2F', '%2e%2e', '..', '../..', '../../etc/passwd', '/', '\\', '\u0000', '\u007f', '\r\n',
  '<script>alert(1)</script>', '${7*7}', "' OR 1=1 --", '"; DROP TABLE datasets; --', 'constructor', '__proto__', 'toString', 'hasOwnProperty',
  'explicit', 'viridis', 'rdylgn_r', 'VIRIDIS', 'WebMercatorQuad', 'WGS1984Quad', 'GCJ02WebMercatorQuad', 'CGCS2000Quad', 'bilinear', 'average', 'cubic',
  'process.exit()', 'require("fs")', 'v1', 'v99', '(v1', 'v1)', 'v1**v1**v1**v1', 'where(v1>0,v1,0)', 'sqrt(-1)', '1/0', 'log(0)', 'v1/0',
  '\u{1F600}', '\uD800', '北京', 'a'.repeat(600), 'a'.repeat(5000), '['.repeat(3000), '('.repeat(2000), `${'['.repeat(200)}1${']'.repeat(200)}`,
  '[bounds,range]', '[keys]', '[nope]', '[]', 'S2', 'B04', '2024-01-15', 'B08', 'B02', 'L8', 'DEM',
);
const numberish = fc.oneof(fc.integer({ min: -5, max: 30 }).map(String), fc.double().map(String), fc.integer().map(String));
const jsonish = fc.oneof(fc.json({ maxDepth: 4 }), fc.array(fc.oneof(fc.double(), fc.constant(null), fc.string({ maxLength: 4 })), { maxLength: 4 }).map((a) => JSON.stringify(a)));
const value = fc.oneof({ weight: 4, arbitrary: nasty }, { weight: 2, arbitrary: numberish }, { weight: 2, arbitrary: jsonish }, { weight: 2, arbitrary: fc.string({ maxLength: 30 }) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) });
/** Lone surrogates → U+FFFD (what a URL parser does to them; encodeURIComponent would throw). */
const wellFormed = (s: string): string => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
/** A query value sent percent-encoded, or raw (so invalid escapes and bare brackets get through). */
const encoded = (v: fc.Arbitrary<string>) => fc.tuple(v, fc.boolean()).map(([s, raw]) => (raw ? s.replace(/[#&\s]/g, '') : encodeURIComponent(wellFormed(s))));
const segment = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('S2', '2024-01-15', 'B04', 'B08', 'L8', '2023-06-01', 'DEM', '2000', 'h') }, { weight: 2, arbitrary: encoded(value) });

/** Some of `names` (plus the odd unknown one), each with a hostile or plausible value. */
const params = (names: Record<string, fc.Arbitrary<string>>) => fc.tuple(
  ...Object.entries(names).map(([name, v]) => fc.option(encoded(fc.oneof({ weight: 3, arbitrary: v }, { weight: 1, arbitrary: value })).map((s) => `${name}=${s}`), { freq: 2 })),
  fc.option(fc.tuple(encoded(fc.oneof(nasty, fc.string({ maxLength: 12 }))), encoded(value)).map(([k, v]) => `${k}=${v}`), { freq: 4 }),
).map((parts) => parts.filter((p): p is string => p !== null).join('&'));

const zxy = (valid: [number, number]) => fc.oneof(
  fc.constant(`12/${valid[0]}/${valid[1]}`),
  fc.tuple(fc.integer({ min: 0, max: 24 }), fc.nat(), fc.nat()).map(([z, x, y]) => `${z}/${x % 2 ** z}/${y % 2 ** z}`),
  fc.tuple(encoded(value), encoded(value), encoded(value)).map((p) => p.join('/')),
  fc.tuple(numberish, numberish, numberish).map((p) => p.join('/')),
);
const tileName = fc.tuple(fc.constantFrom('', '@2x', '@3x'), fc.constantFrom('.png', '.jpg', '.jpeg', '.webp', '.gif', ''));

const styleNames = {
  stretch_range: fc.constantFrom('[0,3000]', '["p2","p98"]', '[null,null]', '[1,0]'),
  colormap: fc.constantFrom('viridis', 'explicit', 'terrain', 'greys_r'),
  explicit_color_map: fc.constantFrom('{"1":[255,0,0]}', '{"0":"#00ff00"}'),
  tile_size: fc.constantFrom('[256,256]', '[512,512]', '[64,64]', '[1024,1024]'),
  tms: fc.constantFrom('WebMercatorQuad', 'WGS1984Quad', 'GCJ02WebMercatorQuad', 'CGCS2000Quad'),
  resampling: fc.constantFrom('nearest', 'bilinear', 'average'),
  algorithm: fc.constantFrom('hillshade', 'slope', 'terrainrgb', 'terrarium', 'HillShade', 'contours'),
  algorithm_params: fc.constantFrom('{"azimuth":90}', '{"z_factor":-1}', '{"interval":0.5,"baseval":-100}', '{"azimut":1}', '[]', 'null'),
  quality: fc.constantFrom('75', '0', '101', 'x'),
};
const rgbNames = { r: fc.constantFrom('B04'), g: fc.constantFrom('B08'), b: fc.constantFrom('B02'), r_range: styleNames.stretch_range, g_range: styleNames.stretch_range, b_range: styleNames.stretch_range, tile_size: styleNames.tile_size, tms: styleNames.tms, resampling: styleNames.resampling };
const token = fc.constantFrom('v1', 'v2', 'v3', ' + ', ' - ', ' * ', ' / ', '**', '^', '(', ')', ',', 'where(', 'sqrt(', 'log(', 'abs(', 'min(', 'max(', '>', '<=', '==', '!=', '&', '|', '~', '1', '0', '1e309', 'pi', 'e', 'nan', '.', 'x', '__proto__', ';');
const expression = fc.oneof(fc.array(token, { maxLength: 40 }).map((t) => t.join('')), fc.constantFrom('(v1 - v2) / (v1 + v2)', 'v1', 'where(v1 > 1000, v1, 0)'));
const computeNames = { expression, stretch_range: fc.constantFrom('[-1,1]', '[0,3000]'), colormap: styleNames.colormap, ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`v${i + 1}`, fc.constantFrom('B04', 'B08', 'B02')])), tile_size: styleNames.tile_size, tms: styleNames.tms };
const zoomNames = { minzoom: fc.integer({ min: -2, max: 30 }).map(String), maxzoom: fc.integer({ min: -2, max: 30 }).map(String) };
const pagingNames = { limit: fc.constantFrom('1', '100', '10000', '10001', '0'), page: fc.constantFrom('0', '1', '99999999999') };
const filterNames = { sensor: fc.constantFrom('S2', '[S2,L8]', '["S2"]'), date: fc.constantFrom('2024-01-15'), band: fc.constantFrom('[B04,B08]', 'B04') };

interface Case { method: string; path: string; body?: string; headers?: Record<string, string> }

describe('API fuzzing', () => {
  const origin = new Origin();
  let made: Awaited<ReturnType<typeof makeCatalog>>;
  let catalog: Catalog;
  let api: Api;
  let valid: [number, number] = [0, 0];
  let requests = 0;
  const statuses = new Map<number, number>();

  before(async () => {
    await origin.start();
    made = await makeCatalog(origin);
    catalog = await openCatalog(made.uri);
    api = createApi({ catalog });
    const md = (await catalog.get(['S2', '2024-01-15', 'B04']))!.metadata;
    valid = tileAt((md.bounds[0] + md.bounds[2]) / 2, (md.bounds[1] + md.bounds[3]) / 2, 12);
  });
  after(async () => {
    await catalog.close();
    await origin.stop();
    await made.close();
    console.log(`fuzz: ${requests} requests; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
  });

  /** One request: a 2xx / 304, or a 4xx with a JSON message; never a 5xx, never past HANG_MS. */
  async function check(c: Case): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${HANG_MS} ms`)), HANG_MS); });
    try {
      const res = await Promise.race([api.fetch(new Request(`${HOST}${c.path}`, { method: c.method, body: c.body, headers: c.headers })), hang]);
      const bytes = new Uint8Array(await Promise.race([res.arrayBuffer(), hang]));
      requests++;
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const text = () => new TextDecoder().decode(bytes.subarray(0, 400));
      assert.ok((res.status >= 200 && res.status < 300) || res.status === 304 || (res.status >= 400 && res.status < 500), `${c.method} ${c.path.slice(0, 300)} → ${res.status} ${text()}`);
      if (res.status >= 400 && c.method !== 'HEAD') {
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
        const body = JSON.parse(new TextDecoder().decode(bytes)) as { message?: unknown };
        assert.equal(typeof body.message, 'string');
        assert.ok((body.message as string).length > 0 && (body.message as string).length <= 1001, `message of ${(body.message as string).length} characters`);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  const run = (arb: fc.Arbitrary<Case>, runs = RUNS) => fc.assert(fc.asyncProperty(arb, check), { numRuns: runs, seed: SEED, endOnFailure: true });
  const q = (s: string) => (s ? `?${s}` : '');
  const keys3 = fc.tuple(segment, segment, segment).map((k) => k.join('/'));
  const keysN = fc.array(segment, { maxLength: 5 }).map((k) => k.join('/'));

  it('tile routes: singleband, rgb and compute tiles', async () => {
    await run(fc.tuple(fc.oneof(fc.constant('S2/2024-01-15/B04'), keys3), fc.constant(null).chain(() => zxy(valid)), tileName, params(styleNames))
      .map(([k, t, [s, e], p]) => ({ method: 'GET', path: `/singleband/${k}/${t}${s}${e}${q(p)}` })));
    await run(fc.tuple(fc.oneof(fc.constant('S2/2024-01-15'), keysN), fc.constant(null).chain(() => zxy(valid)), tileName, params(rgbNames))
      .map(([k, t, [s, e], p]) => ({ method: 'GET', path: `/rgb/${k}/${t}${s}${e}${q(p)}` })));
    await run(fc.tuple(fc.oneof(fc.constant('S2/2024-01-15'), keysN), fc.constant(null).chain(() => zxy(valid)), params(computeNames))
      .map(([k, t, p]) => ({ method: 'GET', path: `/compute/${k}/${t}.png${q(p)}` })));
  });

  it('previews, TileJSON and WMTS documents of every family', async () => {
    const family = fc.constantFrom(['singleband', 'S2/2024-01-15/B04', styleNames], ['rgb', 'S2/2024-01-15', rgbNames], ['compute', 'S2/2024-01-15', computeNames]) as fc.Arbitrary<[string, string, Record<string, fc.Arbitrary<string>>]>;
    await run(family.chain(([f, k, names]) => fc.tuple(fc.constant(f), fc.oneof(fc.constant(k), keysN),
      fc.constantFrom('preview.png', 'preview.jpg', 'tilejson.json', 'WMTSCapabilities.xml'), params({ ...names, ...zoomNames })))
      .map(([f, k, target, p]) => ({ method: 'GET', path: `/${f}/${k}/${target}${q(p)}` })), RUNS * 2);
  });

  it('catalog routes: /keys, /datasets, /metadata, /point, /colormap, /wmts', async () => {
    await run(params({ ...pagingNames, ...filterNames }).map((p) => ({ method: 'GET', path: `/datasets${q(p)}` })));
    await run(fc.tuple(keysN, params({ columns: fc.constantFrom('[bounds,range]', '["keys"]', '[]', '[metadata,percentiles]') }))
      .map(([k, p]) => ({ method: 'GET', path: `/metadata/${k}${q(p)}` })));
    await run(fc.tuple(fc.oneof(fc.constant('S2/2024-01-15/B04'), fc.constant('DEM/2000/h'), keysN), params({ lng: fc.double({ min: -200, max: 200 }).map(String), lat: fc.double({ min: -100, max: 100 }).map(String) }))
      .map(([k, p]) => ({ method: 'GET', path: `/point/${k}${q(p)}` })));
    await run(params({ stretch_range: fc.constantFrom('[0,1]', '[-1e300,1e300]', '[1,1]'), colormap: styleNames.colormap, num_values: fc.constantFrom('1', '255', '1024', '1025', '0', '-1') })
      .map((p) => ({ method: 'GET', path: `/colormap${q(p)}` })));
    await run(params({ ...pagingNames, ...filterNames, tms: styleNames.tms, colormap: styleNames.colormap, stretch_range: styleNames.stretch_range, tile_size: styleNames.tile_size })
      .map((p) => ({ method: 'GET', path: `/wmts/WMTSCapabilities.xml${q(p)}` })));
  });

  it('POST /metadata bodies: huge, deep, wrong types', async () => {
    const keyList = fc.array(fc.oneof(fc.constantFrom(['S2', '2024-01-15', 'B04'], ['DEM', '2000', 'h'], ['S2', '2024-01-15'], []), fc.array(fc.oneof(nasty, fc.string({ maxLength: 8 })), { maxLength: 5 })), { maxLength: 120 });
    const body = fc.oneof(
      keyList.map((keys) => JSON.stringify({ keys })),
      fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ keys: v })),
      fc.integer({ min: 1, max: 200_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
      fc.integer({ min: 1, max: 20_000 }).map((n) => `{"keys":${'['.repeat(n)}"S2"${']'.repeat(n)}}`),
      fc.integer({ min: 1, max: 5000 }).map((n) => JSON.stringify({ keys: Array.from({ length: n }, () => ['S2', '2024-01-15', 'B04']) })),
      fc.constantFrom('', 'null', '{', '{"keys":', '\u0000', '{"__proto__":{"keys":[["S2","2024-01-15","B04"]]}}', `{"keys":[["S2","2024-01-15","B04"]],"pad":"${'x'.repeat(1024 * 1024)}"}`),
      fc.string({ unit: 'binary', maxLength: 200 }),
    );
    await run(fc.tuple(body, params({ columns: fc.constantFrom('[bounds]', '[nope]') }), fc.constantFrom('application/json', 'text/plain', 'multipart/form-data; boundary=x', ''))
      .map(([b, p, type]) => ({ method: 'POST', path: `/metadata${q(p)}`, body: b, headers: type ? { 'content-type': type } : undefined })));
  });

  it('any path and method', async () => {
    const method = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS');
    const path = fc.oneof(fc.webPath(), fc.array(encoded(value), { maxLength: 8 }).map((s) => `/${s.join('/')}`),
      fc.tuple(fc.constantFrom('singleband', 'rgb', 'compute', 'metadata', 'point', 'web', 'wmts', 'datasets', 'keys', 'colormap'), fc.array(segment, { maxLength: 7 }), fc.constantFrom('', '.png', '/preview.png', '/tilejson.json', '@2x.png', '/'))
        .map(([r, s, tail]) => `/${r}/${s.join('/')}${tail}`));
    await run(fc.tuple(method, path, fc.option(fc.webQueryParameters()), fc.option(fc.string({ maxLength: 50 })))
      .map(([m, p, qs, b]) => ({ method: m, path: `${p.startsWith('/') ? p : `/${p}`}${qs ? `?${qs}` : ''}`, body: m === 'GET' || m === 'HEAD' ? undefined : b ?? undefined })), RUNS * 2);
  });

  it('memory stays bounded: a second round of the same load does not grow the heap', async () => {
    // the caches are byte-bounded: once warm, repeating hostile load must not grow what stays reachable
    const load = fc.tuple(fc.constant('S2/2024-01-15/B04'), zxy(valid), tileName, params(styleNames))
      .map(([k, t, [s, e], p]) => ({ method: 'GET', path: `/singleband/${k}/${t}${s}${e}${q(p)}` }));
    const round = async (seed: number) => fc.assert(fc.asyncProperty(load, check), { numRuns: 400, seed, endOnFailure: true });
    await round(1);
    gc();
    const warm = process.memoryUsage();
    for (let i = 2; i <= 4; i++) await round(i);
    gc();
    const end = process.memoryUsage();
    const mb = (n: number) => Math.round(n / 2 ** 20);
    console.log(`fuzz memory: heap ${mb(warm.heapUsed)} → ${mb(end.heapUsed)} MB, rss ${mb(warm.rss)} → ${mb(end.rss)} MB`);
    assert.ok(end.heapUsed - warm.heapUsed < 24 * 2 ** 20, `heap grew ${mb(end.heapUsed - warm.heapUsed)} MB`);
    assert.ok(end.rss < 600 * 2 ** 20, `rss ${mb(end.rss)} MB`);
  });
});
