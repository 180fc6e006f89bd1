/**
 * The HTTP behaviour CDNs and browsers rely on — ETag / 304 before any object I/O, the rendered-tile
 * cache, Cache-Control, CORS, HEAD, gzip, the base path — and how real faults surface: 502 for a
 * replaced object or a failing origin, 504 for a timeout, 503 + Retry-After when the catalog is down,
 * none of them naming a host.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApi, type RequestLog } from '../lib/api/index.ts';
import { CatalogError, type Catalog } from '../lib/catalog/catalog.ts';
import { openCatalog } from '../lib/catalog/open.ts';
import { ingestObject } from '../lib/ingest/index.ts';
import { openSource } from '../lib/source/location.ts';
import { SourceTimeoutError, type Source } from '../lib/source/source.ts';
import { centreTile, DATASETS, makeCatalog, Origin, startApi } from './api-harness.ts';

describe('API over HTTP', () => {
  const origin = new Origin();
  let catalog: Awaited<ReturnType<typeof makeCatalog>>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let tile = '';
  const get = (path: string, init?: RequestInit) => fetch(`${api.url}${path}`, init);
  const lastLog = (): RequestLog => api.logs.at(-1)!;

  before(async () => {
    await origin.start();
    catalog = await makeCatalog(origin);
    api = await startApi(catalog.uri);
    const md = await (await get('/metadata/S2/2024-01-15/B04')).json() as { bounds: number[] };
    tile = centreTile(md.bounds);
  });
  after(async () => {
    await api.stop();
    await origin.stop();
    await catalog.close();
  });

  it('tiles carry a strong ETag from their inputs; If-None-Match answers 304 with no object I/O', async () => {
    const path = `/singleband/S2/2024-01-15/B04/${tile}.png?colormap=viridis&stretch_range=[7000,15000]`;
    const first = await get(path);
    await first.arrayBuffer();
    const etag = first.headers.get('etag')!;
    assert.match(etag, /^"[A-Za-z0-9_-]{32}"$/);
    assert.equal(first.headers.get('cache-control'), 'public, max-age=3600');
    origin.reset();
    const again = await get(path, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal((await again.arrayBuffer()).byteLength, 0);
    assert.equal(again.headers.get('etag'), etag);
    assert.deepEqual(origin.requests, []);
    assert.equal(lastLog().source, 0);
    // the same request written in another order is the same resource; another query is not
    const reordered = await get(`/singleband/S2/2024-01-15/B04/${tile}.png?stretch_range=[7000,15000]&colormap=viridis`, { headers: { 'if-none-match': `W/${etag}, "x"` } });
    assert.equal(reordered.status, 304);
    const other = await get(`/singleband/S2/2024-01-15/B04/${tile}.png?colormap=magma`);
    await other.arrayBuffer();
    assert.notEqual(other.headers.get('etag'), etag);
  });

  it('a repeated tile is a cache hit: no origin request, no decode', async () => {
    const path = `/singleband/S2/2024-01-15/B04/${tile}.png?colormap=terrain`;
    const a = new Uint8Array(await (await get(path)).arrayBuffer());
    assert.equal(lastLog().cache.tile, 'miss');
    origin.reset();
    const b = new Uint8Array(await (await get(path)).arrayBuffer());
    assert.deepEqual(b, a);
    assert.deepEqual(lastLog().cache, { tile: 'hit', blockHits: 0, blockMisses: 0 });
    assert.deepEqual(origin.requests, []);
    // another style of the same area decodes nothing new: its blocks come from the block cache
    await (await get(`/singleband/S2/2024-01-15/B04/${tile}.png?colormap=inferno`)).arrayBuffer();
    assert.equal(lastLog().cache.blockMisses, 0);
    assert.ok(lastLog().cache.blockHits > 0);
    assert.deepEqual(origin.requests, []);
  });

  it('concurrent requests for one tile share one render, and neighbours share block fetches', async () => {
    const [z, x, y] = tile.split('/').map(Number);
    const path = `/singleband/S2/2024-01-15/B04/${z + 1}/${2 * x}/${2 * y}.png?colormap=plasma`;
    origin.reset();
    api.logs.length = 0;
    const bodies = await Promise.all(Array.from({ length: 4 }, async () => new Uint8Array(await (await get(path)).arrayBuffer())));
    for (const b of bodies) assert.deepEqual(b, bodies[0]);
    // one render; the others joined it ('shared') or found it done ('hit'), depending on timing
    assert.equal(api.logs.filter((l) => l.cache.tile === 'miss').length, 1);
    const ranges = origin.requests.map((r) => r.range?.join('-'));
    assert.equal(new Set(ranges).size, ranges.length, 'no range fetched twice');
    origin.reset();
    await Promise.all([[1, 0], [0, 1], [1, 1]].map(async ([dx, dy]) => (await get(`/singleband/S2/2024-01-15/B04/${z + 1}/${2 * x + dx}/${2 * y + dy}.png?colormap=plasma`)).arrayBuffer()));
    const again = origin.requests.map((r) => r.range?.join('-'));
    assert.equal(new Set(again).size, again.length, 'neighbours in flight together fetch each block once');
  });

  it('JSON documents carry an ETag of their body and answer 304', async () => {
    const res = await get('/metadata/S2/2024-01-15/B04');
    await res.arrayBuffer();
    const etag = res.headers.get('etag')!;
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.equal((await get('/metadata/S2/2024-01-15/B04', { headers: { 'if-none-match': etag } })).status, 304);
  });

  it('HEAD answers every GET route with its headers and no body', async () => {
    for (const path of ['/keys', `/singleband/S2/2024-01-15/B04/${tile}.png`, '/singleband/S2/2024-01-15/B04/tilejson.json', '/openapi.json']) {
      const getRes = await get(path, { headers: { 'accept-encoding': 'identity' } });
      const body = await getRes.arrayBuffer();
      const head = await get(path, { method: 'HEAD', headers: { 'accept-encoding': 'identity' } });
      assert.equal(head.status, 200, path);
      assert.equal((await head.arrayBuffer()).byteLength, 0);
      assert.equal(head.headers.get('etag'), getRes.headers.get('etag'), path);
      assert.equal(head.headers.get('content-type'), getRes.headers.get('content-type'));
      if (path.endsWith('.png')) assert.equal(head.headers.get('content-length'), String(body.byteLength));
    }
    assert.equal((await get('/singleband/S2/2024-01-15/B99/1/0/0.png', { method: 'HEAD' })).status, 404);
  });

  it('gzips JSON and XML for clients that accept it, never images', async () => {
    const gz = await get('/openapi.json', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gz.headers.get('content-encoding'), 'gzip');
    assert.match(gz.headers.get('vary') ?? '', /Accept-Encoding/i);
    const spec = await gz.json();
    assert.equal(spec.openapi, '3.1.0');
    const plain = await get('/openapi.json', { headers: { 'accept-encoding': 'identity' } });
    assert.equal(plain.headers.get('content-encoding'), null);
    assert.deepEqual(await plain.json(), spec);
    const xml = await get('/wmts/WMTSCapabilities.xml', { headers: { 'accept-encoding': 'gzip;q=1, br;q=0.5' } });
    assert.equal(xml.headers.get('content-encoding'), 'gzip');
    assert.match(await xml.text(), /<Capabilities/);
    const png = await get(`/singleband/S2/2024-01-15/B04/${tile}.png`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(png.headers.get('content-encoding'), null);
    await png.arrayBuffer();
  });

  it('CORS headers and Vary reach every kind of answer: images, gzipped documents, 304s, errors', async () => {
    const origin = { origin: 'https://map.example' };
    const png = await get(`/singleband/S2/2024-01-15/B04/${tile}.png`, { headers: origin });
    assert.equal(png.headers.get('access-control-allow-origin'), '*');
    assert.equal(png.headers.get('content-type'), 'image/png');
    assert.equal(Number(png.headers.get('content-length')), (await png.arrayBuffer()).byteLength);
    const gz = await get('/openapi.json', { headers: { ...origin, 'accept-encoding': 'gzip' } });
    assert.equal(gz.headers.get('content-encoding'), 'gzip');
    assert.equal(gz.headers.get('access-control-allow-origin'), '*');
    assert.match(gz.headers.get('vary') ?? '', /Accept-Encoding/i);
    await gz.arrayBuffer();
    const again = await get(`/singleband/S2/2024-01-15/B04/${tile}.png`, { headers: { ...origin, 'if-none-match': png.headers.get('etag')! } });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('access-control-allow-origin'), '*');
    const missing = await get('/singleband/S2/2024-01-15/B99/1/0/0.png', { headers: origin });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('access-control-allow-origin'), '*');
    assert.match(missing.headers.get('access-control-expose-headers') ?? '', /ETag/);
    assert.equal((await missing.json()).message.length > 0, true);
  });

  it('CORS: * by default with preflight; an allow-list echoes only listed origins', async () => {
    const res = await get('/keys', { headers: { origin: 'https://map.example' } });
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.match(res.headers.get('access-control-expose-headers') ?? '', /ETag/);
    const pre = await get(`/singleband/S2/2024-01-15/B04/${tile}.png`, { method: 'OPTIONS', headers: { origin: 'https://map.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'if-none-match' } });
    assert.equal(pre.status, 204);
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /GET/);
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /If-None-Match/i);
    const listed = await startApi(catalog.uri, { cors: ['https://ok.example'] });
    try {
      const ok = await fetch(`${listed.url}/keys`, { headers: { origin: 'https://ok.example' } });
      assert.equal(ok.headers.get('access-control-allow-origin'), 'https://ok.example');
      assert.match(ok.headers.get('vary') ?? '', /Origin/);
      const no = await fetch(`${listed.url}/keys`, { headers: { origin: 'https://evil.example' } });
      assert.equal(no.headers.get('access-control-allow-origin'), null);
      const err = await fetch(`${listed.url}/nope`, { headers: { origin: 'https://ok.example' } });
      assert.equal(err.status, 404);
      assert.equal(err.headers.get('access-control-allow-origin'), 'https://ok.example', 'errors are readable cross-origin too');
    } finally {
      await listed.stop();
    }
  });

  it('a base path is stripped in one place and added to every link; Cache-Control is configurable', async () => {
    const staged = await startApi(catalog.uri, { basePath: '/release/', cacheControl: 'public, max-age=60' });
    try {
      assert.equal((await fetch(`${staged.url}/release/keys`)).status, 200);
      assert.equal((await fetch(`${staged.url}/keys`)).status, 200, 'gateways that already stripped it still work');
      const tj = await (await fetch(`${staged.url}/release/singleband/S2/2024-01-15/B04/tilejson.json`)).json() as { tiles: string[] };
      assert.equal(tj.tiles[0], `${staged.url}/release/singleband/S2/2024-01-15/B04/{z}/{x}/{y}.png`);
      const t = await fetch(`${staged.url}/release/singleband/S2/2024-01-15/B04/${tile}.png`);
      await t.arrayBuffer();
      assert.equal(t.headers.get('cache-control'), 'public, max-age=60');
      assert.match(await (await fetch(`${staged.url}/release/apidoc`)).text(), /fetch\('openapi\.json'\)/);
      assert.equal((await fetch(`${staged.url}/release/openapi.json`)).status, 200);
    } finally {
      await staged.stop();
    }
    const pub = await startApi(catalog.uri, { publicUrl: 'https://tiles.example.com/v1/' });
    try {
      const tj = await (await fetch(`${pub.url}/singleband/S2/2024-01-15/B04/tilejson.json`)).json() as { tiles: string[] };
      assert.equal(tj.tiles[0], 'https://tiles.example.com/v1/singleband/S2/2024-01-15/B04/{z}/{x}/{y}.png');
    } finally {
      await pub.stop();
    }
  });

  it('an object replaced after ingest is a 502 asking to re-ingest, and a re-ingest is seen at once', async () => {
    const b02 = DATASETS.find((d) => d.keys[2] === 'B02')!;
    const path = `/singleband/S2/2024-01-15/B02/${tile}.png?colormap=cividis`;
    origin.objects.get(b02.path)!.etag = '"replaced"';
    const res = await get(path);
    const body = await res.json() as { message: string };
    assert.equal(res.status, 502);
    assert.match(body.message, /changed since it was ingested.*re-ingest/);
    assert.doesNotMatch(body.message, /127\.0\.0\.1|\/s2\//);
    assert.match(lastLog().error ?? '', /ObjectChangedError/);
    const writer = await openCatalog(catalog.uri);
    await ingestObject(writer, `${origin.url}${b02.path}`, b02.keys);
    await writer.close();
    assert.equal((await get(path)).status, 200);
  });

  it('origin failures are 502, timeouts 504, an unreachable catalog 503 with Retry-After', async () => {
    const noRetry = await startApi(catalog.uri, { openSource: (l) => openSource(l, { retry: { retries: 0 } }) });
    try {
      origin.failing.set('/s2/B08.tif', 500);
      const res = await fetch(`${noRetry.url}/singleband/S2/2024-01-15/B08/${tile}.png`);
      assert.equal(res.status, 502);
      const { message } = await res.json() as { message: string };
      assert.match(message, /object store failed \(HTTP 500\)/);
      assert.doesNotMatch(message, /127\.0\.0\.1/);
    } finally {
      origin.failing.clear();
      await noRetry.stop();
    }
    const slow = (l: string): Source => ({ location: l, read: () => Promise.reject(new SourceTimeoutError(l, 10)), head: () => Promise.reject(new SourceTimeoutError(l, 10)) });
    const timing = await startApi(catalog.uri, { openSource: slow });
    try {
      const res = await fetch(`${timing.url}/singleband/S2/2024-01-15/B04/${tile}.png`);
      assert.equal(res.status, 504);
      assert.doesNotMatch((await res.json() as { message: string }).message, /127\.0\.0\.1/);
    } finally {
      await timing.stop();
    }
    const down = { uri: 'mysql://db', keys: () => Promise.reject(new CatalogError('MySQL catalog unavailable at 10.0.0.5:3306 (ECONNREFUSED)', 'unavailable')) } as unknown as Catalog;
    const res = await createApi({ catalog: down }).fetch(new Request('http://x/keys'));
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '5');
    assert.doesNotMatch((await res.json() as { message: string }).message, /10\.0\.0\.5/);
  });
});
