/**
 * The MySQL store (MySQL 5.7, 8.x, MariaDB 10.x), for `mysql://user:pass@host:port/db`, with URI
 * parameters `prefix` (table prefix, default `taoguan_`), `ssl` (true | skip-verify), `pool`, `queueLimit`,
 * `connectTimeout` and `queryTimeout` (milliseconds; the whole of one call, see mysql-call.ts).
 *
 *   CREATE TABLE `<prefix>meta` (name VARCHAR(64) PRIMARY KEY, value TEXT)   -- rows 'keys', 'schema_version'
 *   CREATE TABLE `<prefix>datasets` (
 *     _id BINARY(32) PRIMARY KEY,           -- SHA-256 of the key values (records.ts datasetId)
 *     `<key>` VARCHAR(512) NOT NULL, …      -- one column per key, in order (TEXT past 24 keys)
 *     _location TEXT, _etag VARCHAR(255), _size BIGINT, _last_modified VARCHAR(64),
 *     _metadata MEDIUMTEXT, _header MEDIUMBLOB,   -- metadata JSON; serialised CogHeader, deflated
 *     _bounds_w DOUBLE, _bounds_s DOUBLE, _bounds_e DOUBLE, _bounds_n DOUBLE,   -- WGS84, for mosaics
 *     KEY ix_k0 (`<key0>`(191)), …          -- a prefix index per key, for filters (InnoDB takes 64: first 60)
 *     KEY ix_bounds (_bounds_w, _bounds_e, _bounds_s, _bounds_n)
 *   ) ENGINE=InnoDB ROW_FORMAT=DYNAMIC DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
 *
 * The bounds are plain DOUBLE columns under B-tree indexes, not a spatial type: MySQL 5.7, 8 and
 * MariaDB agree on those (their SPATIAL indexes and SRID rules do not), and a mosaic's box test is
 * four comparisons. One index holds all four, and a mosaic query with a box names it (FORCE INDEX):
 * the whole box test then runs on index entries and only the datasets under the box are read. Left
 * to choose, InnoDB picks a key's index (a band: a quarter of the rows, each read whole with its
 * header) — 6.4 ms against 1.5 ms on 10,000 rows here. A table made before them is brought up by `taoguan catalog migrate`
 * (upgradeBounds); until then a mosaic lists and reads records instead, and put says to migrate.
 *
 * The index key-length trap (767 bytes per index on COMPACT rows, 3072 on DYNAMIC) cannot bite: the
 * primary key is 32 bytes whatever the number and length of keys, and each key's index is a
 * 191-character prefix (764 bytes in utf8mb4), under the smaller limit, so even ROW_FORMAT=DYNAMIC is
 * only a preference. Past 24 keys the VARCHARs would pass the 65,535-byte row limit, so they become
 * TEXT. Fixed columns start with "_", which KEY_NAME cannot, so a key may be called "location".
 * utf8mb4_bin makes key values exact and case-sensitive, as Terracotta's are.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import mysql from 'mysql2/promise';
import type { Pool, PoolOptions, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { DEADLINE } from '../deadline.ts';
import { runBy, STATEMENT_TIMEOUT, type Param, type Rows } from './mysql-call.ts';
import { CatalogError, SCHEMA_VERSION, validateKeys, validateKeyValues } from '../catalog.ts';
import type { Catalog, CatalogInfo, DatasetBounds, DatasetRecord, DatasetSummary, KeySpec, ListQuery, Lookup, PutResult, SelectQuery } from '../catalog.ts';
import { datasetId, fromStored, planList, redactUri, sameObject, SchemaErrors, toStored, validateKeySpecs, validateRecord } from '../records.ts';
import type { ListPlan } from '../records.ts';
import { listMembers, selectByMembers } from '../select.ts';
import { indexedMembers, indexedSelect, MetaCache, parseMeta, SharedPools, wholeParam, type Meta, type MosaicRunner, type PoolEntry, type SqlDialect } from './sql-shared.ts';

export interface MysqlCatalogOptions {
  /** Share one pool per URI in this process (default), so warm invocations reuse its connections. */
  sharedPool?: boolean;
  /** Connections per pool (URI `?pool=`; default 2: a function instance serves few requests at once). */
  poolSize?: number;
  /** Give up connecting after this long (URI `?connectTimeout=`; default 5000 ms). */
  connectTimeoutMs?: number;
  /**
   * Give up on a call after this long (URI `?queryTimeout=`; default 10,000 ms), counted from the
   * call's start: the wait for a pooled connection, connecting, the statement(s) and the retry all
   * end by then. A query stuck behind a lock, a stalled network or a full pool becomes 'unavailable'
   * (a 503), not a hung request.
   */
  queryTimeoutMs?: number;
  /** Callers waiting for a pooled connection at most (URI `?queueLimit=`; default 1,000); more are refused at once. */
  queueLimit?: number;
  /** Replace the pool's connections after this long unused (default 5 min), see #pool(). */
  idleRefreshMs?: number;
}

const PARAMS = ['prefix', 'ssl', 'pool', 'queueLimit', 'connectTimeout', 'queryTimeout'];
const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';
const DATA = ['_location', '_etag', '_size', '_last_modified', '_metadata', '_header'];
const DIALECT: SqlDialect = { column: (name) => q(name), bounds: ['_bounds_w', '_bounds_s', '_bounds_e', '_bounds_n'], param: () => '?' };
const BOUNDS = DIALECT.bounds;
const BOUNDS_INDEXES = { ix_bounds: BOUNDS.join(', ') };
/** A table from before the bounds columns: the server's "unknown column" or "no such key" naming them. */
const noBounds = (e: unknown) => {
  const { code, message } = e as { code?: string; message?: string };
  return (code === 'ER_BAD_FIELD_ERROR' && /_bounds_/.test(String(message))) || (code === 'ER_KEY_DOES_NOT_EXITS' && /ix_bounds/.test(String(message)));
};
/** mysql2's pool says only this (no code) when `queueLimit` callers are waiting already. */
const QUEUE_FULL = 'Queue limit reached.';
/** The connection failed, not the statement (killed, server restarted, reset): worth one retry. */
const RETRYABLE = new Set(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE', 'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT', 'ER_CONNECTION_KILLED', 'ER_SERVER_SHUTDOWN', 'ER_CLIENT_INTERACTION_TIMEOUT']);
const UNAVAILABLE = new Set([...RETRYABLE, 'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH',
  'ENETUNREACH', 'ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_CON_COUNT_ERROR', 'HANDSHAKE_SSL_ERROR',
  // past the call's deadline (mysql-call.ts); not retried: it would wait as long again
  STATEMENT_TIMEOUT, DEADLINE, QUEUE_FULL]);

const pools = new SharedPools<Pool>();

export class MysqlCatalog implements Catalog {
  readonly uri: string;
  readonly #poolKey: string;
  readonly #config: PoolOptions;
  readonly #shared: boolean;
  readonly #idleRefreshMs: number;
  readonly #queryTimeoutMs: number;
  readonly #meta: string;
  readonly #data: string;
  /** This object's pool (pools.use sets it). */
  readonly #holder: { entry?: PoolEntry<Pool> } = {};
  /** Keys and schema version; lookup() asks for them with the record while they are unknown. */
  readonly #meta$: MetaCache;
  /** False once a mosaic query found no bounds columns (a table not migrated since they came). */
  #indexed = true;

  constructor(uri: string, options: MysqlCatalogOptions = {}) {
    const url = new URL(uri);
    this.uri = redactUri(uri);
    if (url.protocol !== 'mysql:') throw new CatalogError(`not a mysql:// catalog URI: ${this.uri}`);
    const params = url.searchParams;
    for (const name of params.keys()) {
      if (!PARAMS.includes(name)) throw new CatalogError(`${this.uri}: unknown parameter "${name}" (known: ${PARAMS.join(', ')})`);
    }
    const prefix = params.get('prefix') ?? 'taoguan_';
    if (!/^[A-Za-z0-9_]{0,40}$/.test(prefix)) throw new CatalogError(`${this.uri}: prefix "${prefix}" may hold only letters, digits and "_"`);
    const database = decodeURIComponent(url.pathname.slice(1));
    if (!database) throw new CatalogError(`${this.uri} names no database (mysql://user:pass@host:port/db)`);
    const ssl = params.get('ssl');
    this.#meta = `\`${prefix}meta\``;
    this.#data = `\`${prefix}datasets\``;
    this.#shared = options.sharedPool ?? true;
    this.#idleRefreshMs = options.idleRefreshMs ?? 300_000;
    this.#poolKey = uri;
    this.#meta$ = new MetaCache(this.uri);
    this.#queryTimeoutMs = options.queryTimeoutMs ?? wholeParam(this.uri, params, 'queryTimeout', 10_000);
    this.#config = {
      host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 3306), database,
      user: decodeURIComponent(url.username), password: decodeURIComponent(url.password),
      ssl: ssl === 'skip-verify' ? { rejectUnauthorized: false } : ssl === 'true' ? {} : undefined,
      connectionLimit: options.poolSize ?? wholeParam(this.uri, params, 'pool', 2),
      queueLimit: options.queueLimit ?? wholeParam(this.uri, params, 'queueLimit', 1000),
      connectTimeout: options.connectTimeoutMs ?? wholeParam(this.uri, params, 'connectTimeout', 5000),
      // TCP keep-alive on every connection; one idle connection is kept, more are closed after 60 s
      enableKeepAlive: true, keepAliveInitialDelay: 10_000, maxIdle: 1, idleTimeout: 60_000,
      // without FOUND_ROWS an upsert that changes nothing reports 0 affected rows, not 1 like an insert
      charset: 'UTF8MB4_BIN', flags: ['-FOUND_ROWS'],
    };
  }

  get timeoutMs(): number {
    return this.#queryTimeoutMs;
  }

  async create(keys: KeySpec[]): Promise<void> {
    validateKeySpecs(keys);
    await this.#run(`CREATE TABLE IF NOT EXISTS ${this.#meta} (name VARCHAR(64) NOT NULL PRIMARY KEY, value TEXT NOT NULL) ${TABLE_OPTIONS}`);
    const exists = () => new CatalogError(`a catalog already exists at ${this.uri}`, 'exists');
    const [done] = await this.#run<RowDataPacket[]>(`SELECT name FROM ${this.#meta} WHERE name = 'schema_version'`);
    if (done.length) throw exists();
    // DDL commits implicitly in MySQL, so creation is made safe to repeat instead: the datasets table
    // is created IF NOT EXISTS (a leftover one must have the asked-for columns), and the meta rows,
    // which mark a complete catalog, go in last.
    const [cols] = await this.#run<RowDataPacket[]>('SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [this.#data.slice(1, -1)]);
    const wanted = ['_id', ...keys.map((k) => k.name), ...DATA, ...BOUNDS];
    if (cols.length && cols.map((r) => String(r.c)).join() !== wanted.join()) {
      throw new CatalogError(`${this.uri}: a half-created catalog with columns (${cols.map((r) => r.c).join(', ')}) is in the way: drop table ${this.#data} or use another ?prefix=`, 'exists');
    }
    const type = keys.length <= 24 ? 'VARCHAR(512)' : 'TEXT';
    const ddl = `CREATE TABLE IF NOT EXISTS ${this.#data} (_id BINARY(32) NOT NULL, ${keys.map((k) => `${q(k.name)} ${type} NOT NULL`).join(', ')},
      _location TEXT NOT NULL, _etag VARCHAR(255) NULL, _size BIGINT NOT NULL, _last_modified VARCHAR(64) NULL,
      _metadata MEDIUMTEXT NOT NULL, _header MEDIUMBLOB NOT NULL, ${BOUNDS.map((c) => `${c} DOUBLE NULL`).join(', ')}, PRIMARY KEY (_id),
      ${keys.slice(0, 60).map((k, i) => `KEY ix_k${i} (${q(k.name)}(191))`).join(', ')},
      ${Object.entries(BOUNDS_INDEXES).map(([name, cols]) => `KEY ${name} (${cols})`).join(', ')}) ${TABLE_OPTIONS}`;
    await this.#run(`${ddl} ROW_FORMAT=DYNAMIC`).catch((e: { code?: string }) => {
      // an old Antelope file format refuses DYNAMIC under strict mode; the indexes fit without it
      if (e.code === 'ER_ILLEGAL_HA_CREATE_OPTION') return this.#run(ddl);
      throw e;
    });
    // one statement, one transaction: both rows or neither, and of racing creates exactly one wins
    await this.#run(`INSERT INTO ${this.#meta} (name, value) VALUES ('keys', ?), ('schema_version', ?)`, [JSON.stringify(keys), String(SCHEMA_VERSION)])
      .catch((e: { code?: string }) => Promise.reject(e.code === 'ER_DUP_ENTRY' ? exists() : e));
    this.#meta$.forget();
  }

  async keys(): Promise<KeySpec[]> {
    return (await this.#open()).keys.map((k) => ({ ...k }));
  }

  async put(record: DatasetRecord): Promise<PutResult> {
    const { keys } = await this.#open();
    validateRecord(keys, record);
    const id = idOf(record.keys);
    const next = toStored(record);
    // Re-ingesting an unchanged object is the common case: one primary-key read, no header sent.
    const [old] = await this.#run<RowDataPacket[]>(`SELECT _location AS location, _etag AS etag, _size AS size FROM ${this.#data} WHERE _id = ?`, [id]);
    if (old[0] && sameObject(old[0] as { location: string; etag: string | null; size: number }, next)) return 'unchanged';
    const cols = ['_id', ...keys.map((k) => q(k.name)), ...DATA, ...BOUNDS];
    const values = [id, ...record.keys, next.location, next.etag, next.size, next.lastModified, next.metadata, deflateRawSync(next.header), ...record.metadata.bounds];
    // One statement, so atomic; an upsert, so a retried or twice-delivered ingest is harmless, and of
    // racing puts exactly one inserts (InnoDB serialises them on the primary key).
    const [res] = await this.#run<ResultSetHeader>(`INSERT INTO ${this.#data} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})
      ON DUPLICATE KEY UPDATE ${[...DATA, ...BOUNDS].map((c) => `${c} = VALUES(${c})`).join(', ')}`, values).catch((e: unknown) => {
      throw noBounds(e) ? new CatalogError(`${this.uri}: its table predates the mosaic bounds columns: run \`taoguan catalog migrate ${this.uri}\``, 'schema') : e;
    });
    return res.affectedRows === 1 ? 'inserted' : res.affectedRows === 0 ? 'unchanged' : 'updated';
  }

  get(keyValues: string[]): Promise<DatasetRecord | undefined> {
    return this.#get(keyValues, this.#deadline());
  }

  /** A read's statements share one deadline: the call as a whole ends by it. */
  async #get(keyValues: string[], deadline: number): Promise<DatasetRecord | undefined> {
    validateKeys((await this.#open(false, deadline)).keys, keyValues);
    // query(), not execute(): execute() prepares first, a second round trip on every new connection
    const [rows] = await this.#run<RowDataPacket[]>(`SELECT ${DATA.join(', ')} FROM ${this.#data} WHERE _id = ?`, [idOf(keyValues)], 'query', deadline);
    return rows[0] ? recordOf(keyValues, rows[0]) : undefined;
  }

  async lookup(values: string[]): Promise<Lookup> {
    validateKeyValues(values);
    const deadline = this.#deadline();
    if (this.#meta$.known) {
      const { keys } = await this.#open(false, deadline);
      return { keys: keys.map((k) => ({ ...k })), record: values.length === keys.length ? await this.#get(values, deadline) : undefined };
    }
    // Cold: the meta rows and the dataset row in one statement. The LEFT JOIN from a one-row table
    // gives one row even when there is no such dataset (its columns NULL; _location never is otherwise).
    const [rows] = await this.#run<RowDataPacket[]>(`SELECT (SELECT value FROM ${this.#meta} WHERE name = 'keys') AS _keys,
      (SELECT value FROM ${this.#meta} WHERE name = 'schema_version') AS _version, ${DATA.map((c) => `d.${c}`).join(', ')}
      FROM (SELECT 1 AS one) AS o LEFT JOIN ${this.#data} AS d ON d._id = ?`, [idOf(values)], 'query', deadline).catch(this.#noTable);
    const r = rows[0];
    const meta = parseMeta(this.uri, this.#meta, { keys: r._keys, schema_version: r._version });
    this.#meta$.learn(meta);
    if (meta.version !== SCHEMA_VERSION) throw SchemaErrors.mismatch(this.uri, meta.version, SCHEMA_VERSION);
    const record = r._location !== null && values.length === meta.keys.length ? recordOf(values, r) : undefined;
    return { keys: meta.keys.map((k) => ({ ...k })), record };
  }

  async delete(keyValues: string[]): Promise<boolean> {
    validateKeys((await this.#open()).keys, keyValues);
    const [res] = await this.#run<ResultSetHeader>(`DELETE FROM ${this.#data} WHERE _id = ?`, [idOf(keyValues)]);
    return res.affectedRows > 0;
  }

  async list(query: ListQuery = {}): Promise<DatasetSummary[]> {
    const deadline = this.#deadline();
    const { keys } = await this.#open(false, deadline);
    const plan = planList(keys, query);
    if (plan.empty) return [];
    const [where, params] = whereClause(keys, plan);
    const names = keys.map((k) => q(k.name)).join(', ');
    // query(), not execute(): MySQL 8.0.22+ refuses numbers bound to LIMIT in prepared statements
    const [rows] = await this.#run<RowDataPacket[]>(`SELECT ${names}, _location FROM ${this.#data}${where} ORDER BY ${names} LIMIT ? OFFSET ?`, [...params, plan.limit, plan.offset], 'query', deadline);
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

  /** The mosaic statements' table and runner; a table without bounds columns is remembered, and falls back. */
  #mosaic(deadline: number): MosaicRunner<RowDataPacket> {
    return {
      dialect: DIALECT,
      // MariaDB otherwise picks a key's index for a box and reads a quarter of the table (1.48 vs 6.35 ms on 10,000 rows)
      table: (bbox) => (bbox ? `${this.#data} FORCE INDEX (ix_bounds)` : this.#data),
      rows: async (sql, params) => {
        try {
          // query(): the statement's text varies with the filters, so preparing it would rarely be reused
          return (await this.#run<RowDataPacket[]>(sql, params, 'query', deadline))[0];
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
    const [rows] = await this.#run<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${this.#data}${sql}`, params, 'execute', deadline);
    return Number(rows[0].n);
  }

  async info(): Promise<CatalogInfo> {
    const deadline = this.#deadline();
    const { keys, version } = await this.#open(false, deadline);
    return { uri: this.uri, schemaVersion: version, keys, datasets: await this.#count(undefined, deadline) };
  }

  async migrate(): Promise<{ from: number; to: number }> {
    const { version } = await this.#open(true);
    if (version > SCHEMA_VERSION) throw SchemaErrors.mismatch(this.uri, version, SCHEMA_VERSION);
    await this.#upgradeBounds();
    // Version 0 is the pre-release layout, the same tables as 1; 1 → 2 is upgradeBounds.
    if (version < SCHEMA_VERSION) await this.#run(`UPDATE ${this.#meta} SET value = ? WHERE name = 'schema_version'`, [String(SCHEMA_VERSION)]);
    this.#meta$.forget();
    this.#indexed = true;
    return { from: version, to: SCHEMA_VERSION };
  }

  /**
   * The bounds columns and their indexes where missing, then their values from each record's
   * metadata where NULL: each step skipped when done, so it is safe to run again, and run after an
   * interruption (DDL commits at once in MySQL). Version 2 tables made before the columns came are
   * upgraded in place. JSON_EXTRACT is in MySQL 5.7+ and MariaDB 10.2+; `+ 0` turns its text into
   * a DOUBLE in all of them. A large table may take longer than one lookup: up to 10 minutes each.
   */
  async #upgradeBounds(): Promise<void> {
    const deadline = () => Date.now() + Math.max(this.#queryTimeoutMs, 600_000);
    const table = this.#data.slice(1, -1);
    const [cols] = await this.#run<RowDataPacket[]>('SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [table]);
    const [ixs] = await this.#run<RowDataPacket[]>('SELECT DISTINCT INDEX_NAME AS i FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [table]);
    const haveCols = new Set(cols.map((r) => String(r.c)));
    const haveIxs = new Set(ixs.map((r) => String(r.i)));
    const alter = [
      ...BOUNDS.filter((c) => !haveCols.has(c)).map((c) => `ADD COLUMN ${c} DOUBLE NULL`),
      ...Object.entries(BOUNDS_INDEXES).filter(([name]) => !haveIxs.has(name)).map(([name, c]) => `ADD KEY ${name} (${c})`),
    ];
    if (alter.length) await this.#run(`ALTER TABLE ${this.#data} ${alter.join(', ')}`, [], 'query', deadline());
    await this.#run(`UPDATE ${this.#data} SET ${BOUNDS.map((c, i) => `${c} = JSON_UNQUOTE(JSON_EXTRACT(_metadata, '$.bounds[${i}]')) + 0`).join(', ')}
      WHERE ${BOUNDS.map((c) => `${c} IS NULL`).join(' OR ')}`, [], 'query', deadline());
  }

  /**
   * Every dataset as of one moment (what `catalog publish` snapshots): one InnoDB statement reads one
   * consistent snapshot, whatever is written meanwhile.
   */
  async *records(): AsyncIterable<DatasetRecord> {
    const { keys } = await this.#open();
    const names = keys.map((k) => q(k.name)).join(', ');
    const [rows] = await this.#run<RowDataPacket[]>(`SELECT ${names}, ${DATA.join(', ')} FROM ${this.#data} ORDER BY ${names}`, [], 'query', Date.now() + Math.max(this.#queryTimeoutMs, 600_000));
    for (const r of rows) yield recordOf(keys.map((k) => String(r[k.name])), r);
  }

  async close(): Promise<void> {
    this.#meta$.forget();
    await pools.release(this.#holder, this.#poolKey);
  }

  /** Keys and schema version, read once per catalog object; a missing catalog or other version is refused. */
  #open(anyVersion = false, deadline?: number): Promise<Meta> {
    return this.#meta$.get(() => this.#run<RowDataPacket[]>(`SELECT name, value FROM ${this.#meta}`, [], 'execute', deadline)
      .then(([rows]) => parseMeta(this.uri, this.#meta, Object.fromEntries(rows.map((r) => [String(r.name), r.value]))), this.#noTable), anyVersion);
  }

  #noTable = (e: unknown): never => {
    throw (e as { code?: string }).code === 'ER_NO_SUCH_TABLE' ? SchemaErrors.notFound(this.uri) : e;
  };

  /** The pool, made on first use, renewed after minutes unused (sql-shared.ts). */
  #use(): PoolEntry<Pool> {
    return pools.use(this.#holder, this.#poolKey, this.#shared, this.#idleRefreshMs, () => mysql.createPool(this.#config));
  }

  /** When a call starting now must have ended. */
  #deadline(): number {
    return Date.now() + this.#queryTimeoutMs;
  }

  /**
   * Run one statement, once more if the connection (not the statement) failed, both by `deadline`
   * (a read's statements share its call's). mysql2 drops a connection from the pool when it errs or
   * ends, so the retry runs on a live or new one. Every statement is a read or an idempotent write,
   * so running it twice is safe.
   */
  async #run<T extends Rows>(sql: string, params: Param[] = [], how: 'execute' | 'query' = 'execute', deadline = this.#deadline()): Promise<[T]> {
    const entry = this.#use();
    const attempt = async (): Promise<[T]> => [await runBy<T>(entry.pool, deadline, sql, params, how)];
    return pools.busy(entry, () => attempt()
      .catch((e: { code?: string }) => (RETRYABLE.has(e.code ?? '') && Date.now() < deadline ? attempt() : Promise.reject(e)))
      .catch((e: unknown) => Promise.reject(this.#translate(e))));
  }

  /** Connection faults become 'unavailable', naming host, port and code: never the password. */
  #translate(e: unknown): unknown {
    const { code = '', message } = e as { code?: string; message?: string };
    if (code === 'ER_BAD_DB_ERROR') return new CatalogError(`${this.uri}: database "${this.#config.database}" does not exist`, 'not-found');
    const full = message === QUEUE_FULL;
    if (!UNAVAILABLE.has(code) && !full) return e;
    const why = code === STATEMENT_TIMEOUT ? `no answer within ${this.#queryTimeoutMs} ms`
      : code === DEADLINE ? `no free connection within ${this.#queryTimeoutMs} ms: all ${this.#config.connectionLimit} busy`
        : full ? `${this.#config.queueLimit} callers waiting for a connection already (?queueLimit=)` : code;
    return new CatalogError(`MySQL catalog unavailable at ${this.#config.host}:${this.#config.port} (${why}): ${this.uri}`, 'unavailable');
  }
}

function recordOf(keyValues: string[], r: RowDataPacket): DatasetRecord {
  return fromStored([...keyValues], {
    location: r._location, etag: r._etag, size: Number(r._size), lastModified: r._last_modified,
    metadata: r._metadata, header: inflateRawSync(r._header).toString('utf8'),
  });
}
const q = (name: string) => `\`${name}\``;
const idOf = (keys: string[]) => Buffer.from(datasetId(keys), 'hex');

/** `WHERE k1 IN (?, ?) AND k2 IN (?)`: names come from the catalog's validated keys, values are bound. */
function whereClause(keys: KeySpec[], plan: ListPlan): [string, string[]] {
  if (plan.filters.length === 0) return ['', []];
  const terms = plan.filters.map((f) => `${q(keys[f.position].name)} IN (${f.values.map(() => '?').join(', ')})`);
  return [` WHERE ${terms.join(' AND ')}`, plan.filters.flatMap((f) => f.values)];
}

/** The registry entry point (stores/index.ts). */
export const open = (uri: string): MysqlCatalog => new MysqlCatalog(uri);
