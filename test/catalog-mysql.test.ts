/**
 * The MySQL store against the MariaDB server on this machine (127.0.0.1:3306, root, database `test`),
 * for real: the shared contract, then what only a server can show — connections killed under the
 * pool, an unreachable server, concurrent clients, half-created catalogs. Each run uses its own
 * table prefix and drops its tables at the end.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import { CatalogError, type KeySpec } from '../lib/catalog/catalog.ts';
import { MysqlCatalog } from '../lib/catalog/stores/mysql.ts';
import { catalogContract, sampleRecord } from './catalog-contract.ts';

const SERVER = 'mysql://root@127.0.0.1:3306/test';
const admin = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', database: 'test' });
const prefixes: string[] = [];
const newPrefix = () => {
  prefixes.push(`tg${randomBytes(4).toString('hex')}_`);
  return prefixes[prefixes.length - 1];
};
const drop = (prefix: string) => admin.query(`DROP TABLE IF EXISTS \`${prefix}datasets\`, \`${prefix}meta\``).then(() => undefined);
after(async () => {
  for (const p of prefixes) await drop(p);
  await admin.end();
});

const contractPrefix = newPrefix();
catalogContract('mysql (MariaDB)', async () => new MysqlCatalog(`${SERVER}?prefix=${contractPrefix}`), () => drop(contractPrefix), async (v) => {
  await admin.execute(`UPDATE \`${contractPrefix}meta\` SET value = ? WHERE name = 'schema_version'`, [String(v)]);
}, {
  // the table as version 2 was first created: no bounds columns, no bounds indexes
  stripBounds: () => admin.query(`ALTER TABLE \`${contractPrefix}datasets\` DROP KEY ix_bounds,
    DROP COLUMN _bounds_w, DROP COLUMN _bounds_s, DROP COLUMN _bounds_e, DROP COLUMN _bounds_n`).then(() => undefined),
});

const KEYS: KeySpec[] = [{ name: 'sensor' }, { name: 'date' }, { name: 'band' }];

/** Server-side ids of the connections a catalog opened (those not there before it ran `use`). */
async function connectionsOf(use: () => Promise<unknown>): Promise<number[]> {
  const ids = async () => (await admin.query<mysql.RowDataPacket[]>("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = 'test' AND ID <> CONNECTION_ID()"))[0].map((r) => Number(r.ID));
  const before = new Set(await ids());
  await use();
  return (await ids()).filter((id) => !before.has(id));
}

/**
 * KILL connections only once they are idle. A KILL that lands while the server thread is still
 * freeing a finished prepared statement's temporary table crashes MariaDB 10.11 (signal 11 in
 * ha_maria::drop_table, seen here during this test), which takes the shared server down for every
 * other test; a connection killed while idle is the restart the test means to simulate.
 */
async function killIdle(ids: number[]): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    const [rows] = await admin.query<mysql.RowDataPacket[]>(`SELECT ID FROM information_schema.PROCESSLIST WHERE ID IN (${ids.map(Number).join(',')}) AND COMMAND <> 'Sleep'`);
    if (rows.length === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const id of ids) await admin.query(`KILL ${Number(id)}`);
}

describe('mysql store on a real server', () => {
  it('keeps every index within the 767-byte limit of COMPACT rows, and creates 40 keys (TEXT columns)', async () => {
    const prefix = newPrefix();
    const c = new MysqlCatalog(`${SERVER}?prefix=${prefix}`);
    const keys = [{ name: 'sensor' }, { name: 'date' }, { name: 'band' }];
    await c.create(keys);
    const [indexes] = await admin.query<mysql.RowDataPacket[]>(`SELECT INDEX_NAME AS i, COLUMN_NAME AS c, SUB_PART AS n FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = 'test' AND TABLE_NAME = '${prefix}datasets'`);
    for (const ix of indexes) assert.ok(ix.c === '_id' || Number(ix.n) <= 191, `index ${ix.i} on ${ix.c}(${ix.n})`);
    // the old row format is where the index-length trap springs: the table must convert to it and work
    await admin.query(`ALTER TABLE \`${prefix}datasets\` ROW_FORMAT=COMPACT`);
    const values = ['S'.padEnd(500, 'é'), 'D'.padEnd(500, '日'), 'B'.padEnd(500, 'x')];
    assert.equal(await c.put(sampleRecord(values)), 'inserted');
    assert.equal((await c.get(values))?.location, sampleRecord(values).location);
    assert.equal(await c.count({ date: values[1] }), 1);
    await c.close();

    const many = new MysqlCatalog(`${SERVER}?prefix=${newPrefix()}`);
    const manyKeys = Array.from({ length: 40 }, (_, i) => ({ name: `key_number_${i}_${'x'.repeat(40)}` }));
    await many.create(manyKeys);
    const manyValues = manyKeys.map((_, i) => `${i}`.padEnd(500, 'é'));
    assert.equal(await many.put(sampleRecord(manyValues)), 'inserted');
    assert.equal(await many.count({ [manyKeys[39].name]: manyValues[39] }), 1);
    assert.equal((await many.list())[0].keys[39], manyValues[39]);
    await many.close();
  });

  it('two clients with their own pools ingest 200 distinct rows concurrently: 200, no duplicates', async () => {
    const uri = `${SERVER}?prefix=${newPrefix()}`;
    const a = new MysqlCatalog(uri, { sharedPool: false, poolSize: 4 });
    const b = new MysqlCatalog(uri, { sharedPool: false, poolSize: 4 });
    await a.create(KEYS);
    const all = Array.from({ length: 200 }, (_, i) => [`S${i % 3}`, `2024-02-${String(i).padStart(3, '0')}`, `B${i % 11}`]);
    const results = await Promise.all(all.flatMap((keys) => [a.put(sampleRecord(keys)), b.put(sampleRecord(keys))]));
    assert.equal(results.filter((r) => r === 'inserted').length, 200, 'each dataset inserted once, by one client');
    const listed = await b.list({ limit: 1000 });
    assert.equal(listed.length, 200);
    assert.equal(new Set(listed.map((d) => d.keys.join('/'))).size, 200);
    assert.equal(await a.count(), 200);
    await a.close();
    await b.close();
  });

  it('recovers transparently from connections killed server-side (one, then all: a restart)', async () => {
    const c = new MysqlCatalog(`${SERVER}?prefix=${newPrefix()}`, { sharedPool: false, poolSize: 3 });
    const [one] = await connectionsOf(() => c.create(KEYS));
    await c.put(sampleRecord(['S2', '2024-01-15', 'B04']));
    await killIdle([one]);
    assert.ok(await c.get(['S2', '2024-01-15', 'B04']), 'the next query works');
    const many = await connectionsOf(() => Promise.all([c.count(), c.count(), c.count(), c.list()]));
    await killIdle(many);
    const again = await Promise.all([c.count(), c.list(), c.get(['S2', '2024-01-15', 'B04'])]);
    assert.deepEqual([again[0], again[1].length, again[2]?.keys], [1, 1, ['S2', '2024-01-15', 'B04']]);
    assert.equal(await c.put(sampleRecord(['S2', '2024-01-15', 'B03'])), 'inserted');
    await c.close();
  });

  it('replaces connections left idle for long (a frozen function instance) instead of trusting them', async () => {
    const c = new MysqlCatalog(`${SERVER}?prefix=${newPrefix()}`, { sharedPool: false, poolSize: 1, idleRefreshMs: 200 });
    const [first] = await connectionsOf(() => c.create(KEYS));
    assert.deepEqual(await connectionsOf(() => c.count()), [], 'used again at once: the same connection');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [second] = await connectionsOf(() => c.count());
    assert.ok(second && second !== first, 'a new connection after the idle period');
    await c.close();
  });

  it('an unreachable server is a CatalogError "unavailable" within the connect timeout, without the password', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const c = new MysqlCatalog(`mysql://taoguan:s3cret-pw@127.0.0.1:${closed}/test?connectTimeout=2000`);
    assert.doesNotMatch(c.uri, /s3cret/);
    const started = Date.now();
    await assert.rejects(c.get(['S2', '2024-01-15', 'B04']), (e: unknown) => {
      assert.ok(e instanceof CatalogError && e.code === 'unavailable', String(e));
      assert.doesNotMatch(e.message, /s3cret/);
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${closed}`));
      return true;
    });
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    await c.close();
  });

  it('refuses pool sizes and timeouts that are not positive whole numbers, naming the parameter', () => {
    for (const bad of ['pool=0', 'connectTimeout=abc', 'queryTimeout=-5', 'queryTimeout=1.5', 'queryTimeout=']) {
      const name = bad.split('=')[0];
      assert.throws(() => new MysqlCatalog(`mysql://u:s3cret@127.0.0.1/test?${bad}`), (e: unknown) =>
        e instanceof CatalogError && e.code === 'invalid' && e.message.includes(`${name}=`) && !e.message.includes('s3cret'));
    }
    assert.ok(new MysqlCatalog('mysql://u@127.0.0.1/test?pool=4&connectTimeout=2000&queryTimeout=3000'));
  });

  it('an interrupted create is detected, and create can be run again', async () => {
    const prefix = newPrefix();
    const c = new MysqlCatalog(`${SERVER}?prefix=${prefix}`);
    await c.create(KEYS);
    await admin.query(`DELETE FROM \`${prefix}meta\``); // as if create stopped after its DDL
    const fresh = new MysqlCatalog(`${SERVER}?prefix=${prefix}`);
    await assert.rejects(fresh.count(), (e: unknown) => e instanceof CatalogError && e.code === 'not-found' && /catalog create/.test(e.message));
    await assert.rejects(fresh.create([{ name: 'other' }]), (e: unknown) => e instanceof CatalogError && e.code === 'exists' && /half-created/.test(e.message));
    await fresh.create(KEYS);
    assert.equal(await fresh.put(sampleRecord(['S2', '2024-01-15', 'B04'])), 'inserted');
    await c.close();
    await fresh.close();
  });

  it('measures an uncached get on loopback (figure only; budgets belong to `npm run bench`)', async (t) => {
    const c = new MysqlCatalog(`${SERVER}?prefix=${newPrefix()}`);
    await c.create(KEYS);
    const keys = ['S2', '2024-01-15', 'B04'];
    await c.put(sampleRecord(keys));
    for (let i = 0; i < 50; i++) await c.get(keys);
    const times: number[] = [];
    for (let i = 0; i < 500; i++) {
      const t0 = performance.now();
      await c.get(keys);
      times.push(performance.now() - t0);
    }
    times.sort((x, y) => x - y);
    t.diagnostic(`uncached get: median ${times[250].toFixed(3)} ms, p99 ${times[495].toFixed(3)} ms`);
    await c.close();
  });
});
