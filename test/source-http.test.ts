import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import { readRanges } from '../lib/source/coalesce.ts';
import { HttpSource } from '../lib/source/http.ts';
import { RecordingSource } from '../lib/source/record.ts';
import { withRetry } from '../lib/source/retry.ts';
import { ObjectChangedError, SourceError, SourceTimeoutError } from '../lib/source/source.ts';

const data = Uint8Array.from({ length: 256 * 1024 }, (_, i) => (i * 31 + (i >> 8)) % 256);

type Fault = '503' | 'reset' | 'cut' | 'short' | 'slow' | 'whole' | 'no-head' | 'ignore-if-match';
interface Hit {
  method: string;
  range?: string;
  ifMatch?: string;
  oss?: string;
}

/** What the origin does: the object, its ETag, and a fault injected for the next `times` requests. */
const origin = { etag: '"v1"', fault: undefined as Fault | undefined, times: 0, slowMs: 2_000, hits: [] as Hit[] };
const timers = new Set<NodeJS.Timeout>();
let server: Server;
let url = '';

function serve(req: IncomingMessage, res: ServerResponse): void {
  const hit: Hit = { method: req.method ?? '' };
  if (req.headers.range) hit.range = req.headers.range;
  if (req.headers['if-match']) hit.ifMatch = String(req.headers['if-match']);
  if (req.headers['x-oss-range-behavior']) hit.oss = String(req.headers['x-oss-range-behavior']);
  origin.hits.push(hit);
  const fault = origin.times > 0 ? origin.fault : origin.fault === 'no-head' || origin.fault === 'ignore-if-match' ? origin.fault : undefined;
  if (origin.times > 0) origin.times--;
  if (fault === '503') return void res.writeHead(503).end('busy');
  if (fault === 'reset') return void req.socket.destroy();
  if (fault === 'slow') {
    const t = setTimeout(() => {
      timers.delete(t);
      answer(req, res, undefined);
    }, origin.slowMs);
    timers.add(t);
    return;
  }
  answer(req, res, fault);
}

function answer(req: IncomingMessage, res: ServerResponse, fault: Fault | undefined): void {
  if (req.url !== '/cog.tif') return void res.writeHead(404).end();
  if (req.method === 'HEAD' && fault === 'no-head') return void res.writeHead(405).end();
  const ifMatch = req.headers['if-match'];
  if (ifMatch && ifMatch !== origin.etag && fault !== 'ignore-if-match') return void res.writeHead(412, { etag: origin.etag }).end();
  const headers = { etag: origin.etag, 'accept-ranges': 'bytes', 'last-modified': 'Tue, 01 Apr 2025 00:00:00 GMT' };
  const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
  if (!m || fault === 'whole') {
    res.writeHead(200, { ...headers, 'content-length': data.length });
    return void res.end(req.method === 'HEAD' ? undefined : data);
  }
  const start = Number(m[1]);
  if (start >= data.length) return void res.writeHead(416, { 'content-range': `bytes */${data.length}` }).end();
  const end = Math.min(Number(m[2]), data.length - 1);
  const body = data.subarray(start, end + 1);
  const contentRange = `bytes ${start}-${end}/${data.length}`;
  if (fault === 'short') {
    // Correct Content-Range, but the body (and its Content-Length) is half of it.
    res.writeHead(206, { ...headers, 'content-range': contentRange, 'content-length': Math.floor(body.length / 2) });
    return void res.end(body.subarray(0, Math.floor(body.length / 2)));
  }
  res.writeHead(206, { ...headers, 'content-range': contentRange, 'content-length': body.length });
  if (fault === 'cut') {
    res.write(body.subarray(0, body.length >> 1));
    return void setImmediate(() => req.socket.destroy());
  }
  res.end(body);
}

before(async () => {
  server = createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cog.tif`;
});

after(async () => {
  for (const t of timers) clearTimeout(t);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  Object.assign(origin, { etag: '"v1"', fault: undefined, times: 0, slowMs: 2_000, hits: [] });
});

function inject(fault: Fault, times = 1): void {
  origin.fault = fault;
  origin.times = times;
}

const fast = { baseDelayMs: 5, maxDelayMs: 20 };
const isStatus = (status: number, retryable = false) => (e: unknown) => e instanceof SourceError && e.status === status && e.retryable === retryable;

test('a range read sends Range and x-oss-range-behavior and checks Content-Range', async () => {
  const source = new HttpSource(url);
  const { bytes, info } = await source.read(1000, 500);
  assert.deepEqual(bytes, data.subarray(1000, 1500));
  assert.deepEqual(info, { size: data.length, etag: '"v1"', lastModified: '2025-04-01T00:00:00.000Z' });
  assert.deepEqual(origin.hits, [{ method: 'GET', range: 'bytes=1000-1499', oss: 'standard' }]);
  const tail = await source.read(data.length - 10, 100);
  assert.deepEqual(tail.bytes, data.subarray(data.length - 10));
});

test('readRanges makes exactly the planned requests', async () => {
  const source = new RecordingSource(withRetry(new HttpSource(url)));
  const ranges = [
    { offset: 100_000, length: 10 },
    { offset: 0, length: 100 },
    { offset: 150, length: 50 },
    { offset: 100_005, length: 10 },
    { offset: 5_000, length: 0 },
    { offset: 200_000, length: 1_000 },
  ];
  const out = await readRanges(source, ranges, { maxGap: 64, concurrency: 2 });
  ranges.forEach((r, i) => assert.deepEqual(out[i], data.subarray(r.offset, r.offset + r.length)));
  const sent = origin.hits.map((h) => h.range).sort();
  assert.deepEqual(sent, ['bytes=0-199', 'bytes=100000-100014', 'bytes=200000-200999']);
  assert.deepEqual(source.requests.map((r) => [r.offset, r.length, r.bytes]).sort((a, b) => a[0] - b[0]), [[0, 200, 200], [100_000, 15, 15], [200_000, 1_000, 1_000]]);
  assert.equal(source.count, 3);
});

test('an offset past the end is a clear, non-retried 416', async () => {
  const source = withRetry(new HttpSource(url), fast);
  await assert.rejects(source.read(data.length, 10), (e: unknown) => isStatus(416)(e) && /past the end of a 262144-byte object/.test((e as Error).message));
  assert.equal(origin.hits.length, 1);
});

test('503s are retried, and the retries are bounded', async () => {
  inject('503', 2);
  const retries: number[] = [];
  const source = withRetry(new HttpSource(url), { ...fast, onRetry: (_e, attempt) => retries.push(attempt) });
  assert.deepEqual((await source.read(0, 10)).bytes, data.subarray(0, 10));
  assert.equal(origin.hits.length, 3);
  assert.deepEqual(retries, [1, 2]);

  origin.hits = [];
  inject('503', 100);
  await assert.rejects(source.read(0, 10), isStatus(503, true));
  assert.equal(origin.hits.length, 4, 'one attempt and three retries');
});

test('the total time bound stops retries early', async () => {
  inject('503', 100);
  const source = withRetry(new HttpSource(url), { retries: 50, baseDelayMs: 40, maxDelayMs: 40, totalMs: 150 });
  const t0 = performance.now();
  await assert.rejects(source.read(0, 10), isStatus(503, true));
  // Bounds with slack for a loaded CI machine: the point is stopping far short of 50 retries.
  assert.ok(performance.now() - t0 < 1500);
  assert.ok(origin.hits.length >= 1 && origin.hits.length <= 8, `${origin.hits.length} attempts`);
});

test('a reset connection and a body cut short are retried', async () => {
  const raw = new HttpSource(url);
  const source = withRetry(raw, fast);
  inject('reset');
  assert.deepEqual((await source.read(10, 10)).bytes, data.subarray(10, 20));
  assert.equal(origin.hits.length, 2);

  inject('cut');
  await assert.rejects(raw.read(0, 100_000), (e: unknown) => e instanceof SourceError && e.retryable);
  inject('cut');
  assert.deepEqual((await source.read(0, 100_000)).bytes, data.subarray(0, 100_000));
});

test('fewer bytes than the Content-Range promised is a retryable short read', async () => {
  const raw = new HttpSource(url);
  inject('short');
  await assert.rejects(raw.read(0, 1000), (e: unknown) => e instanceof SourceError && e.retryable && /short read, got 500 of 1000/.test(e.message));
  inject('short');
  assert.deepEqual((await withRetry(raw, fast).read(0, 1000)).bytes, data.subarray(0, 1000));
});

test('a slow origin gives SourceTimeoutError within the bound', async () => {
  inject('slow', 100);
  const once = withRetry(new HttpSource(url), { retries: 0, timeoutMs: 100 });
  let t0 = performance.now();
  await assert.rejects(once.read(0, 10), SourceTimeoutError);
  assert.ok(performance.now() - t0 < 1_000);

  origin.hits = [];
  const bounded = withRetry(new HttpSource(url), { ...fast, retries: 10, timeoutMs: 100, totalMs: 350 });
  t0 = performance.now();
  await assert.rejects(bounded.read(0, 10), SourceTimeoutError);
  const ms = performance.now() - t0;
  assert.ok(ms >= 300 && ms < 1_000, `${ms} ms`);
  assert.ok(origin.hits.length >= 3 && origin.hits.length <= 5, `${origin.hits.length} attempts`);
});

test('a timed-out attempt is retried and can succeed', async () => {
  inject('slow', 1);
  const source = withRetry(new HttpSource(url), { ...fast, timeoutMs: 150 });
  assert.deepEqual((await source.read(0, 10)).bytes, data.subarray(0, 10));
  assert.equal(origin.hits.length, 2);
});

test('If-Match is sent; a changed object is ObjectChangedError and never retried', async () => {
  const source = withRetry(new HttpSource(url), fast);
  await source.read(0, 10, { etag: '"v1"' });
  assert.equal(origin.hits[0].ifMatch, '"v1"');
  origin.etag = '"v2"';
  origin.hits = [];
  await assert.rejects(source.read(0, 10, { etag: '"v1"' }), ObjectChangedError);
  assert.equal(origin.hits.length, 1);
  await assert.rejects(source.head({ etag: '"v1"' }), ObjectChangedError);
});

test('an origin that ignores If-Match is caught by the response ETag', async () => {
  inject('ignore-if-match');
  origin.etag = '"v2"';
  await assert.rejects(new HttpSource(url).read(0, 10, { etag: '"v1"' }), /ETag "v1" → "v2"/);
});

test('a weak ETag is compared, not sent as If-Match', async () => {
  origin.etag = 'W/"w1"';
  const source = new HttpSource(url);
  await source.read(0, 10, { etag: 'W/"w1"' });
  assert.equal(origin.hits[0].ifMatch, undefined);
  await assert.rejects(source.read(0, 10, { etag: 'W/"w0"' }), ObjectChangedError);
});

test('the caller aborting stops a slow request and a backoff wait at once', async () => {
  inject('slow', 100);
  const source = withRetry(new HttpSource(url), { timeoutMs: 5_000 });
  let t0 = performance.now();
  await assert.rejects(source.read(0, 10, { signal: AbortSignal.timeout(100) }), { name: 'TimeoutError' });
  assert.ok(performance.now() - t0 < 1_000);

  inject('503', 100);
  origin.hits = [];
  const patient = withRetry(new HttpSource(url), { baseDelayMs: 5_000, maxDelayMs: 5_000 });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  t0 = performance.now();
  await assert.rejects(patient.read(0, 10, { signal: controller.signal }), { name: 'AbortError' });
  assert.ok(performance.now() - t0 < 1_000);
  assert.equal(origin.hits.length, 1, 'no retry after the abort');
});

test('a 200 with the whole object is sliced when small enough, refused otherwise', async () => {
  inject('whole', 2);
  const source = new HttpSource(url);
  const { bytes, info } = await source.read(5_000, 20);
  assert.deepEqual(bytes, data.subarray(5_000, 5_020));
  assert.equal(info.size, data.length);
  assert.equal(source.wholeResponses, 1);
  await assert.rejects(new HttpSource(url, { maxWholeBody: 1_000 }).read(0, 10), (e: unknown) => isStatus(200)(e) && /ignored Range/.test((e as Error).message));
});

test('head uses HEAD, and falls back to a 1-byte GET when HEAD is refused', async () => {
  const source = new HttpSource(url, { headers: { 'x-extra': '1' } });
  assert.deepEqual(await source.head(), { size: data.length, etag: '"v1"', lastModified: '2025-04-01T00:00:00.000Z' });
  assert.deepEqual(origin.hits.map((h) => h.method), ['HEAD']);
  inject('no-head');
  origin.hits = [];
  assert.equal((await source.head()).size, data.length);
  assert.deepEqual(origin.hits.map((h) => [h.method, h.range]), [['HEAD', undefined], ['GET', 'bytes=0-0']]);
});

test('a missing object is a non-retried 404; the location hides the query string', async () => {
  const source = withRetry(new HttpSource(url.replace('cog.tif', 'nope.tif?signature=secret')), fast);
  assert.equal(source.location.includes('secret'), false);
  await assert.rejects(source.read(0, 10), (e: unknown) => isStatus(404)(e) && !(e as Error).message.includes('secret'));
  assert.equal(origin.hits.length, 1);
});
