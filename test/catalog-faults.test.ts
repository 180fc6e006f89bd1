/**
 * Catalog faults, for real (issue #9): a private MariaDB server, started by this test in a temp dir
 * on a port of its own (never the shared one on 3306), is killed and started again under a running
 * API; one of the API's connections is killed mid-query from another client; a statement is held
 * behind a table lock. What must hold: datasets already cached keep serving, others get a 503 with
 * Retry-After and a message that names no credential, nothing hangs past the query timeout, and the
 * API recovers by itself with no restart. Skipped (saying why) where mariadbd is not installed.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import { createApi, type Api, type RequestLog } from '../lib/api/index.ts';
import { CachedCatalog } from '../lib/catalog/cache.ts';
import type { DatasetRecord } from '../lib/catalog/catalog.ts';
import { MysqlCatalog } from '../lib/catalog/mysql.ts';
import { ingestObject } from '../lib/ingest/index.ts';
import { DATASETS, Origin, tileAt } from './api-harness.ts';

const MARIADBD = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'].find((p) => existsSync(p));
const INSTALL_DB = ['mariadb-install-db', 'mysql_install_db'].find((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0);
const missing = !MARIADBD || !INSTALL_DB ? 'needs mariadbd and mariadb-install-db (apt-get install mariadb-server) to run a private server' : false;

const PASSWORD = 's3cret-pw';
const QUERY_TIMEOUT_MS = 1500;

/** A MariaDB server of this test's own: a temp data dir, a free port, started and killed at will. */
class PrivateMariadb {
  dir = '';
  port = 0;
  #child?: ChildProcess;
  readonly #killOnExit = () => this.#child?.kill('SIGKILL');

  async init(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'taoguan-mariadb-'));
    const installed = spawnSync(INSTALL_DB!, ['--no-defaults', `--datadir=${this.dir}/data`, '--auth-root-authentication-method=normal',
      '--skip-test-db', '--user=root', '--innodb-log-file-size=4M'], { encoding: 'utf8', timeout: 30_000 });
    if (installed.status !== 0) throw new Error(`${INSTALL_DB} failed: ${installed.stderr || installed.stdout}`);
    this.port = await freePort();
    process.once('exit', this.#killOnExit);
  }

  /** Start (or start again, on the same port and data) and wait until it takes connections. */
  async start(): Promise<void> {
    // any user and password are let in (no grant tables): the password in the URI is only there to be kept secret
    const child = spawn(MARIADBD!, ['--no-defaults', `--datadir=${this.dir}/data`, `--port=${this.port}`, '--bind-address=127.0.0.1',
      `--socket=${this.dir}/sock`, `--pid-file=${this.dir}/pid`, `--log-error=${this.dir}/error.log`, '--user=root', '--skip-grant-tables',
      '--skip-log-bin', '--innodb-buffer-pool-size=16M', '--innodb-log-file-size=4M'], { stdio: 'ignore' });
    this.#child = child;
    const until = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`mariadbd exited with ${child.exitCode}: ${this.log().slice(-2000)}`);
      try {
        const c = await mysql.createConnection({ host: '127.0.0.1', port: this.port, user: 'root', connectTimeout: 500 });
        await c.end();
        return;
      } catch (e) {
        if (Date.now() > until) throw new Error(`mariadbd did not take connections within 20 s (${String(e)}): ${this.log().slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }

  admin(): Promise<mysql.Connection> {
    return mysql.createConnection({ host: '127.0.0.1', port: this.port, user: 'root', database: 'test' });
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  }

  async destroy(): Promise<void> {
    await this.kill();
    process.removeListener('exit', this.#killOnExit);
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('catalog faults on a private MariaDB server', { skip: missing }, () => {
  const server = new PrivateMariadb();
  const origin = new Origin();
  const records = new Map<string, DatasetRecord>();
  let uri = '';
  const apis: CachedCatalog[] = [];

  before(async () => {
    await server.init();
    await server.start();
    const admin = await server.admin().catch(async () => {
      const root = await mysql.createConnection({ host: '127.0.0.1', port: server.port, user: 'root' });
      await root.query('CREATE DATABASE test');
      await root.end();
      return server.admin();
    });
    await admin.end();
    await origin.start();
    uri = `mysql://taoguan:${PASSWORD}@127.0.0.1:${server.port}/test?connectTimeout=1000&queryTimeout=${QUERY_TIMEOUT_MS}`;
    const writer = new MysqlCatalog(uri, { sharedPool: false });
    await writer.create([{ name: 'sensor' }, { name: 'date' }, { name: 'band' }]);
    for (const d of DATASETS) {
      await ingestObject(writer, await origin.put(d.path, d.fixture), d.keys);
      records.set(d.keys.join('/'), (await writer.get(d.keys))!);
    }
    await writer.close();
  });
  after(async () => {
    for (const c of apis) await c.close().catch(() => undefined);
    await origin.stop();
    await server.destroy();
  });

  /** A new API (a new process, as far as the catalog goes) over the private server. */
  function newApi(): { api: Api; logs: RequestLog[] } {
    const logs: RequestLog[] = [];
    const catalog = new CachedCatalog(new MysqlCatalog(uri, { sharedPool: false }));
    apis.push(catalog);
    return { api: createApi({ catalog, logger: (l) => logs.push(l) }), logs };
  }

  /** A tile inside the dataset; `variant` changes the style so the rendered-tile cache cannot answer. */
  async function tile(api: Api, keys: string, variant = 0): Promise<{ status: number; headers: Headers; body: string; ms: number }> {
    const r = records.get(keys)!;
    const [w, s, e, n] = r.metadata.bounds;
    const [x, y] = tileAt((w + e) / 2, (s + n) / 2, 10);
    const t0 = performance.now();
    const res = await api.fetch(new Request(`http://api.test/singleband/${keys}/10/${x}/${y}.png?colormap=${['viridis', 'magma', 'gray', 'terrain'][variant]}`));
    const body = res.headers.get('content-type')?.startsWith('application/json') ? await res.text() : (await res.arrayBuffer(), '');
    return { status: res.status, headers: res.headers, body, ms: performance.now() - t0 };
  }

  /** A 503 that says to retry and gives nothing away: no password, user, URI or address. */
  function assertUnavailable(got: { status: number; headers: Headers; body: string }, log: RequestLog): void {
    assert.equal(got.status, 503, got.body);
    assert.ok(Number(got.headers.get('retry-after')) > 0, 'a Retry-After header');
    assert.equal(got.headers.get('cache-control'), 'no-store');
    const { message } = JSON.parse(got.body) as { message: string };
    assert.match(message, /catalog is unavailable/);
    assert.doesNotMatch(got.body, new RegExp(`${PASSWORD}|taoguan:|mysql://|127\\.0\\.0\\.1|${server.port}`));
    assert.match(log.error ?? '', /MySQL catalog unavailable/, 'the log has the cause');
    assert.doesNotMatch(log.error ?? '', new RegExp(PASSWORD), 'the log has no password either');
  }

  it('killed and restarted mid-run: cached datasets keep serving, others get 503 fast, then it recovers by itself', async () => {
    const { api, logs } = newApi();
    const cold = newApi(); // a process that starts while the server is down
    assert.equal((await tile(api, 'S2/2024-01-15/B04')).status, 200);
    await server.kill('SIGKILL');
    try {
      const cached = await tile(api, 'S2/2024-01-15/B04', 1);
      assert.equal(cached.status, 200, `a cached dataset renders while the catalog is down: ${cached.body}`);
      for (let i = 0; i < 2; i++) {
        const down = await tile(api, 'S2/2024-01-15/B08');
        assertUnavailable(down, logs.at(-1)!);
        assert.ok(down.ms < 2000, `refused connections answer at once, took ${down.ms.toFixed(0)} ms`);
        assertUnavailable(await tile(cold.api, 'S2/2024-01-15/B04'), cold.logs.at(-1)!);
      }
    } finally {
      await server.start();
    }
    const back = await tile(api, 'S2/2024-01-15/B08');
    assert.equal(back.status, 200, `recovered with no restart of the API: ${back.body}`);
    assert.equal((await tile(api, 'S2/2024-01-15/B04', 2)).status, 200);
    const coldBack = await tile(cold.api, 'S2/2024-01-15/B04');
    assert.equal(coldBack.status, 200, `no failure was remembered by the process that started during the outage: ${coldBack.body}`);
  });

  it('a connection killed mid-query (KILL CONNECTION) is retried on a new one: the request succeeds', async () => {
    const { api } = newApi();
    assert.equal((await tile(api, 'S2/2024-01-15/B04')).status, 200); // key names known: the next lookup is a plain get
    const admin = await server.admin();
    try {
      // hold the get behind a lock, so it is surely in flight when its connection is killed
      await admin.query(`LOCK TABLES taoguan_datasets WRITE`);
      const pending = tile(api, 'S2/2024-01-15/B02');
      const id = await waitFor(async () => {
        const [rows] = await admin.query<mysql.RowDataPacket[]>("SELECT ID FROM information_schema.PROCESSLIST WHERE STATE LIKE '%metadata lock%' AND INFO LIKE '%taoguan_datasets%'");
        return rows[0]?.ID as number | undefined;
      });
      await admin.query(`KILL CONNECTION ${id}`);
      await admin.query('UNLOCK TABLES');
      const got = await pending;
      assert.equal(got.status, 200, `the killed query ran again on a new connection: ${got.body}`);
    } finally {
      await admin.end();
    }
  });

  it('a statement stuck behind a lock gives up after the query timeout: 503, not a hang; cached datasets serve meanwhile', async () => {
    const { api, logs } = newApi();
    assert.equal((await tile(api, 'S2/2024-01-15/B04')).status, 200);
    const admin = await server.admin();
    try {
      await admin.query(`LOCK TABLES taoguan_datasets WRITE`);
      const stuck = await Promise.race([
        tile(api, 'L8/2023-06-01/B04'),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the request hung past 3× the query timeout')), 3 * QUERY_TIMEOUT_MS)),
      ]);
      assertUnavailable(stuck, logs.at(-1)!);
      assert.match(logs.at(-1)!.error ?? '', new RegExp(`no answer within ${QUERY_TIMEOUT_MS} ms`));
      assert.ok(stuck.ms >= QUERY_TIMEOUT_MS - 100 && stuck.ms < QUERY_TIMEOUT_MS + 1500, `gave up after ${stuck.ms.toFixed(0)} ms`);
      assert.equal((await tile(api, 'S2/2024-01-15/B04', 1)).status, 200, 'a cached dataset renders meanwhile');
    } finally {
      await admin.query('UNLOCK TABLES');
      await admin.end();
    }
    assert.equal((await tile(api, 'L8/2023-06-01/B04')).status, 200, 'and the dataset is served once the lock is gone');
  });
});

/** Poll `probe` every 20 ms until it gives a value (at most 5 s). */
async function waitFor<T>(probe: () => Promise<T | undefined>): Promise<T> {
  const until = Date.now() + 5000;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > until) throw new Error('waited 5 s in vain');
    await new Promise((r) => setTimeout(r, 20));
  }
}
