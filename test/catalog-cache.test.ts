import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import sqlite3 from 'node-sqlite3-wasm';
import { CachedCatalog, estimateBytes } from '../lib/catalog/cache.ts';
import type { Catalog, CatalogInfo, DatasetRecord, KeySpec, Lookup, PutResult } from '../lib/catalog/catalog.ts';
import { CatalogError } from '../lib/catalog/catalog.ts';
import { openCatalog } from '../lib/catalog/open.ts';
import { SqliteCatalog } from '../lib/catalog/stores/sqlite.ts';
import { catalogContract, sampleRecord } from './catalog-contract.ts';

/** A store in a Map that counts its calls; `gate` holds gets back, `fail` makes the next ones throw. */
class SpyStore implements Catalog {
  readonly uri = 'spy:';
  readonly rows = new Map<string, DatasetRecord>();
  calls = { get: 0, put: 0, delete: 0, keys: 0, lookup: 0 };
  gate?: Promise<void>;
  fail = 0;
  /** Thrown by every read while set (after the gate). */
  outage?: CatalogError;

  async create(): Promise<void> {}
  async keys(): Promise<KeySpec[]> {
    this.calls.keys++;
    if (this.outage) throw this.outage;
    return [{ name: 'band' }];
  }
  async put(record: DatasetRecord): Promise<PutResult> {
    this.calls.put++;
    const had = this.rows.has(record.keys.join('/'));
    this.rows.set(record.keys.join('/'), record);
    return had ? 'updated' : 'inserted';
  }
  async get(keys: string[]): Promise<DatasetRecord | undefined> {
    this.calls.get++;
    await this.gate;
    if (this.outage) throw this.outage;
    if (this.fail > 0) {
      this.fail--;
      throw new CatalogError('store down', 'unavailable');
    }
    return this.rows.get(keys.join('/'));
  }
  async lookup(values: string[]): Promise<Lookup> {
    this.calls.lookup++;
    await this.gate;
    if (this.fail > 0) {
      this.fail--;
      throw new CatalogError('store down', 'unavailable');
    }
    return { keys: [{ name: 'band' }], record: values.length === 1 ? this.rows.get(values[0]) : undefined };
  }
  async delete(keys: string[]): Promise<boolean> {
    this.calls.delete++;
    return this.rows.delete(keys.join('/'));
  }
  async list() { return []; }
  async count() { return this.rows.size; }
  async info(): Promise<CatalogInfo> { return { uri: this.uri, schemaVersion: 1, keys: await this.keys(), datasets: this.rows.size }; }
  async migrate() { return { from: 1, to: 1 }; }
  async close() {}
}

function spy(options?: ConstructorParameters<typeof CachedCatalog>[1]) {
  const store = new SpyStore();
  return { store, cache: new CachedCatalog(store, options) };
}

describe('CachedCatalog', () => {
  it('answers a repeated get from memory, with no store query', async () => {
    const { store, cache } = spy();
    await cache.put(sampleRecord(['B04']));
    const first = await cache.get(['B04']);
    for (let i = 0; i < 100; i++) assert.equal(await cache.get(['B04']), first);
    assert.equal(store.calls.get, 1);
    assert.deepEqual({ ...cache.stats, bytes: 0 }, { hits: 100, negativeHits: 0, misses: 1, queries: 1, evictions: 0, entries: 1, bytes: 0 });
    assert.ok(cache.stats.bytes > 0);
  });

  it('is bounded in bytes, evicting the least recently used', async () => {
    const size = estimateBytes(sampleRecord(['B01']));
    const { store, cache } = spy({ maxBytes: size * 3 });
    for (const b of ['B01', 'B02', 'B03']) {
      await store.put(sampleRecord([b]));
      await cache.get([b]);
    }
    await cache.get(['B01']); // B01 is now the most recent; B02 the least
    await store.put(sampleRecord(['B04']));
    await cache.get(['B04']);
    assert.equal(cache.stats.entries, 3);
    assert.equal(cache.stats.evictions, 1);
    assert.ok(cache.stats.bytes <= size * 3);
    const before = store.calls.get;
    await cache.get(['B01']);
    await cache.get(['B03']);
    assert.equal(store.calls.get, before, 'B01 and B03 stayed');
    await cache.get(['B02']);
    assert.equal(store.calls.get, before + 1, 'B02 was evicted');
  });

  it('does not keep a record larger than the whole budget', async () => {
    const { store, cache } = spy({ maxBytes: 1000 });
    await store.put(sampleRecord(['B01']));
    await cache.get(['B01']);
    await cache.get(['B01']);
    assert.equal(store.calls.get, 2);
    assert.equal(cache.stats.bytes, 0);
  });

  it('put and delete invalidate', async () => {
    const { store, cache } = spy();
    await cache.put(sampleRecord(['B04']));
    assert.equal((await cache.get(['B04']))?.etag, sampleRecord(['B04']).etag);
    await cache.put(sampleRecord(['B04'], { etag: '"v2"' }));
    assert.equal((await cache.get(['B04']))?.etag, '"v2"');
    await cache.delete(['B04']);
    assert.equal(await cache.get(['B04']), undefined);
    assert.equal(store.calls.get, 3);
  });

  it('remembers a miss briefly and boundedly, and a put ends it', async () => {
    const { store, cache } = spy({ missTtlMs: 50, maxMisses: 2 });
    for (let i = 0; i < 10; i++) assert.equal(await cache.get(['none']), undefined);
    assert.equal(store.calls.get, 1);
    assert.equal(cache.stats.negativeHits, 9);
    await new Promise((r) => setTimeout(r, 60));
    await cache.get(['none']);
    assert.equal(store.calls.get, 2, 'asked again after missTtlMs');

    await cache.get(['x1']);
    await cache.get(['x2']); // over maxMisses: the oldest remembered miss ("none") is dropped
    await cache.get(['none']);
    assert.equal(store.calls.get, 5);

    await cache.put(sampleRecord(['x2']));
    assert.ok(await cache.get(['x2']), 'a put ends the remembered miss');
  });

  it('shares one store query among concurrent gets of one dataset', async () => {
    const { store, cache } = spy();
    await store.put(sampleRecord(['B04']));
    let open!: () => void;
    store.gate = new Promise((r) => { open = r; });
    const gets = Array.from({ length: 50 }, () => cache.get(['B04']));
    const other = cache.get(['B05']);
    open();
    const records = await Promise.all(gets);
    assert.equal(await other, undefined);
    assert.equal(store.calls.get, 2, 'one query for B04, one for B05');
    assert.ok(records.every((r) => r === records[0] && r));
  });

  it('does not cache a store failure, and passes it to every waiter', async () => {
    const { store, cache } = spy({ backoffMs: 0, log: () => undefined }); // asked again at once, not after a back-off
    await store.put(sampleRecord(['B04']));
    store.fail = 1;
    const results = await Promise.allSettled([cache.get(['B04']), cache.get(['B04'])]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    assert.equal(store.calls.get, 1);
    assert.ok(await cache.get(['B04']), 'the next get asks again');
    assert.equal(store.calls.get, 2);
  });

  it('does not cache what a get read while a put was under way', async () => {
    const { store, cache } = spy();
    await store.put(sampleRecord(['B04'], { etag: '"old"' }));
    let open!: () => void;
    store.gate = new Promise((r) => { open = r; });
    const stale = cache.get(['B04']);
    const put = cache.put(sampleRecord(['B04'], { etag: '"new"' }));
    open();
    await Promise.all([stale, put]);
    store.gate = undefined;
    assert.equal((await cache.get(['B04']))?.etag, '"new"');
  });

  it('expires records after ttlMs, and invalidate() forgets at once', async () => {
    const { store, cache } = spy({ ttlMs: 30 });
    await store.put(sampleRecord(['B04']));
    await cache.get(['B04']);
    await new Promise((r) => setTimeout(r, 40));
    await cache.get(['B04']);
    assert.equal(store.calls.get, 2);
    cache.invalidate(['B04']);
    await cache.get(['B04']);
    assert.equal(store.calls.get, 3);
  });

  it('asks the store for key names once', async () => {
    const { store, cache } = spy();
    await cache.keys();
    await cache.keys();
    assert.equal(store.calls.keys, 1);
  });

  it('cold, a lookup is one store query that fills both the key and the record cache', async () => {
    const { store, cache } = spy();
    await store.put(sampleRecord(['B04']));
    const found = await cache.lookup(['B04']);
    assert.deepEqual(found.keys, [{ name: 'band' }]);
    assert.equal(found.record?.keys[0], 'B04');
    assert.deepEqual(store.calls, { get: 0, put: 1, delete: 0, keys: 0, lookup: 1 });
    assert.equal(await cache.get(['B04']), found.record, 'the record was cached');
    assert.deepEqual(await cache.keys(), [{ name: 'band' }]);
    const warm = await cache.lookup(['B04']);
    assert.equal(warm.record, found.record);
    assert.equal(await (await cache.lookup(['B05'])).record, undefined);
    assert.equal(store.calls.lookup + store.calls.keys, 1, 'key names known: no more lookups, no keys query');
    assert.equal(store.calls.get, 1, 'an uncached dataset, once the keys are known, is a plain get');
    assert.equal(cache.stats.queries, 2);
  });

  it('shares one cold lookup among concurrent lookups and gets of one dataset', async () => {
    const { store, cache } = spy();
    await store.put(sampleRecord(['B04']));
    let open!: () => void;
    store.gate = new Promise((r) => { open = r; });
    const lookups = Array.from({ length: 20 }, () => cache.lookup(['B04']));
    const gets = Array.from({ length: 20 }, () => cache.get(['B04']));
    open();
    const found = await Promise.all(lookups);
    const got = await Promise.all(gets);
    assert.equal(store.calls.lookup, 1);
    assert.equal(store.calls.get, 0);
    assert.ok(found.every((f) => f.record === found[0].record && f.record) && got.every((r) => r === found[0].record));
    found[0].keys[0].name = 'changed';
    assert.equal(found[1].keys[0].name, 'band', 'each caller gets its own key specs');
  });

  it('does not cache a failed lookup, and remembers nothing for a wrong number of values', async () => {
    const { store, cache } = spy({ backoffMs: 0, log: () => undefined });
    await store.put(sampleRecord(['B04']));
    store.fail = 1;
    const results = await Promise.allSettled([cache.lookup(['B04']), cache.lookup(['B04'])]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    assert.equal(store.calls.lookup, 1);
    const wrong = await cache.lookup(['B04', 'extra']);
    assert.equal(wrong.record, undefined);
    await assert.rejects(cache.lookup(['B04', '../x']), /may not contain/);
    assert.equal((await cache.lookup(['B04'])).record?.keys[0], 'B04');
  });
});

describe('CachedCatalog while the store is unavailable', () => {
  const down = () => new CatalogError('store down', 'unavailable');
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('answers from a record past its ttl for staleMs more, logging it once; then fails; and logs the recovery', async () => {
    const lines: string[] = [];
    const { store, cache } = spy({ ttlMs: 20, staleMs: 150, backoffMs: 0, log: (l) => lines.push(l) });
    await store.put(sampleRecord(['B04']));
    const fresh = await cache.get(['B04']);
    store.outage = down();
    await sleep(30);
    assert.equal(await cache.get(['B04']), fresh, 'the stale record');
    assert.equal(await cache.get(['B04']), fresh);
    assert.equal(store.calls.get, 3, 'each look past the ttl asked the store first');
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[0], /store down; asking again every 0 ms, one call at a time/);
    assert.match(lines[1], /answering from records kept in memory while the store is down \(first: B04, 0\.\d s old\)/);
    await sleep(150);
    await assert.rejects(cache.get(['B04']), (e: unknown) => e instanceof CatalogError && e.code === 'unavailable');
    store.outage = undefined;
    assert.deepEqual(await cache.get(['B04']), fresh);
    assert.match(lines.at(-1)!, /the store answers again after 0\.\d s \(meanwhile 2 answers from stale records, 0 calls not sent to it\)/);
  });

  it('answers nothing stale for a missing catalog, a deleted dataset, or a record forgotten (its object replaced)', async () => {
    const { store, cache } = spy({ ttlMs: 10, backoffMs: 0, log: () => undefined });
    for (const b of ['B01', 'B02', 'B03']) {
      await store.put(sampleRecord([b]));
      await cache.get([b]);
    }
    await sleep(20);
    store.outage = new CatalogError('no catalog there', 'not-found');
    await assert.rejects(cache.get(['B01']), /no catalog there/);
    store.outage = undefined;
    await store.delete(['B02']);
    assert.equal(await cache.get(['B02']), undefined, 'deleted: a 404, not the old record');
    store.outage = down();
    cache.invalidate(['B03']);
    await assert.rejects(cache.get(['B03']), /store down/);
  });

  it('after one failure asks the store again only after backoffMs, one call at a time; key names stay known', async () => {
    const lines: string[] = [];
    const { store, cache } = spy({ backoffMs: 100, log: (l) => lines.push(l) });
    await cache.keys();
    store.outage = down();
    await assert.rejects(cache.get(['B01']), /store down$/);
    await assert.rejects(cache.get(['B02']), /store down \(not asked again for 100 ms\)/);
    await assert.rejects(cache.list(), /not asked again/);
    assert.deepEqual(await cache.keys(), [{ name: 'band' }]);
    assert.deepEqual([store.calls.get, store.calls.keys], [1, 1], 'fail fast: the store was not asked');
    await sleep(110);
    let open!: () => void;
    store.gate = new Promise((r) => { open = r; });
    const probe = cache.get(['B03']);
    await assert.rejects(cache.get(['B04']), /not asked again/, 'others fail at once while the probe is out');
    assert.equal(store.calls.get, 2);
    store.outage = undefined;
    await store.put(sampleRecord(['B04']));
    open();
    assert.equal(await probe, undefined);
    assert.ok(await cache.get(['B04']), 'back: asked at once');
    assert.equal(store.calls.get, 3);
    assert.match(lines.at(-1)!, /answers again after .* 0 answers from stale records, 3 calls not sent to it/);
  });
});

describe('openCatalog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'taoguan-open-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('picks the store from the URI and wraps it in the cache', async () => {
    const c = await openCatalog(`sqlite:${join(dir, 'a.db')}`);
    assert.ok(c instanceof CachedCatalog && c.inner instanceof SqliteCatalog);
    const bare = await openCatalog(join(dir, 'b.sqlite'), { cache: false });
    assert.ok(bare instanceof SqliteCatalog);
    assert.equal(bare.uri, `sqlite:${join(dir, 'b.sqlite')}`);
    assert.ok((await openCatalog(`sqlite:${join(dir, 'c.db')}?mode=ro`, { cache: false }) as SqliteCatalog).readOnly);
  });

  it('reads TAOGUAN_CATALOG when no URI is given', async () => {
    const saved = process.env.TAOGUAN_CATALOG;
    try {
      process.env.TAOGUAN_CATALOG = join(dir, 'env.db');
      assert.equal((await openCatalog()).uri, `sqlite:${join(dir, 'env.db')}`);
      delete process.env.TAOGUAN_CATALOG;
      await assert.rejects(openCatalog(), /TAOGUAN_CATALOG/);
    } finally {
      if (saved === undefined) delete process.env.TAOGUAN_CATALOG;
      else process.env.TAOGUAN_CATALOG = saved;
    }
  });

  it('refuses unknown schemes and paths it cannot place, without printing a password', async () => {
    await assert.rejects(openCatalog('mongodb://u:secret@h/db'), (err: unknown) =>
      err instanceof CatalogError && /unknown catalog scheme "mongodb:"/.test(err.message) && !err.message.includes('secret'));
    await assert.rejects(openCatalog('catalog.txt'), /cannot tell which store "catalog.txt" is.*sqlite:PATH/);
  });
});

// the cache must not change what a store answers
const contractPath = join(mkdtempSync(join(tmpdir(), 'taoguan-cached-')), 'contract.db');
catalogContract(
  'sqlite behind CachedCatalog',
  async () => new CachedCatalog(new SqliteCatalog(contractPath)),
  async () => rmSync(contractPath, { force: true }),
  async (version) => {
    const db = new sqlite3.Database(contractPath);
    db.run('UPDATE taoguan_schema SET version = ?', version);
    db.close();
  },
);
