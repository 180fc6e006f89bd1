/**
 * The PostgreSQL store (PostgreSQL ≥ 12: Aliyun RDS PostgreSQL, Tencent TDSQL-C, any other), for
 * `postgres://user:pass@host:port/db` (or `postgresql://`), through `pg`. URI parameters: `prefix`
 * (table prefix, default `taoguan_`), `schema` (default: the search path), `ssl` (true | skip-verify)
 * or `sslmode` (disable | require | verify-ca | verify-full), `pool`, `queueLimit`, `connectTimeout`
 * and `queryTimeout` (milliseconds; the whole of one call, as for MySQL).
 *
 *   CREATE TABLE <prefix>meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)   -- rows 'keys', 'schema_version'
 *   CREATE TABLE <prefix>datasets (
 *     _id BYTEA PRIMARY KEY,                 -- SHA-256 of the key values (records.ts datasetId)
 *     "<key>" TEXT COLLATE "C" NOT NULL, …   -- one column per key, in order; byte order, case-sensitive
 *     _location TEXT, _etag TEXT, _size BIGINT, _last_modified TEXT,
 *     _metadata TEXT, _header BYTEA,         -- metadata JSON; serialised CogHeader, deflated
 *     _bounds_w, _bounds_s, _bounds_e, _bounds_n DOUBLE PRECISION   -- WGS84, for mosaics
 *   );  CREATE INDEX <prefix>datasets_k0 ON <prefix>datasets ("<key0>"), …
 *       CREATE INDEX <prefix>datasets_bx ON … (_bounds_w, _bounds_e), <prefix>datasets_by (_bounds_s, _bounds_n)
 *
 * Bounds are plain columns under B-tree indexes, as in mysql.ts (no PostGIS to install). A table made
 * before them is brought up by `taoguan catalog migrate` (upgradeBounds, one transaction); until
 * then a mosaic lists and reads records instead, and put says to migrate.
 *
 * A B-tree entry may hold ~2,700 bytes; a key value is at most 512 characters (2,048 bytes in
 * UTF-8), so a per-key index never hits that limit and the primary key is 32 bytes whatever the keys.
 * DDL is transactional here, so create() is one transaction: a catalog exists whole or not at all.
 * Every statement with parameters goes as one Parse/Bind/Execute/Sync batch: one round trip.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import pg from 'pg';
import type { Pool, PoolClient, PoolConfig, QueryResult, QueryResultRow } from 'pg';
import { byDeadline, DEADLINE } from '../deadline.ts';
import { CatalogError, SCHEMA_VERSION, validateKeys, validateKeyValues } from '../catalog.ts';
import type { Catalog, CatalogInfo, DatasetBounds, DatasetRecord, DatasetSummary, KeySpec, ListQuery, Lookup, PutResult, SelectQuery } from '../catalog.ts';
import { datasetId, fromStored, planList, redactUri, SchemaErrors, toStored, validateKeySpecs, validateRecord } from '../records.ts';
import type { ListPlan } from '../records.ts';
import { listMembers, selectByMembers } from '../select.ts';
import { indexedMembers, indexedSelect, MetaCache, parseMeta, SharedPools, wholeParam, type Meta, type MosaicRunner, type PoolEntry, type SqlDialect } from './sql-shared.ts';

export interface PostgresCatalogOptions {
  /** Share one pool per URI in this process (default), so warm invocations reuse its connections. */
  sharedPool?: boolean;
  /** Connections per pool (URI `?pool=`; default 2). */
  poolSize?: number;
  /** Give up connecting after this long (URI `?connectTimeout=`; default 5000 ms). */
  connectTimeoutMs?: number;
  /**
   * Give up on a call after this long (URI `?queryTimeout=`; default 10,000 ms), counted from the
   * call's start: the wait for a pooled connection, connecting, the statement(s) and the retry. The
   * server is told too (statement_timeout, lock_timeout), so it stops work nobody waits for.
   */
  queryTimeoutMs?: number;
  /** Callers waiting for a pooled connection at most (URI `?queueLimit=`; default 1,000); more are refused at once. */
  queueLimit?: number;
  /** Replace the pool's connections after this long unused (default 5 min), as mysql.ts does. */
  idleRefreshMs?: number;
}

const PARAMS = ['prefix', 'schema', 'ssl', 'sslmode', 'pool', 'queueLimit', 'connectTimeout', 'queryTimeout'];
const DATA = ['_location', '_etag', '_size', '_last_modified', '_metadata', '_header'];
const DIALECT: SqlDialect = { column: (name) => q(name), bounds: ['_bounds_w', '_bounds_s', '_bounds_e', '_bounds_n'], param: (n) => `$${n}` };
const BOUNDS = DIALECT.bounds;
/** SQLSTATE 42703, undefined column: a table from before the bounds columns. */
const noBounds = (e: unknown) => (e as { code?: string }).code === '42703' && /_bounds_/.test(String((e as Error).message));
/** The connection failed, not the statement: worth one retry on another connection. */
const RETRYABLE = new Set(['ECONNRESET', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006', 'CONNECTION_ENDED']);
/**
 * The store cannot answer now: refused or lost connections, an overloaded or restarting server, bad
 * credentials (a deployment fault, not the request's), or past the call's deadline. SQLSTATE 57014 is
 * a statement cancelled by statement_timeout, 55P03 a lock_timeout.
 */
const UNAVAILABLE = new Set([...RETRYABLE, 'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH',
  '08001', '08004', '53300', '53400', '28000', '28P01', '57014', '55P03', DEADLINE, 'QUEUE_FULL', 'CONNECT_TIMEOUT']);

const pools = new SharedPools<Pool>();
type Param = string | number | Buffer | null;

export class PostgresCatalog implements Catalog {
  readonly uri: string;
  readonly #poolKey: string;
  readonly #config: PoolConfig;
  readonly #shared: boolean;
  readonly #idleRefreshMs: number;
  readonly #queryTimeoutMs: number;
  readonly #queueLimit: number;
  readonly #prefix: string;
  readonly #meta: string;
  readonly #data: string;
  /** This object's pool (pools.use sets it). */
  readonly #holder: { entry?: PoolEntry<Pool> } = {};
  readonly #meta$: MetaCache;
  /** False once a mosaic query found no bounds columns (a table not migrated since they came). */
  #indexed = true;

  constructor(uri: string, options: PostgresCatalogOptions = {}) {
    this.uri = redactUri(uri);
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new CatalogError(`not a postgres:// catalog URI: ${this.uri}`);
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new CatalogError(`not a postgres:// catalog URI: ${this.uri}`);
    const params = url.searchParams;
    for (const name of params.keys()) {
      if (!PARAMS.includes(name)) throw new CatalogError(`${this.uri}: unknown parameter "${name}" (known: ${PARAMS.join(', ')})`);
    }
    const prefix = params.get('prefix') ?? 'taoguan_';
    if (!/^[a-z0-9_]{0,40}$/.test(prefix)) throw new CatalogError(`${this.uri}: prefix "${prefix}" may hold only lower-case letters, digits and "_"`);
    const schema = params.get('schema');
    if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new CatalogError(`${this.uri}: schema "${schema}" must be a lower-case identifier`);
    const database = decodeURIComponent(url.pathname.slice(1));
    if (!database) throw new CatalogError(`${this.uri} names no database (postgres://user:pass@host:port/db)`);
    const qualify = (name: string) => (schema ? `"${schema}"."${name}"` : `"${name}"`);
    this.#prefix = prefix;
    this.#meta = qualify(`${prefix}meta`);
    this.#data = qualify(`${prefix}datasets`);
    this.#shared = options.sharedPool ?? true;
    this.#idleRefreshMs = options.idleRefreshMs ?? 300_000;
    this.#poolKey = uri;
    this.#meta$ = new MetaCache(this.uri);
    this.#queryTimeoutMs = options.queryTimeoutMs ?? wholeParam(this.uri, params, 'queryTimeout', 10_000);
    this.#queueLimit = options.queueLimit ?? wholeParam(this.uri, params, 'queueLimit', 1000);
    this.#config = {
      host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 5432), database,
      user: decodeURIComponent(url.username) || undefined, password: decodeURIComponent(url.password) || undefined,
      ssl: this.#ssl(params),
      max: options.poolSize ?? wholeParam(this.uri, params, 'pool', 2),
      connectionTimeoutMillis: options.connectTimeoutMs ?? wholeParam(this.uri, params, 'connectTimeout', 5000),
      // the server ends what the client gave up on: a statement or a lock wait past the call's timeout
      statement_timeout: this.#queryTimeoutMs, lock_timeout: this.#queryTimeoutMs,
      idle_in_transaction_session_timeout: Math.max(this.#queryTimeoutMs, 10_000),
      keepAlive: true, keepAliveInitialDelayMillis: 10_000, idleTimeoutMillis: 60_000,
      application_name: 'taoguan',
    };
  }

  get timeoutMs(): number {
    return this.#queryTimeoutMs;
  }

  async create(keys: KeySpec[]): Promise<void> {
    validateKeySpecs(keys);
    const exists = () => new CatalogError(`a catalog already exists at ${this.uri}`, 'exists');
    const ix = (i: number) => `"${this.#prefix}datasets_k${i}"`;
    const statements = [
      `CREATE TABLE ${this.#meta} (name TEXT PRIMARY KEY, value TEXT NOT NULL)`,
      `CREATE TABLE ${this.#data} (_id BYTEA PRIMARY KEY, ${keys.map((k) => `${q(k.name)} TEXT COLLATE "C" NOT NULL`).join(', ')},
        _location TEXT NOT NULL, _etag TEXT, _size BIGINT NOT NULL, _last_modified TEXT, _metadata TEXT NOT NULL, _header BYTEA NOT NULL,
        ${BOUNDS.map((c) => `${c} DOUBLE PRECISION`).join(', ')})`,
      ...keys.map((k, i) => `CREATE INDEX ${ix(i)} ON ${this.#data} (${q(k.name)})`),
      ...this.#boundsIndexes(''),
    ];
    await this.#transaction(async (run) => {
      for (const sql of statements) await run(sql);
      await run(`INSERT INTO ${this.#meta} (name, value) VALUES ('keys', $1), ('schema_version', $2)`, [JSON.stringify(keys), String(SCHEMA_VERSION)]);
    }).catch((e: { code?: string }) => {
      // 42P07: the table is there; 23505 on the catalog's rows or types: a racing create won
      throw e.code === '42P07' || e.code === '23505' ? exists() : e;
    });
    this.#meta$.forget();
  }

  async keys(): Promise<KeySpec[]> {
    return (await this.#open()).keys.map((k) => ({ ...k }));
  }

  async put(record: DatasetRecord): Promise<PutResult> {
    const { keys } = await this.#open();
    validateRecord(keys, record);
    const next = toStored(record);
    const cols = ['_id', ...keys.map((k) => q(k.name)), ...DATA, ...BOUNDS];
    const values: Param[] = [idOf(record.keys), ...record.keys, next.location, next.etag, next.size, next.lastModified, next.metadata, deflateRawSync(next.header), ...record.metadata.bounds];
    // One statement, atomic, and racing puts of one dataset resolve on the primary key (one inserts).
    // The WHERE leaves a row that names the same object alone: no row comes back, so 'unchanged'.
    // xmax is 0 on a row this statement inserted, the updating transaction's id on one it updated.
    const { rows } = await this.#run(`INSERT INTO ${this.#data} AS d (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})
      ON CONFLICT (_id) DO UPDATE SET ${[...DATA, ...BOUNDS].map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
      WHERE (d._location, d._etag, d._size) IS DISTINCT FROM (EXCLUDED._location, EXCLUDED._etag, EXCLUDED._size)
      RETURNING (xmax = 0) AS inserted`, values).catch((e: unknown) => {
      throw noBounds(e) ? new CatalogError(`${this.uri}: its table predates the mosaic bounds columns: run \`taoguan catalog migrate ${this.uri}\``, 'schema') : e;
    });
    return rows.length === 0 ? 'unchanged' : rows[0].inserted ? 'inserted' : 'updated';
  }

  get(keyValues: string[]): Promise<DatasetRecord | undefined> {
    return this.#get(keyValues, this.#deadline());
  }

  async #get(keyValues: string[], deadline: number): Promise<DatasetRecord | undefined> {
    validateKeys((await this.#open(false, deadline)).keys, keyValues);
    const { rows } = await this.#run(`SELECT ${DATA.join(', ')} FROM ${this.#data} WHERE _id = $1`, [idOf(keyValues)], deadline);
    return rows[0] ? recordOf(keyValues, rows[0]) : undefined;
  }

  async lookup(values: string[]): Promise<Lookup> {
    validateKeyValues(values);
    const deadline = this.#deadline();
    if (this.#meta$.known) {
      const { keys } = await this.#open(false, deadline);
      return { keys: keys.map((k) => ({ ...k })), record: values.length === keys.length ? await this.#get(values, deadline) : undefined };
    }
    // Cold: the meta rows and the dataset row in one statement (as mysql.ts); the LEFT JOIN from a
    // one-row table gives one row even when there is no such dataset.
    const { rows } = await this.#run(`SELECT (SELECT value FROM ${this.#meta} WHERE name = 'keys') AS _keys,
      (SELECT value FROM ${this.#meta} WHERE name = 'schema_version') AS _version, ${DATA.map((c) => `d.${c}`).join(', ')}
      FROM (SELECT 1 AS one) AS o LEFT JOIN ${this.#data} AS d ON d._id = $1`, [idOf(values)], deadline).catch(this.#noTable);
    const r = rows[0];
    const meta = parseMeta(this.uri, this.#meta, { keys: r._keys, schema_version: r._version });
    this.#meta$.learn(meta);
    if (meta.version !== SCHEMA_VERSION) throw SchemaErrors.mismatch(this.uri, meta.version, SCHEMA_VERSION);
    const record = r._location !== null && values.length === meta.keys.length ? recordOf(values, r) : undefined;
    return { keys: meta.keys.map((k) => ({ ...k })), record };
  }

  async delete(keyValues: string[]): Promise<boolean> {
    validateKeys((await this.#open()).keys, keyValues);
    const res = await this.#run(`DELETE FROM ${this.#data} WHERE _id = $1`, [idOf(keyValues)]);
    return (res.rowCount ?? 0) > 0;
  }

  async list(query: ListQuery = {}): Promise<DatasetSummary[]> {
    const deadline = this.#deadline();
    const { keys } = await this.#open(false, deadline);
    const plan = planList(keys, query);
    if (plan.empty) return [];
    const [where, params] = whereClause(keys, plan);
    const names = keys.map((k) => q(k.name)).join(', ');
    const n = params.length;
    const { rows } = await this.#run(`SELECT ${names}, _location FROM ${this.#data}${where} ORDER BY ${names} LIMIT $${n + 1} OFFSET $${n + 2}`,
      [...params, plan.limit, plan.offset], deadline);
    return rows.map((r) => ({ keys: keys.map((k) => String(r[k.name])), location: String(r._location) }));
  }

  /** One statement on the bounds and key indexes, headers included; the call's one deadline covers it. */
  async select(query: SelectQuery): Promise<DatasetRecord[]> {
    const deadline = this.#deadline();
    const { keys } = await this.#open(false, deadline);
    const found = this.#indexed ? await indexedSelect(this.#mosaic(deadline), keys, query, DATA.join(', '), recordOf) : undefined;
    return found ?? selectByMembers(this, query, await listMembers(this, query.where));
  }

  /** Keys and bounds in one statement: no metadata or header read. */
  async members(where?: SelectQuery['where']): Promise<DatasetBounds[]> {
    const deadline = this.#deadline();
    const { keys } = await this.#open(false, deadline);
    return (this.#indexed ? await indexedMembers(this.#mosaic(deadline), keys, where) : undefined) ?? listMembers(this, where);
  }

  /** The mosaic statements' runner (the planner combines the two bounds indexes unaided); a table without bounds columns is remembered, and falls back. */
  #mosaic(deadline: number): MosaicRunner<QueryResultRow> {
    return {
      dialect: DIALECT,
      table: () => this.#data,
      rows: async (sql, params) => {
        try {
          return (await this.#run(sql, params, deadline)).rows;
        } catch (e) {
          if (!noBounds(e)) throw e;
          this.#indexed = false;
          return undefined;
        }
      },
    };
  }

  count(where?: ListQuery['where']): Promise<number> {
    return this.#count(where, this.#deadline());
  }

  async #count(where: ListQuery['where'], deadline: number): Promise<number> {
    const { keys } = await this.#open(false, deadline);
    const plan = planList(keys, { where });
    if (plan.empty) return 0;
    const [sql, params] = whereClause(keys, plan);
    const { rows } = await this.#run(`SELECT COUNT(*) AS n FROM ${this.#data}${sql}`, params, deadline);
    return Number(rows[0].n);
  }

  async info(): Promise<CatalogInfo> {
    const deadline = this.#deadline();
    const { keys, version } = await this.#open(false, deadline);
    return { uri: this.uri, schemaVersion: version, keys, datasets: await this.#count(undefined, deadline) };
  }

  /**
   * Up to SCHEMA_VERSION in one transaction (DDL is transactional here): 1 → 2 adds the bounds
   * columns and their indexes, filled from each record's metadata. Every step is IF NOT EXISTS or
   * touches only rows still without bounds, so it also upgrades a version 2 table made before the
   * columns came, and running it again changes nothing.
   */
  async migrate(): Promise<{ from: number; to: number }> {
    const { version } = await this.#open(true);
    if (version > SCHEMA_VERSION) throw SchemaErrors.mismatch(this.uri, version, SCHEMA_VERSION);
    await this.#transaction(async (run) => {
      // a large table may take longer than one lookup's statement_timeout: lifted for this transaction
      await run('SET LOCAL statement_timeout = 0');
      await run(`ALTER TABLE ${this.#data} ${BOUNDS.map((c) => `ADD COLUMN IF NOT EXISTS ${c} DOUBLE PRECISION`).join(', ')}`);
      await run(`UPDATE ${this.#data} SET ${BOUNDS.map((c, i) => `${c} = (_metadata::json -> 'bounds' ->> ${i})::double precision`).join(', ')}
        WHERE ${BOUNDS.map((c) => `${c} IS NULL`).join(' OR ')}`);
      for (const sql of this.#boundsIndexes('IF NOT EXISTS ')) await run(sql);
      if (version < SCHEMA_VERSION) await run(`UPDATE ${this.#meta} SET value = $1 WHERE name = 'schema_version'`, [String(SCHEMA_VERSION)]);
    }, Date.now() + Math.max(this.#queryTimeoutMs, 600_000));
    this.#meta$.forget();
    this.#indexed = true;
    return { from: version, to: SCHEMA_VERSION };
  }

  #boundsIndexes(ifNotExists: string): string[] {
    return [['bx', '_bounds_w, _bounds_e'], ['by', '_bounds_s, _bounds_n']]
      .map(([name, cols]) => `CREATE INDEX ${ifNotExists}"${this.#prefix}datasets_${name}" ON ${this.#data} (${cols})`);
  }

  /**
   * Every dataset as of one moment (what `catalog publish` snapshots): one statement sees one
   * snapshot of the table, whatever is written meanwhile. Read whole, in key order.
   */
  async *records(): AsyncIterable<DatasetRecord> {
    const { keys } = await this.#open();
    const names = keys.map((k) => q(k.name));
    let rows: QueryResultRow[] = [];
    // a whole catalog may take longer than one lookup's statement_timeout: lifted for this statement alone
    await this.#transaction(async (run) => {
      await run('SET LOCAL statement_timeout = 0');
      rows = ((await run(`SELECT ${names.join(', ')}, ${DATA.join(', ')} FROM ${this.#data} ORDER BY ${names.join(', ')}`)) as QueryResult).rows;
    }, Date.now() + Math.max(this.#queryTimeoutMs, 600_000));
    for (const r of rows) yield recordOf(keys.map((k) => String(r[k.name])), r);
  }

  async close(): Promise<void> {
    this.#meta$.forget();
    await pools.release(this.#holder, this.#poolKey);
  }

  #open(anyVersion = false, deadline?: number): Promise<Meta> {
    return this.#meta$.get(() => this.#run(`SELECT name, value FROM ${this.#meta}`, [], deadline)
      .then(({ rows }) => parseMeta(this.uri, this.#meta, Object.fromEntries(rows.map((r) => [String(r.name), r.value]))), this.#noTable), anyVersion);
  }

  #noTable = (e: unknown): never => {
    throw (e as { code?: string }).code === '42P01' ? SchemaErrors.notFound(this.uri) : e;
  };

  #use(): PoolEntry<Pool> {
    return pools.use(this.#holder, this.#poolKey, this.#shared, this.#idleRefreshMs, () => this.#newPool());
  }

  #newPool(): Pool {
    const pool = new pg.Pool(this.#config);
    // an idle connection the server dropped (a restart) must not crash the process: the pool discards it
    pool.on('error', () => undefined);
    return pool;
  }

  #deadline(): number {
    return Date.now() + this.#queryTimeoutMs;
  }

  /**
   * A pooled connection by `deadline`. pg-pool has no bound on its queue of waiting callers, so the
   * bound is kept here: past `queueLimit` waiting, a call is refused at once rather than queued.
   */
  async #acquire(entry: PoolEntry<Pool>, deadline: number): Promise<PoolClient> {
    if (entry.pool.waitingCount >= this.#queueLimit) throw Object.assign(new Error('queue full'), { code: 'QUEUE_FULL' });
    const connecting = entry.pool.connect().catch((e: Error) => {
      throw /timeout exceeded when trying to connect/.test(e.message) ? Object.assign(e, { code: 'CONNECT_TIMEOUT' }) : e;
    });
    return byDeadline(connecting, deadline, (late) => late.release());
  }

  /** One statement on a pooled connection, once more if the connection (not the statement) failed, all by `deadline`. */
  async #run<R extends QueryResultRow = QueryResultRow>(sql: string, params: Param[] = [], deadline = this.#deadline()): Promise<QueryResult<R>> {
    const entry = this.#use();
    const attempt = async (): Promise<QueryResult<R>> => {
      const client = await this.#acquire(entry, deadline);
      try {
        const result = await byDeadline(client.query<R>(sql, params), deadline);
        client.release();
        return result;
      } catch (e) {
        // past the deadline the statement may still run (the server ends it by statement_timeout):
        // this connection is not handed to anyone else meanwhile
        client.release(connectionFault(e) || (e as { code?: string }).code === DEADLINE ? (e as Error) : undefined);
        throw e;
      }
    };
    return pools.busy(entry, () => attempt()
      .catch((e: unknown) => (connectionFault(e) && Date.now() < deadline ? attempt() : Promise.reject(e)))
      .catch((e: unknown) => Promise.reject(this.#translate(e))));
  }

  /** Several statements in one transaction on one connection (create(), records()). */
  async #transaction(work: (run: (sql: string, params?: Param[]) => Promise<unknown>) => Promise<void>, deadline = this.#deadline()): Promise<void> {
    const entry = this.#use();
    await pools.busy(entry, async () => {
      let client: PoolClient | undefined;
      try {
        client = await this.#acquire(entry, deadline);
        const c = client;
        await c.query('BEGIN');
        try {
          await work((sql, params = []) => byDeadline(c.query(sql, params), deadline));
          await byDeadline(c.query('COMMIT'), deadline);
        } catch (e) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw e;
        }
        client.release();
      } catch (e) {
        client?.release(e as Error);
        throw this.#translate(e);
      }
    });
  }

  /** Connection faults become 'unavailable', naming host, port and cause: never the password. */
  #translate(e: unknown): unknown {
    const code = codeOf(e);
    if (code === '3D000') return new CatalogError(`${this.uri}: database "${this.#config.database}" does not exist`, 'not-found');
    if (code === '3F000') return new CatalogError(`${this.uri}: schema does not exist (?schema=)`, 'not-found');
    if (!UNAVAILABLE.has(code)) return e;
    const why = code === DEADLINE ? `no answer within ${this.#queryTimeoutMs} ms`
      : code === '57014' || code === '55P03' ? `no answer within ${this.#queryTimeoutMs} ms (statement cancelled by the server)`
        : code === 'QUEUE_FULL' ? `${this.#queueLimit} callers waiting for a connection already (?queueLimit=)`
          : code === 'CONNECT_TIMEOUT' ? `no connection within ${this.#config.connectionTimeoutMillis} ms`
            : code === '28P01' || code === '28000' ? 'authentication failed' : code;
    return new CatalogError(`PostgreSQL catalog unavailable at ${this.#config.host}:${this.#config.port} (${why}): ${this.uri}`, 'unavailable');
  }

  #ssl(params: URLSearchParams): PoolConfig['ssl'] {
    const ssl = params.get('ssl');
    const mode = params.get('sslmode');
    if (ssl === 'skip-verify' || mode === 'require' || mode === 'prefer') return { rejectUnauthorized: false };
    if (ssl === 'true' || mode === 'verify-ca' || mode === 'verify-full') return {};
    if ((ssl !== null && ssl !== 'false') || (mode !== null && mode !== 'disable' && mode !== 'allow')) {
      throw new CatalogError(`${this.uri}: ssl must be true or skip-verify, sslmode disable, require, verify-ca or verify-full`);
    }
    return undefined;
  }
}

/** pg's errors carry a SQLSTATE or a Node code; a connection it lost says so only in words. */
function codeOf(e: unknown): string {
  const { code, message = '' } = (e ?? {}) as { code?: string; message?: string };
  if (code) return code;
  return /Connection terminated|Client has encountered a connection error|Client was closed/.test(message) ? 'CONNECTION_ENDED' : '';
}
const connectionFault = (e: unknown) => RETRYABLE.has(codeOf(e));

function recordOf(keyValues: string[], r: QueryResultRow): DatasetRecord {
  return fromStored([...keyValues], {
    location: r._location, etag: r._etag, size: Number(r._size), lastModified: r._last_modified,
    metadata: r._metadata, header: inflateRawSync(r._header as Buffer).toString('utf8'),
  });
}
const q = (name: string) => `"${name}"`;
const idOf = (keys: string[]) => Buffer.from(datasetId(keys), 'hex');

/** `WHERE "k1" IN ($1, $2) AND "k2" IN ($3)`: names come from the catalog's validated keys, values are bound. */
function whereClause(keys: KeySpec[], plan: ListPlan): [string, string[]] {
  if (plan.filters.length === 0) return ['', []];
  let n = 0;
  const terms = plan.filters.map((f) => `${q(keys[f.position].name)} IN (${f.values.map(() => `$${++n}`).join(', ')})`);
  return [` WHERE ${terms.join(' AND ')}`, plan.filters.flatMap((f) => f.values)];
}

/** The registry entry point (stores/index.ts). */
export const open = (uri: string): PostgresCatalog => new PostgresCatalog(uri);
