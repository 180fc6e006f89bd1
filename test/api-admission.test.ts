/**
 * Admission control (issue #13): at most maxInFlight renders at once, a bounded queue behind them
 * with a bounded wait, then 503 + Retry-After; cached tiles, 304s, documents and /healthz answer
 * while every render slot is taken. Renders are held in flight by an origin that answers only when
 * the test lets it, so nothing here depends on timing but the wait bound itself. The same limits
 * reach the functions through TAOGUAN_MAX_IN_FLIGHT / _MAX_QUEUE / _MAX_WAIT_MS.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { limitsFor } from '../lib/api/admission.ts';
import { makeCatalog, Origin, startApi, TILE, QUERY } from './api-harness.ts';

const tile = (z: number, x: number, y: number, band = 'B04') => `/singleband/S2/2024-01-15/${band}/${z}/${x}/${y}.png?colormap=viridis`;

/** Until the origin has been asked (a render is then in flight, held at the gate). */
async function asked(origin: Origin): Promise<void> {
  for (let i = 0; origin.requests.length === 0; i++) {
    if (i > 1000) throw new Error('the render never reached the origin');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('admission control', () => {
  const origin = new Origin();
  let catalog: Awaited<ReturnType<typeof makeCatalog>>;
  let api: Awaited<ReturnType<typeof startApi>>;
  const get = (path: string, init?: RequestInit) => fetch(`${api.url}${path}`, init);

  before(async () => {
    await origin.start();
    catalog = await makeCatalog(origin);
    api = await startApi(catalog.uri, { maxInFlight: 1, maxQueue: 1, maxWaitMs: 1500 });
  });
  after(async () => {
    origin.gate = undefined;
    await api.stop();
    await origin.stop();
    await catalog.close();
  });

  it('one render at a time, one waiting, the next refused with 503 + Retry-After; cheap answers go on meanwhile', async () => {
    // a tile rendered and cached before the slot is taken, with its ETag (another object: B04's blocks stay cold)
    const cachedPath = tile(12, 3372, 1552, 'B08');
    const cached = await get(cachedPath);
    assert.equal(cached.status, 200);
    const etag = cached.headers.get('etag')!;
    const cachedBytes = new Uint8Array(await cached.arrayBuffer());

    let open!: () => void;
    origin.gate = new Promise<void>((r) => (open = r));
    origin.reset();
    // other tiles: their blocks are not cached, so each render waits on the gated origin
    const running = get(tile(15, 26978, 12416));
    await asked(origin);
    const waiting = get(tile(15, 26980, 12418));
    await new Promise((r) => setTimeout(r, 100));
    const refused = await get(tile(15, 26982, 12419));
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.match((await refused.json() as { message: string }).message, /busy \(1 renders running and 1 waiting\)/);

    const health = await get('/healthz');
    assert.equal(health.status, 200);
    const h = await health.json() as { status: string; version: string; renders: Record<string, number> };
    assert.equal(h.status, 'ok');
    assert.match(h.version, /^\d+\.\d+\.\d+/);
    assert.deepEqual({ inFlight: h.renders.inFlight, queued: h.renders.queued, maxInFlight: h.renders.maxInFlight }, { inFlight: 1, queued: 1, maxInFlight: 1 });
    const hit = await get(cachedPath);
    assert.equal(hit.status, 200, 'a cached tile needs no slot');
    assert.deepEqual(new Uint8Array(await hit.arrayBuffer()), cachedBytes);
    assert.equal((await get(cachedPath, { headers: { 'if-none-match': etag } })).status, 304);
    assert.equal((await get('/keys')).status, 200);

    // the waiter gives up after maxWaitMs, while the slot is still held
    const late = await waiting;
    assert.equal(late.status, 503);
    assert.equal(late.headers.get('retry-after'), '1');
    assert.match((await late.json() as { message: string }).message, /no render slot of 1 came free in 1500 ms/);

    open();
    origin.gate = undefined;
    const first = await running;
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('content-type'), 'image/png');
    // the slot came back: the refused tile renders now, and nothing is left counted
    assert.equal((await get(tile(15, 26982, 12419))).status, 200);
    const after = await (await get('/healthz')).json() as { renders: Record<string, number> };
    assert.deepEqual([after.renders.inFlight, after.renders.queued, after.renders.refused], [0, 0, 2]);
    assert.ok(api.logs.some((l) => l.status === 503 && /busy/.test(l.error ?? '')), 'a 503 has its log line');
  });

  it('/healthz is public with access control on, reads nothing, and is never cached', async () => {
    const guarded = await startApi(catalog.uri, { access: { apiKeys: ['k'.repeat(20)] } });
    try {
      assert.equal((await fetch(`${guarded.url}/keys`)).status, 401);
      const r = await fetch(`${guarded.url}/healthz`);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('cache-control'), 'no-store');
      assert.equal(guarded.spy.queries, 0, 'no catalog query');
    } finally {
      await guarded.stop();
    }
  });
});

describe('admission limits', () => {
  it('default from the memory a process may use: a render per 32 MiB, 1 to 16', () => {
    assert.deepEqual(limitsFor(128), { maxInFlight: 4, maxQueue: 16, maxWaitMs: 5000 });
    assert.equal(limitsFor(64).maxInFlight, 2);
    assert.equal(limitsFor(20).maxInFlight, 1);
    assert.equal(limitsFor(256).maxInFlight, 8);
    assert.equal(limitsFor(24 * 1024).maxInFlight, 16);
    assert.deepEqual(limitsFor(512, { maxInFlight: 2 }), { maxInFlight: 2, maxQueue: 8, maxWaitMs: 5000 });
    assert.throws(() => limitsFor(512, { maxInFlight: 0 }), /maxInFlight: expected a whole number from 1/);
  });

  it('functions: TAOGUAN_MAX_IN_FLIGHT / _MAX_QUEUE / _MAX_WAIT_MS, checked at cold start', async () => {
    const { tilesConfig, ConfigError } = await import('../functions/config.ts');
    const base = { TAOGUAN_CATALOG: 'sqlite:/tmp/c.db' };
    assert.deepEqual(tilesConfig({ ...base, TAOGUAN_MAX_IN_FLIGHT: '3', TAOGUAN_MAX_QUEUE: '0', TAOGUAN_MAX_WAIT_MS: '250' }).admission, { maxInFlight: 3, maxQueue: 0, maxWaitMs: 250 });
    assert.deepEqual(tilesConfig(base).admission, { maxInFlight: undefined, maxQueue: undefined, maxWaitMs: undefined });
    for (const [name, bad] of [['TAOGUAN_MAX_IN_FLIGHT', '0'], ['TAOGUAN_MAX_QUEUE', '-1'], ['TAOGUAN_MAX_WAIT_MS', 'soon']]) {
      assert.throws(() => tilesConfig({ ...base, [name]: bad }), (e: Error) => e instanceof ConfigError && e.message.includes(name));
    }
  });

  it('an FC 3.0 instance handed two renders at once with TAOGUAN_MAX_IN_FLIGHT=1, no queue: one 200, one 503', async () => {
    const origin = new Origin();
    await origin.start();
    const catalog = await makeCatalog(origin);
    Object.assign(process.env, { TAOGUAN_CATALOG: catalog.uri, TAOGUAN_MAX_IN_FLIGHT: '1', TAOGUAN_MAX_QUEUE: '0', TAOGUAN_ALLOW_PRIVATE_HOSTS: '1' });
    try {
      const [{ tilesEntry }, { aliyunFc }] = await Promise.all([import('../functions/tiles.ts'), import('../adapters/aliyun-fc.ts')]);
      const handler = tilesEntry(aliyunFc) as (event: string) => Promise<{ statusCode: number; headers: Record<string, string> }>;
      const event = (path: string) => JSON.stringify({ version: 'v1', rawPath: path, headers: {}, queryParameters: QUERY, requestContext: { http: { method: 'GET', path } } });
      let open!: () => void;
      origin.gate = new Promise<void>((r) => (open = r));
      const first = handler(event(TILE));
      await asked(origin);
      const second = await handler(event(TILE.replace('/0/0/0.png', '/1/1/0.png')));
      assert.equal(second.statusCode, 503);
      assert.equal(second.headers['retry-after'], '1');
      open();
      assert.equal((await first).statusCode, 200);
    } finally {
      for (const k of ['TAOGUAN_CATALOG', 'TAOGUAN_MAX_IN_FLIGHT', 'TAOGUAN_MAX_QUEUE', 'TAOGUAN_ALLOW_PRIVATE_HOSTS']) delete process.env[k];
      origin.gate = undefined;
      await catalog.close();
      await origin.stop();
    }
  });
});
