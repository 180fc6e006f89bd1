/**
 * What the catalog fault tests share: a MariaDB server of their own (a temp data dir, a free port,
 * started and killed at will; never the shared one on 3306) with the API harness's datasets
 * ingested, a TCP proxy in front of it that can stall, and APIs over it. `missing` says why the
 * tests are skipped where mariadbd is not installed.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { createApi, type Api, type RequestLog } from '../lib/api/index.ts';
import { CachedCatalog, type CacheOptions } from '../lib/catalog/cache.ts';
import type { DatasetRecord } from '../lib/catalog/catalog.ts';
import { MysqlCatalog } from '../lib/catalog/stores/mysql.ts';
import { ingestObject } from '../lib/ingest/index.ts';
import { DATASETS, Origin, tileAt } from './api-harness.ts';

const MARIADBD = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'].find((p) => existsSync(p));
const INSTALL_DB = ['mariadb-install-db', 'mysql_install_db'].find((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0);
export const missing = !MARIADBD || !INSTALL_DB ? 'needs mariadbd and mariadb-install-db (apt-get install mariadb-server) to run a private server' : false;

/** A MariaDB server of this test's own: a temp data dir, a free port, started and killed at will. */
export class PrivateMariadb {
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

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * A TCP proxy to a local port that can stall like a network: while stalled, connections (old and
 * new) stay open but nothing reaches the other side, bytes and closes alike; on resume what was held
 * goes through in order, as TCP would deliver it once the path is back.
 */
export class StallingProxy {
  port = 0;
  #server?: Server;
  #held: (() => void)[] = [];
  #stalled = false;
  readonly #sockets = new Set<Socket>();

  async start(target: number): Promise<void> {
    this.#server = createServer((client) => {
      const upstream = connect(target, '127.0.0.1');
      for (const [from, to] of [[client, upstream], [upstream, client]]) {
        this.#sockets.add(from);
        from.on('data', (d: Buffer) => this.#forward(() => to.write(d)));
        from.on('close', () => {
          this.#sockets.delete(from);
          this.#forward(() => to.destroy());
        });
        from.on('error', () => undefined);
      }
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.port = (this.#server.address() as { port: number }).port;
  }

  #forward(step: () => void): void {
    if (this.#stalled) this.#held.push(step);
    else step();
  }

  stall(): void {
    this.#stalled = true;
  }

  resume(): void {
    this.#stalled = false;
    for (const step of this.#held.splice(0)) step();
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => this.#server?.close(() => r()) ?? r());
  }
}

/** Poll `probe` every 20 ms until it gives a value (at most `ms`, 5 s unless told). */
export async function waitFor<T>(probe: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > until) throw new Error(`waited ${ms} ms in vain`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The first 200 of `ask`, asked every 20 ms for 5 s at most (else its last answer). */
export async function untilServed(ask: () => Promise<Answer>): Promise<Answer> {
  let last: Answer | undefined;
  await waitFor(async () => ((last = await ask()).status === 200 ? true : undefined)).catch(() => undefined);
  return last!;
}

export const PASSWORD = 's3cret-pw';
/** The catalog timeout of the tests' URIs (queryTimeout): the most one catalog call may take. */
export const QUERY_TIMEOUT_MS = 1500;

export interface Answer { status: number; headers: Headers; body: string; ms: number }

/** A private server holding the API harness's datasets, and APIs over it. */
export class FaultWorld {
  readonly server = new PrivateMariadb();
  readonly origin = new Origin();
  readonly records = new Map<string, DatasetRecord>();
  #catalogs: CachedCatalog[] = [];

  async start(): Promise<void> {
    await this.server.init();
    await this.server.start();
    const admin = await this.server.admin().catch(async () => {
      const root = await mysql.createConnection({ host: '127.0.0.1', port: this.server.port, user: 'root' });
      await root.query('CREATE DATABASE test');
      await root.end();
      return this.server.admin();
    });
    await admin.end();
    await this.origin.start();
    const writer = new MysqlCatalog(this.uri(), { sharedPool: false });
    await writer.create([{ name: 'sensor' }, { name: 'date' }, { name: 'band' }]);
    for (const d of DATASETS) {
      await ingestObject(writer, await this.origin.put(d.path, d.fixture), d.keys);
      this.records.set(d.keys.join('/'), (await writer.get(d.keys))!);
    }
    await writer.close();
  }

  async stop(): Promise<void> {
    for (const c of this.#catalogs) await c.close().catch(() => undefined);
    await this.origin.stop();
    await this.server.destroy();
  }

  /** The catalog URI, on the server's port or another (a proxy's). */
  uri(port = this.server.port): string {
    return `mysql://taoguan:${PASSWORD}@127.0.0.1:${port}/test?connectTimeout=1000&queryTimeout=${QUERY_TIMEOUT_MS}`;
  }

  /** A new API (a new process, as far as the catalog goes); `lines` gets what the catalog cache logs. */
  newApi(options: CacheOptions & { port?: number } = {}): { api: Api; logs: RequestLog[]; lines: string[] } {
    const logs: RequestLog[] = [], lines: string[] = [];
    const catalog = new CachedCatalog(new MysqlCatalog(this.uri(options.port), { sharedPool: false }), { log: (l) => lines.push(l), ...options });
    this.#catalogs.push(catalog);
    return { api: createApi({ catalog, logger: (l) => logs.push(l) }), logs, lines };
  }

  /** A tile inside the dataset; `variant` changes the stretch so the rendered-tile cache cannot answer. */
  async tile(api: Api, keys: string, variant = 0): Promise<Answer> {
    const [w, s, e, n] = this.records.get(keys)!.metadata.bounds;
    const [x, y] = tileAt((w + e) / 2, (s + n) / 2, 10);
    return this.fetch(api, `/singleband/${keys}/10/${x}/${y}.png?colormap=viridis&stretch_range=[0,${1000 + variant}]`);
  }

  async fetch(api: Api, path: string): Promise<Answer> {
    const t0 = performance.now();
    const res = await api.fetch(new Request(`http://api.test${path}`));
    const body = res.headers.get('content-type')?.startsWith('application/json') ? await res.text() : (await res.arrayBuffer(), '');
    return { status: res.status, headers: res.headers, body, ms: performance.now() - t0 };
  }

  /** A 503 that says to retry and gives nothing away: no password, user, URI or address. */
  assertUnavailable(got: Answer, log: RequestLog | undefined): void {
    assert.equal(got.status, 503, got.body);
    assert.ok(Number(got.headers.get('retry-after')) > 0, 'a Retry-After header');
    assert.equal(got.headers.get('cache-control'), 'no-store');
    const { message } = JSON.parse(got.body) as { message: string };
    assert.match(message, /catalog is unavailable/);
    assert.doesNotMatch(got.body, new RegExp(`${PASSWORD}|taoguan:|mysql://|127\\.0\\.0\\.1|${this.server.port}`));
    assert.match(log?.error ?? '', /MySQL catalog unavailable/, 'the log has the cause');
    assert.doesNotMatch(log?.error ?? '', new RegExp(PASSWORD), 'the log has no password either');
  }
}
