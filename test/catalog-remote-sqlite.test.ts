/**
 * The read-only SQLite catalog in an object location, for real: files written by `catalog publish`
 * served by a local HTTP range server that records every request (If-Match and ETags as an object
 * store's), and by the local S3-compatible server (s3rver). The shared contract runs on it through a
 * client whose writes go to a local SQLite catalog that is published over the remote object before
 * the next read: every read path of the contract is the remote store's, and every write a replaced
 * object it must pick up.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { CatalogError, type Catalog, type DatasetRecord, type KeySpec, type ListQuery, type SelectQuery } from '../lib/catalog/catalog.ts';
import { openCatalog } from '../lib/catalog/index.ts';
import { PostgresCatalog } from '../lib/catalog/stores/postgres.ts';
import { publishCatalog } from '../lib/catalog/stores/publish.ts';
import { RemoteSqliteCatalog } from '../lib/catalog/stores/remote-sqlite.ts';
import { SqliteCatalog } from '../lib/catalog/stores/sqlite.ts';
import { closeS3Clients } from '../lib/source/s3.ts';
import { Origin } from './api-harness.ts';
import { catalogContract, sampleRecord } from './catalog-contract.ts';

const dir = await mkdtemp(join(tmpdir(), 'taoguan-remote-'));
const origin = new Origin();
await origin.start();
after(async () => {
  await origin.stop();
  await rm(dir, { recursive: true, force: true });
});

let versions = 0;
/** Publish `local` and put the file on the origin at `path` under a new ETag (what a nightly job does). */
async function publishTo(local: Catalog, path: string): Promise<void> {
  const file = join(dir, `published-${++versions}.sqlite`);
  await publishCatalog(local, file);
  origin.objects.set(path, { bytes: readFileSync(file), etag: `"v${versions}"` });
  rmSync(file);
}

/**
 * A client whose reads are the remote store's and whose writes go to a local catalog, published over
 * the remote object before the next read (`refresh=0`: the remote store checks the ETag every call).
 */
class PublishingClient implements Catalog {
  readonly remote: RemoteSqliteCatalog;
  constructor(readonly local: SqliteCatalog, readonly path: string, readonly shared: { dirty: boolean; chain: Promise<void> }) {
    this.remote = new RemoteSqliteCatalog(`${origin.url}${path}?refresh=0`);
  }
  get uri() { return this.remote.uri; }
  async #fresh(): Promise<void> {
    // one publish at a time, and only when something was written since the last
    const next = this.shared.chain.then(async () => {
      if (!this.shared.dirty) return;
      this.shared.dirty = false;
      // publish refuses a catalog it cannot read (none yet, another schema version): the file goes
      // up as it is then, so the remote store meets that state itself
      await publishTo(this.local, this.path).catch(() => {
        if (existsSync(this.local.path)) origin.objects.set(this.path, { bytes: readFileSync(this.local.path), etag: `"raw${++versions}"` });
      });
    });
    this.shared.chain = next.catch(() => undefined);
    await next;
  }
  async #write<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } finally {
      this.shared.dirty = true;
    }
  }
  create(keys: KeySpec[]) { return this.#write(this.local.create(keys)); }
  put(record: DatasetRecord) { return this.#write(this.local.put(record)); }
  delete(keys: string[]) { return this.#write(this.local.delete(keys)); }
  migrate() { return this.#write(this.local.migrate()); }
  async keys() { await this.#fresh(); return this.remote.keys(); }
  async get(keys: string[]) { await this.#fresh(); return this.remote.get(keys); }
  async lookup(values: string[]) { await this.#fresh(); return this.remote.lookup(values); }
  async list(query?: ListQuery) { await this.#fresh(); return this.remote.list(query); }
  async count(where?: ListQuery['where']) { await this.#fresh(); return this.remote.count(where); }
  async info() { await this.#fresh(); return this.remote.info(); }
  async select(query: SelectQuery) { await this.#fresh(); return this.remote.select(query); }
  async members(where?: SelectQuery['where']) { await this.#fresh(); return this.remote.members(where); }
  async close() { await this.remote.close(); }
}

const contractFile = join(dir, 'contract.db');
const shared = { dirty: false, chain: Promise.resolve() };
let local = new SqliteCatalog(contractFile);
catalogContract('sqlite-remote (http ranges)', async () => new PublishingClient(local, '/contract/catalog.sqlite', shared), async () => {
  await local.close();
  rmSync(contractFile, { force: true });
  local = new SqliteCatalog(contractFile);
  origin.objects.delete('/contract/catalog.sqlite');
  shared.dirty = false;
  shared.chain = Promise.resolve();
}, async (v) => {
  const raw = new SqliteCatalog(contractFile);
  await raw.close();
  const sqlite3 = (await import('node-sqlite3-wasm')).default;
  const db = new sqlite3.Database(contractFile);
  db.run('UPDATE taoguan_schema SET version = ?', [v]);
  db.close();
  await local.close();
  local = new SqliteCatalog(contractFile);
  shared.dirty = true;
}, {
  // the object as an earlier `catalog publish` wrote it: bounds columns there, empty, no mosaic index
  stripBounds: async () => {
    const path = '/contract/catalog.sqlite';
    shared.chain = shared.chain.then(async () => {
      if (shared.dirty) await publishTo(local, path);
      shared.dirty = false;
      const file = join(dir, 'stripped.sqlite');
      writeFileSync(file, origin.objects.get(path)!.bytes);
      const sqlite3 = (await import('node-sqlite3-wasm')).default;
      const db = new sqlite3.Database(file);
      db.run('UPDATE taoguan_datasets SET bounds_w = NULL, bounds_s = NULL, bounds_e = NULL, bounds_n = NULL');
      db.run('DROP INDEX taoguan_datasets_mosaic');
      db.close();
      origin.objects.set(path, { bytes: readFileSync(file), etag: `"stripped${++versions}"` });
      rmSync(file);
    });
    await shared.chain;
  },
});

const KEYS = [{ name: 'sensor' }, { name: 'date' }, { name: 'band' }];
const keysOf = (i: number) => [`S${i % 5}`, `2024-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`, `B${String(i).padStart(5, '0')}`];

describe('sqlite-remote over HTTP ranges', () => {
  it('openCatalog picks it for object locations ending .sqlite or .db; writes are refused naming the location', async () => {
    for (const uri of [`${origin.url}/x/catalog.sqlite`, 's3://bucket/c.db', 'oss://b/k/catalog.sqlite?refresh=30', 'cos://b-125/c.sqlite']) {
      const c = await openCatalog(uri, { cache: false });
      assert.ok(c instanceof RemoteSqliteCatalog, uri);
      await assert.rejects(c.put(sampleRecord(['a'])), (e: unknown) => e instanceof CatalogError && e.code === 'invalid'
        && e.message.includes('read-only') && e.message.includes(uri.replace(/\?.*/, '')) && /catalog publish/.test(e.message));
      await c.close();
    }
    assert.throws(() => new RemoteSqliteCatalog('s3://b/c.sqlite?refresh=soon'), /refresh/);
  });

  it('a cold lookup in a 2,000-dataset catalog published from PostgreSQL reads the first pages and one leaf: 2 requests', async () => {
    const prefix = `tgremote${process.pid}_`;
    const admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
    await admin.connect();
    await admin.query(`DROP TABLE IF EXISTS "${prefix}datasets", "${prefix}meta"`);
    await admin.end();
    const src = new PostgresCatalog(`postgres://postgres@127.0.0.1:5432/test?prefix=${prefix}`, { sharedPool: false, poolSize: 4 });
    await src.create(KEYS);
    for (let i = 0; i < 2000; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => src.put(sampleRecord(keysOf(i + j)))));
    await publishTo(src, '/big/catalog.sqlite');
    const all = Array.from({ length: 2000 }, (_, i) => keysOf(i));
    const size = origin.objects.get('/big/catalog.sqlite')!.bytes.length;
    for (const i of [0, 777, 1999]) {
      origin.reset();
      const c = new RemoteSqliteCatalog(`${origin.url}/big/catalog.sqlite`);
      const found = await c.lookup(keysOf(i));
      assert.equal(found.record?.location, sampleRecord(keysOf(i)).location);
      assert.deepEqual(found.record?.header, sampleRecord(keysOf(i)).header);
      const reads = origin.requests.filter((r) => r.method === 'GET');
      assert.equal(reads.length, 2, `requests: ${JSON.stringify(origin.requests)} of ${size}`);
      const bytes = reads.reduce((n, r) => n + r.range![1] - r.range![0] + 1, 0);
      assert.ok(bytes <= 256 * 1024, `read ${bytes} bytes of ${size}`);
      assert.ok(size > 4 * bytes, `the file (${size} bytes) is much more than what was read`);
      assert.deepEqual(c.cost, { requests: 2, bytes, versions: 1 });
      // warm: the same dataset needs nothing more
      await c.get(keysOf(i));
      assert.equal(origin.requests.length, 2);
      assert.equal((await c.lookup(['S1', '2024-01-01', 'nope'])).record, undefined, 'a miss');
      await c.close();
    }
    // a cold process hit by 40 different tiles at once: one open, each leaf read once
    origin.reset();
    const burst = new RemoteSqliteCatalog(`${origin.url}/big/catalog.sqlite`);
    const found = await Promise.all(Array.from({ length: 40 }, (_, i) => burst.lookup(keysOf(i * 50))));
    found.forEach((f, i) => assert.equal(f.record?.location, sampleRecord(keysOf(i * 50)).location));
    const ranges = origin.requests.filter((r) => r.method === 'GET').map((r) => r.range![0]);
    assert.equal(ranges.filter((start) => start === 0).length, 1, 'the first read once');
    assert.equal(new Set(ranges).size, ranges.length, 'no page read twice');
    await burst.close();
    // a page cache of 8 pages: bounded, the oldest leaves go, and what they held is read again when asked
    const small = new RemoteSqliteCatalog(`${origin.url}/big/catalog.sqlite`, { maxCacheBytes: 8 * 32768 });
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 2000; i += 97) assert.equal((await small.lookup(keysOf(i))).record?.location, sampleRecord(keysOf(i)).location);
    }
    assert.ok(small.versions[0].cachedBytes <= 9 * 32768, `holds ${small.versions[0].cachedBytes} bytes`);
    assert.ok(small.cost.requests > 2 * 21, 'evicted leaves were read again');
    await small.close();

    // the origin failing: the pinned version keeps answering from its pages, a page it lacks is unavailable
    const pinned = new RemoteSqliteCatalog(`${origin.url}/big/catalog.sqlite?refresh=0`, { source: { retry: false } });
    assert.ok((await pinned.lookup(keysOf(3))).record);
    origin.failing.set('/big/catalog.sqlite', 503);
    try {
      assert.equal((await pinned.get(keysOf(3)))?.location, sampleRecord(keysOf(3)).location, 'answered from the pinned version');
      await assert.rejects(pinned.get(keysOf(1500)), (e: unknown) => e instanceof CatalogError && e.code === 'unavailable');
    } finally {
      origin.failing.delete('/big/catalog.sqlite');
    }
    assert.ok(await pinned.get(keysOf(1500)), 'and reads again once the origin is back');
    await pinned.close();

    const c = new RemoteSqliteCatalog(`${origin.url}/big/catalog.sqlite`);
    assert.equal(await c.count({ sensor: 'S3' }), 400);
    const s2 = all.filter((k) => k[0] === 'S2').sort((a, b) => (a.join('\u0000') < b.join('\u0000') ? -1 : 1));
    assert.deepEqual((await c.list({ where: { sensor: 'S2' }, limit: 3, page: 1 })).map((d) => d.keys), s2.slice(3, 6));
    await c.close();
    await src.close();
    const dropper = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
    await dropper.connect();
    await dropper.query(`DROP TABLE IF EXISTS "${prefix}datasets", "${prefix}meta"`);
    await dropper.end();
  });

  it('a cold mosaic in a published 3,000-dataset catalog reads its index and the rows it selects, not the file', async () => {
    // scattered 1° scenes over 60° × 40°, three sensors: a 2° box meets a few of each
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const scenes = Array.from({ length: 3000 }, (_, i) => {
      const w = Math.floor(random() * 600) / 10, s = Math.floor(random() * 400) / 10 - 20;
      return { keys: [`S${i % 3}`, `2024-${String(1 + (i % 12)).padStart(2, '0')}`, `B${String(i).padStart(5, '0')}`], bounds: [w, s, w + 1, s + 1] as [number, number, number, number] };
    });
    // a source that hands its records over as one snapshot (what publish reads from MySQL or PostgreSQL)
    const source = {
      uri: 'memory:', keys: async () => KEYS,
      async *records() {
        for (const sc of scenes) yield sampleRecord(sc.keys, { metadata: { ...sampleRecord(sc.keys).metadata, bounds: sc.bounds } });
      },
    } as unknown as Catalog;
    await publishTo(source, '/mosaic/catalog.sqlite');
    const size = origin.objects.get('/mosaic/catalog.sqlite')!.bytes.length;
    const bbox: [number, number, number, number] = [10, 10, 12, 12];
    const want = scenes.filter((sc) => sc.keys[0] === 'S1' && sc.bounds[0] <= bbox[2] && sc.bounds[2] >= bbox[0] && sc.bounds[1] <= bbox[3] && sc.bounds[3] >= bbox[1])
      .map((sc) => sc.keys).sort((a, b) => (a.join('\u0000') < b.join('\u0000') ? -1 : 1));
    assert.ok(want.length >= 2, `the box meets several scenes (${want.length})`);

    origin.reset();
    const c = new RemoteSqliteCatalog(`${origin.url}/mosaic/catalog.sqlite`);
    const found = await c.select({ where: { sensor: 'S1' }, bbox });
    assert.deepEqual(found.map((r) => r.keys), want);
    assert.deepEqual(found[0].header, sampleRecord(want[0]).header);
    const reads = origin.requests.filter((r) => r.method === 'GET');
    const bytes = reads.reduce((n, r) => n + r.range![1] - r.range![0] + 1, 0);
    // the first read, the index's root and leaves (read ahead), one leaf per scene: not the table's ~400 leaves
    assert.ok(reads.length <= 4 + want.length, `${reads.length} requests for ${want.length} scenes: ${JSON.stringify(reads.map((r) => r.range))}`);
    assert.ok(bytes < size / 8, `read ${bytes} of ${size} bytes`);

    origin.reset();
    const members = await c.members({ sensor: 'S2' });
    assert.equal(members.length, 1000);
    const s2 = scenes.find((sc) => sc.keys[0] === 'S2')!;
    assert.deepEqual(members.find((m) => m.keys.join() === s2.keys.join())!.bounds, s2.bounds);
    const more = origin.requests.reduce((n, r) => n + r.range![1] - r.range![0] + 1, 0);
    assert.ok(origin.requests.length <= 2 && more < size / 20, `members read ${more} more bytes of ${size} in ${origin.requests.length} requests: the index, not the table`);
    await c.close();
  });

  it('a file below the whole-file threshold is read whole by the second request; then every query is free', async () => {
    const src = new SqliteCatalog(join(dir, 'small.db'));
    await src.create(KEYS);
    for (let i = 0; i < 100; i++) await src.put(sampleRecord(keysOf(i)));
    await publishTo(src, '/small/catalog.sqlite');
    const size = origin.objects.get('/small/catalog.sqlite')!.bytes.length;
    assert.ok(size > 160 * 1024 && size < 1024 * 1024, `a file between the first read and the threshold: ${size}`);
    origin.reset();
    const c = new RemoteSqliteCatalog(`${origin.url}/small/catalog.sqlite`);
    assert.ok((await c.lookup(keysOf(5))).record);
    assert.equal(await c.count(), 100);
    assert.equal((await c.list({ limit: 1000 })).length, 100);
    assert.deepEqual(origin.requests.map((r) => r.range), [[0, 160 * 1024 - 1], [160 * 1024, size - 1]]);
    await c.close();
    await src.close();
  });

  it('a replaced object is picked up: on a read that fails If-Match, on a miss, and after the refresh interval; no mixed versions', async () => {
    const src = new SqliteCatalog(join(dir, 'replace.db'));
    await src.create(KEYS);
    for (let i = 0; i < 100; i++) await src.put(sampleRecord(keysOf(i)));
    await publishTo(src, '/r/catalog.sqlite');
    // whole=0: read by pages even though the file is small, so some pages are still unread when it is replaced
    const c = new RemoteSqliteCatalog(`${origin.url}/r/catalog.sqlite?refresh=1&whole=0`);
    assert.ok((await c.lookup(keysOf(1))).record);
    // a new dataset and a moved one, published over the object
    await src.put(sampleRecord(['S9', '2025-01-01', 'NEW']));
    await src.put(sampleRecord(keysOf(2), { location: 'oss://moved/2.tif', etag: '"moved"' }));
    await publishTo(src, '/r/catalog.sqlite');
    // a page not read yet is asked for with the old ETag: 412, so the new version is opened and read whole
    assert.equal((await c.get(keysOf(2)))?.location, 'oss://moved/2.tif');
    assert.equal(c.cost.versions, 2);
    const old = origin.requests.filter((r) => r.method === 'GET').length;
    assert.ok(old > 0);

    // on a miss: published again, and the new dataset looked up after a second (the miss check's spacing)
    await src.put(sampleRecord(['S9', '2025-01-02', 'NEWER']));
    await publishTo(src, '/r/catalog.sqlite');
    await new Promise((r) => setTimeout(r, 1100));
    assert.ok((await c.lookup(['S9', '2025-01-02', 'NEWER'])).record, 'a dataset published since is found');
    assert.equal(c.cost.versions, 3);

    await c.close();

    // cached pages only: noticed after the refresh interval (a HEAD), not before. The new file is
    // made first, so it replaces the object within a moment of the version being opened.
    const slow = new RemoteSqliteCatalog(`${origin.url}/r/catalog.sqlite?refresh=3&whole=0`);
    await src.delete(keysOf(1));
    const next = join(dir, 'next.sqlite');
    await publishCatalog(src, next);
    assert.ok(await slow.get(keysOf(1)), 'its page is now cached');
    origin.objects.set('/r/catalog.sqlite', { bytes: readFileSync(next), etag: `"v${++versions}"` });
    assert.ok(await slow.get(keysOf(1)), 'within the interval the pinned version answers');
    await new Promise((r) => setTimeout(r, 3100));
    assert.equal(await slow.get(keysOf(1)), undefined, 'after the interval the new version answers');
    assert.equal(slow.cost.versions, 2);
    await slow.close();
    await src.close();
  });

  it('a missing object or one that is not SQLite says so', async () => {
    const missing = new RemoteSqliteCatalog(`${origin.url}/none/catalog.sqlite`);
    await assert.rejects(missing.keys(), (e: unknown) => e instanceof CatalogError && e.code === 'not-found' && /catalog publish/.test(e.message));
    origin.objects.set('/junk/catalog.sqlite', { bytes: Buffer.from('not a database at all, just text '.repeat(100)), etag: '"j"' });
    const junk = new RemoteSqliteCatalog(`${origin.url}/junk/catalog.sqlite`);
    await assert.rejects(junk.keys(), (e: unknown) => e instanceof CatalogError && /not a SQLite database/.test(e.message));
    origin.failing.set('/down/catalog.sqlite', 503);
    const down = new RemoteSqliteCatalog(`${origin.url}/down/catalog.sqlite`, { source: { retry: false } });
    await assert.rejects(down.keys(), (e: unknown) => e instanceof CatalogError && e.code === 'unavailable');
  });
});

// s3rver ships no types; this is the little of it the test uses.
interface S3rver { run(): Promise<{ port: number }>; close(): Promise<void> }
const S3rver = createRequire(import.meta.url)('s3rver') as new (options: Record<string, unknown>) => S3rver;

describe('sqlite-remote on an S3-compatible server', () => {
  let s3: S3rver;
  let objects: { endpoint: string; region: string; forcePathStyle: boolean; credentials: { accessKeyId: string; secretAccessKey: string } };
  before(async () => {
    s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(dir, 's3'), configureBuckets: [{ name: 'cats' }] });
    const { port } = await s3.run();
    objects = { endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } };
  });
  after(async () => {
    await closeS3Clients();
    await s3.close();
  });

  it('publish uploads to s3://, the remote store reads it by ranges and picks up a replacement', async () => {
    const src = new SqliteCatalog(join(dir, 's3src.db'));
    await src.create(KEYS);
    for (let i = 0; i < 50; i++) await src.put(sampleRecord(keysOf(i)));
    const first = await publishCatalog(src, 's3://cats/nightly/catalog.sqlite', { objects });
    assert.equal(first.datasets, 50);
    assert.match(first.etag ?? '', /^"[0-9a-f]{32}"$/);
    const c = new RemoteSqliteCatalog('s3://cats/nightly/catalog.sqlite?refresh=0', { source: objects });
    assert.equal((await c.lookup(keysOf(7))).record?.location, sampleRecord(keysOf(7)).location);
    assert.equal(await c.count(), 50);
    await src.put(sampleRecord(keysOf(7), { location: 's3://cats/cogs/7-v2.tif', etag: '"v2"' }));
    const second = await publishCatalog(src, 's3://cats/nightly/catalog.sqlite', { objects });
    assert.notEqual(second.etag, first.etag);
    assert.equal((await c.get(keysOf(7)))?.location, 's3://cats/cogs/7-v2.tif');
    assert.equal(c.cost.versions, 2);
    await c.close();
    await src.close();
  });
});
