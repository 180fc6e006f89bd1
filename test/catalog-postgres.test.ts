/**
 * The PostgreSQL store against the server on this machine (127.0.0.1:5432, trust auth, database
 * `test`; .ci/run starts it), for real: the shared contract, then what only a server shows — long
 * keys within the B-tree entry limit, a terminated connection, a statement stuck behind a lock, an
 * unreachable server, a full queue. Each run uses its own table prefix and drops its tables at the end.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { CatalogError, type KeySpec } from '../lib/catalog/catalog.ts';
import { CachedCatalog, openCatalog } from '../lib/catalog/index.ts';
import { PostgresCatalog } from '../lib/catalog/stores/postgres.ts';
import { catalogContract, sampleRecord } from './catalog-contract.ts';

const SERVER = 'postgres://postgres@127.0.0.1:5432/test';
const admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
await admin.connect();
const prefixes: string[] = [];
const newPrefix = () => {
  prefixes.push(`tg${randomBytes(4).toString('hex')}_`);
  return prefixes[prefixes.length - 1];
};
const drop = (prefix: string) => admin.query(`DROP TABLE IF EXISTS "${prefix}datasets", "${prefix}meta"`).then(() => undefined);
after(async () => {
  for (const p of prefixes) await drop(p);
  await admin.end();
});

const contractPrefix = newPrefix();
catalogContract('postgres', async () => new PostgresCatalog(`${SERVER}?prefix=${contractPrefix}`), () => drop(contractPrefix), async (v) => {
  await admin.query(`UPDATE "${contractPrefix}meta" SET value = $1 WHERE name = 'schema_version'`, [String(v)]);
}, {
  // the table as version 2 was first created: no bounds columns (their indexes go with them)
  stripBounds: () => admin.query(`ALTER TABLE "${contractPrefix}datasets" DROP COLUMN _bounds_w, DROP COLUMN _bounds_s, DROP COLUMN _bounds_e, DROP COLUMN _bounds_n`).then(() => undefined),
});

const KEYS: KeySpec[] = [{ name: 'sensor' }, { name: 'date' }, { name: 'band' }];
const isCode = (code: CatalogError['code'], message?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof CatalogError, `expected a CatalogError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  if (message) assert.match(err.message, message);
  return true;
};

describe('postgres store on a real server', () => {
  it('openCatalog picks it for postgres:// and postgresql:// and refuses unknown parameters', async () => {
    const prefix = newPrefix();
    for (const uri of [`${SERVER}?prefix=${prefix}`, `postgresql://postgres@127.0.0.1:5432/test?prefix=${prefix}`]) {
      const c = await openCatalog(uri, { cache: false });
      assert.ok(c instanceof PostgresCatalog);
      await c.close();
    }
    await assert.rejects(openCatalog(`${SERVER}?prefx=a`), isCode('invalid', /unknown parameter "prefx"/));
    assert.throws(() => new PostgresCatalog('postgres://u:secret@h/db?queryTimeout=0'), (e: Error) => /queryTimeout/.test(e.message) && !e.message.includes('secret'));
  });

  it('40 keys of 512-character Unicode values: created, put, found, filtered', async () => {
    const many = new PostgresCatalog(`${SERVER}?prefix=${newPrefix()}`);
    const manyKeys = Array.from({ length: 40 }, (_, i) => ({ name: `key_number_${i}_${'x'.repeat(40)}` }));
    await many.create(manyKeys);
    const values = manyKeys.map((_, i) => `${i}`.padEnd(512, '日'));
    assert.equal(await many.put(sampleRecord(values)), 'inserted');
    assert.equal((await many.get(values))?.location, sampleRecord(values).location);
    assert.equal(await many.count({ [manyKeys[39].name]: values[39] }), 1);
    assert.equal((await many.list())[0].keys[39], values[39]);
    await many.close();
  });

  it('a cold lookup is one statement: keys and record together', async () => {
    const uri = `${SERVER}?prefix=${newPrefix()}`;
    const writer = new PostgresCatalog(uri, { sharedPool: false });
    await writer.create(KEYS);
    await writer.put(sampleRecord(['S2', '2024-01-15', 'B04']));
    await writer.close();
    const reader = new PostgresCatalog(uri, { sharedPool: false });
    await reader.lookup(['S2', '2024-01-15', 'B03']); // connects (and proves the pool works)
    const cold = new PostgresCatalog(uri);
    const sent: string[] = [];
    const query = pg.Client.prototype.query;
    // every statement goes through Client#query: count what a cold lookup sends
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      sent.push(String((args[0] as { text?: string }).text ?? args[0]));
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    let found;
    try {
      found = await cold.lookup(['S2', '2024-01-15', 'B04']);
    } finally {
      pg.Client.prototype.query = query;
    }
    assert.equal(found.record?.location, sampleRecord(['S2', '2024-01-15', 'B04']).location);
    assert.equal(sent.length, 1, `one statement for keys, version and record: ${sent.join(' | ')}`);
    await Promise.all([reader.close(), cold.close()]);
  });

  it('a connection terminated by the server is retried on a new one: the call succeeds', async () => {
    const uri = `${SERVER}?prefix=${newPrefix()}`;
    const c = new PostgresCatalog(uri, { sharedPool: false, poolSize: 1 });
    await c.create(KEYS);
    await c.put(sampleRecord(['S2', '2024-01-15', 'B04']));
    const { rows } = await admin.query("SELECT pid FROM pg_stat_activity WHERE application_name = 'taoguan' AND datname = 'test' AND pid <> pg_backend_pid()");
    assert.ok(rows.length >= 1);
    for (const r of rows) await admin.query('SELECT pg_terminate_backend($1)', [r.pid]);
    assert.equal((await c.get(['S2', '2024-01-15', 'B04']))?.location, sampleRecord(['S2', '2024-01-15', 'B04']).location);
    await c.close();
  });

  it('a statement stuck behind a lock ends at the query timeout as unavailable, and the pool serves again', async () => {
    const prefix = newPrefix();
    const c = new PostgresCatalog(`${SERVER}?prefix=${prefix}&queryTimeout=800`, { sharedPool: false, poolSize: 1 });
    await c.create(KEYS);
    await c.put(sampleRecord(['S2', '2024-01-15', 'B04']));
    const locker = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${prefix}datasets" IN ACCESS EXCLUSIVE MODE`);
      const t0 = Date.now();
      await assert.rejects(c.get(['S2', '2024-01-15', 'B04']), isCode('unavailable', /no answer within 800 ms/));
      const took = Date.now() - t0;
      assert.ok(took >= 700 && took < 3000, `gave up after ${took} ms`);
      // the one pooled connection was stuck: others are refused by the deadline, not queued forever
      await assert.rejects(Promise.all([c.get(['S2', '2024-01-15', 'B04']), c.get(['S2', '2024-01-15', 'B04'])]), isCode('unavailable'));
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    assert.ok(await c.get(['S2', '2024-01-15', 'B04']), 'served again once the lock is gone');
    await c.close();
  });

  it('behind the cache, a known dataset keeps answering from its stale record while the server is stuck; others get unavailable', async () => {
    const prefix = newPrefix();
    const store = new PostgresCatalog(`${SERVER}?prefix=${prefix}&queryTimeout=600`, { sharedPool: false, poolSize: 1 });
    await store.create(KEYS);
    await store.put(sampleRecord(['S2', '2024-01-15', 'B04']));
    await store.put(sampleRecord(['S2', '2024-01-15', 'B08']));
    const lines: string[] = [];
    const cached = new CachedCatalog(store, { ttlMs: 50, staleMs: 10_000, backoffMs: 200, log: (l) => lines.push(l) });
    assert.ok((await cached.lookup(['S2', '2024-01-15', 'B04'])).record);
    await new Promise((r) => setTimeout(r, 80)); // past the ttl
    const locker = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${prefix}datasets" IN ACCESS EXCLUSIVE MODE`);
      const stale = await cached.get(['S2', '2024-01-15', 'B04']);
      assert.equal(stale?.location, sampleRecord(['S2', '2024-01-15', 'B04']).location, 'the stale record answers');
      await assert.rejects(cached.get(['S2', '2024-01-15', 'B08']), isCode('unavailable'));
      assert.ok(lines.some((l) => /PostgreSQL catalog unavailable/.test(l)), lines.join('\n'));
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    await new Promise((r) => setTimeout(r, 250)); // the back-off
    assert.ok(await cached.get(['S2', '2024-01-15', 'B08']), 'recovers by itself');
    await cached.close();
  });

  it('an unreachable server is unavailable at once, naming host and port but no password', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = s.address() as { port: number };
        s.close(() => resolve(p));
      });
    });
    const c = new PostgresCatalog(`postgres://u:hunter2@127.0.0.1:${port}/test`, { sharedPool: false });
    await assert.rejects(c.lookup(['a']), (e: unknown) => isCode('unavailable', new RegExp(`127\\.0\\.0\\.1:${port}`))(e) && !(e as Error).message.includes('hunter2'));
    await c.close();
  });

  it('a database that does not exist says so', async () => {
    const c = new PostgresCatalog('postgres://postgres@127.0.0.1:5432/no_such_db_taoguan', { sharedPool: false });
    await assert.rejects(c.keys(), isCode('not-found', /no_such_db_taoguan/));
    await c.close();
  });
});
