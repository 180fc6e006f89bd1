/**
 * The embedded catalog: one SQLite file, through node-sqlite3-wasm (SQLite compiled to WebAssembly
 * with a VFS that reads and writes the file in place). No native addon, so `npm install` needs no
 * compiler and esbuild bundles it (copy dist/node-sqlite3-wasm.wasm beside the bundle); unlike sql.js
 * it does not hold the database in memory and re-export it whole after each write.
 *
 * Concurrency: the VFS locks with a `<file>.lock` directory (mkdir is atomic), one holder at a time,
 * readers included, and SQLite waits up to `busyTimeoutMs` for it. So several processes may read and
 * write one file, one statement at a time; a process killed while it held the lock leaves that
 * directory behind, which the error message names. Many concurrent writers belong on MySQL.
 * Every call here is synchronous under its promise, so instances in one process never interleave.
 * The lock costs two directory operations per statement (0.2–0.9 ms here); `?mode=ro` avoids them
 * by reading a private snapshot (see snapshot()), which is what a function serving tiles should use.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import sqlite3 from 'node-sqlite3-wasm';
import type { Database, SQLiteValue, Statement } from 'node-sqlite3-wasm';
import {
  CatalogError, KEY_NAME, SCHEMA_VERSION, validateKeys, validateKeyValues,
  type Catalog, type CatalogInfo, type DatasetBounds, type DatasetRecord, type DatasetSummary, type KeySpec, type ListQuery, type Lookup, type PutResult,
  type SelectQuery,
} from '../catalog.ts';
import { listMembers, planFilters, selectByMembers } from '../select.ts';
import { boundsOf, mosaicSql, SQLITE_DIALECT, sqliteStored, sqliteWhere, UNFILLED_BOUNDS } from './sql-shared.ts';
import { datasetId, fromStored, planList, sameObject, SchemaErrors, toStored, validateKeySpecs, validateRecord, type StoredFields } from '../records.ts';

export interface SqliteOptions {
  /**
   * Refuse every write and read a private snapshot of the file taken when first used (a catalog
   * fetched from object storage into /tmp, or shipped in a function package): later writes to the
   * file by others are not seen. Without it, reads see every write.
   */
  readOnly?: boolean;
  /** How long a statement waits for another process's lock before failing. */
  busyTimeoutMs?: number;
}

/** `sqlite:PATH`, `sqlite:///abs/path`, or a bare path; `?mode=ro` opens read-only. */
export function parseSqliteUri(uri: string): { path: string; readOnly: boolean } {
  let rest = uri.startsWith('sqlite:') ? uri.slice('sqlite:'.length) : uri;
  if (rest.startsWith('//')) rest = rest.slice(2);
  const q = rest.lastIndexOf('?');
  const params = new URLSearchParams(q >= 0 ? rest.slice(q + 1) : '');
  const path = q >= 0 ? rest.slice(0, q) : rest;
  for (const name of params.keys()) if (name !== 'mode') throw new CatalogError(`sqlite catalog URI ${uri}: unknown parameter "${name}" (only mode=ro|rw)`);
  const mode = params.get('mode') ?? 'rw';
  if (mode !== 'ro' && mode !== 'rw') throw new CatalogError(`sqlite catalog URI ${uri}: mode must be "ro" or "rw", not "${mode}"`);
  if (!path) throw new CatalogError(`sqlite catalog URI ${uri} names no file`);
  return { path, readOnly: mode === 'ro' };
}

/**
 * Migrations from version v to v + 1, run by migrate() in one transaction. Version 0 is the
 * pre-release layout, the same tables as 1 without a guaranteed version row.
 */
const MIGRATIONS: Record<number, (db: Database) => void> = {
  0: () => {},
  // 1 → 2: bounds columns for mosaic selection (upgradeBounds, which migrate() runs at every version)
  1: () => {},
};

/**
 * WGS84 west, south, east, north. SQLite here has no R*Tree module: one B-tree index holds all four,
 * and a query with a box names it (INDEXED BY), so the box test runs on index entries and only the
 * rows under the box are read. Left to choose, without statistics, SQLite walks the key index for
 * the ORDER BY and reads every row: 50 ms against 2.6 ms on 10,000 rows (1.1 ms with key filters).
 */
const BOUNDS = SQLITE_DIALECT.bounds;
const BOUNDS_INDEX = 'taoguan_datasets_bounds';

/**
 * The bounds columns, their indexes and their values from each record's metadata where they are
 * missing: idempotent, so migrate() runs it on a current catalog too (a file `catalog publish`
 * wrote before it copied the bounds has the columns, empty).
 */
function upgradeBounds(db: Database): void {
  const have = new Set(db.all("SELECT name FROM pragma_table_info('taoguan_datasets')").map((r) => String(r.name)));
  for (const c of BOUNDS) if (!have.has(c)) db.exec(`ALTER TABLE taoguan_datasets ADD COLUMN ${c} REAL`);
  db.exec(`UPDATE taoguan_datasets SET ${BOUNDS.map((c, i) => `${c} = json_extract(metadata, '$.bounds[${i}]')`).join(', ')}
    WHERE ${BOUNDS.map((c) => `${c} IS NULL`).join(' OR ')}`);
  // the two-column indexes of the first version 2 files, which no query names
  db.exec(`DROP INDEX IF EXISTS taoguan_datasets_bounds_x; DROP INDEX IF EXISTS taoguan_datasets_bounds_y; ${BOUNDS_INDEXES}`);
}
const BOUNDS_INDEXES = `CREATE INDEX IF NOT EXISTS ${BOUNDS_INDEX} ON taoguan_datasets (${BOUNDS.join(', ')});`;

const DATA_COLUMNS = 'location, etag, size, last_modified, metadata, header';

export class SqliteCatalog implements Catalog {
  readonly uri: string;
  readonly path: string;
  readonly readOnly: boolean;
  readonly busyTimeoutMs: number;
  #db?: Database;
  #specs?: KeySpec[];
  /** Every row has its bounds (checked with the keys): select and members use the index. */
  #indexed = true;
  /** What a mosaic query with a box reads: the bounds index by name once it is known to be there. */
  #boxTable = 'taoguan_datasets';
  /** Read-only mode: the private copy being read (see snapshot()). */
  #snapshot?: string;
  /** Prepared statements for the per-request queries (preparing costs more than running them). */
  #statements = new Map<string, Statement>();

  constructor(uriOrPath: string, options: SqliteOptions = {}) {
    const parsed = parseSqliteUri(uriOrPath);
    this.path = resolve(parsed.path);
    this.readOnly = options.readOnly ?? parsed.readOnly;
    this.busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    this.uri = `sqlite:${this.path}${this.readOnly ? '?mode=ro' : ''}`;
  }

  async create(keys: KeySpec[]): Promise<void> {
    this.#writable('create');
    validateKeySpecs(keys);
    mkdirSync(dirname(this.path), { recursive: true });
    const db = this.#open(false);
    this.#transaction(db, () => {
      if (this.#hasSchema(db)) throw new CatalogError(`a catalog already exists at ${this.uri}`, 'exists');
      const cols = keys.map((k) => `${column(k.name)} TEXT NOT NULL`).join(', ');
      db.exec(`CREATE TABLE taoguan_schema (version INTEGER NOT NULL);
        CREATE TABLE taoguan_keys (position INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT);
        CREATE TABLE taoguan_datasets (id TEXT PRIMARY KEY, ${cols}, location TEXT NOT NULL, etag TEXT,
          size INTEGER NOT NULL, last_modified TEXT, metadata TEXT NOT NULL, header TEXT NOT NULL, updated_at TEXT NOT NULL,
          ${BOUNDS.map((c) => `${c} REAL`).join(', ')});
        CREATE UNIQUE INDEX taoguan_datasets_keys ON taoguan_datasets (${keys.map((k) => column(k.name)).join(', ')});
        ${BOUNDS_INDEXES}`);
      // the unique index serves filters on the first key and the listing order; the others get their own
      for (const k of keys.slice(1)) db.exec(`CREATE INDEX "taoguan_datasets_${k.name}" ON taoguan_datasets (${column(k.name)})`);
      db.run('INSERT INTO taoguan_schema (version) VALUES (?)', SCHEMA_VERSION);
      keys.forEach((k, i) => db.run('INSERT INTO taoguan_keys (position, name, description) VALUES (?, ?, ?)', [i, k.name, k.description ?? null]));
    });
    this.#specs = keys.map((k) => ({ ...k }));
    this.#boxTable = `taoguan_datasets INDEXED BY ${BOUNDS_INDEX}`;
  }

  async keys(): Promise<KeySpec[]> {
    return this.#ready().map((k) => ({ ...k }));
  }

  async put(record: DatasetRecord): Promise<PutResult> {
    this.#writable('put');
    const specs = this.#ready();
    validateRecord(specs, record);
    const id = datasetId(record.keys);
    const next = toStored(record);
    const db = this.#db!;
    return this.#transaction(db, () => {
      const stored = db.get('SELECT location, etag, size FROM taoguan_datasets WHERE id = ?', id) as Pick<StoredFields, 'location' | 'etag' | 'size'> | null;
      if (stored && sameObject(stored, next)) return 'unchanged';
      const values = [next.location, next.etag, next.size, next.lastModified, next.metadata, next.header, new Date().toISOString(), ...record.metadata.bounds];
      if (stored) {
        db.run(`UPDATE taoguan_datasets SET location = ?, etag = ?, size = ?, last_modified = ?, metadata = ?, header = ?, updated_at = ?, ${BOUNDS.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`, [...values, id]);
        return 'updated';
      }
      const keyCols = specs.map((k) => column(k.name)).join(', ');
      db.run(`INSERT INTO taoguan_datasets (id, ${keyCols}, ${DATA_COLUMNS}, updated_at, ${BOUNDS.join(', ')}) VALUES (${placeholders(1 + specs.length + 11)})`, [id, ...record.keys, ...values]);
      return 'inserted';
    });
  }

  async get(keys: string[]): Promise<DatasetRecord | undefined> {
    validateKeys(this.#ready(), keys);
    // all(), not get(): get() leaves the statement open, holding the file lock until the next call
    const [row] = this.#run(() => this.#statement(`SELECT ${DATA_COLUMNS} FROM taoguan_datasets WHERE id = ?`).all(datasetId(keys)));
    return row ? fromStored([...keys], sqliteStored(row as Record<string, SQLiteValue>)) : undefined;
  }

  /** In process, no round trip to save: the key names (read once per instance) and a plain get. */
  async lookup(values: string[]): Promise<Lookup> {
    validateKeyValues(values);
    const specs = this.#ready();
    return { keys: specs.map((k) => ({ ...k })), record: values.length === specs.length ? await this.get(values) : undefined };
  }

  async delete(keys: string[]): Promise<boolean> {
    this.#writable('delete');
    validateKeys(this.#ready(), keys);
    return this.#run(() => this.#db!.run('DELETE FROM taoguan_datasets WHERE id = ?', datasetId(keys)).changes > 0);
  }

  async list(query: ListQuery = {}): Promise<DatasetSummary[]> {
    const specs = this.#ready();
    const plan = planList(specs, query);
    if (plan.empty) return [];
    const { sql, params } = sqliteWhere(specs, plan.filters);
    const keyCols = specs.map((k) => column(k.name)).join(', ');
    const rows = this.#run(() => this.#db!.all(
      `SELECT ${keyCols}, location FROM taoguan_datasets${sql} ORDER BY ${keyCols} LIMIT ? OFFSET ?`, [...params, plan.limit, plan.offset]));
    return rows.map((r) => ({ keys: specs.map((k) => String(r[`k_${k.name}`])), location: String(r.location) }));
  }

  /** One query on the bounds indexes (and the key indexes for the filters), headers included. */
  async select(query: SelectQuery): Promise<DatasetRecord[]> {
    const specs = this.#ready();
    const plan = planFilters(specs, query.where);
    if (plan.empty) return [];
    if (!this.#indexed) return selectByMembers(this, query, await listMembers(this, query.where));
    const { sql, params } = mosaicSql(SQLITE_DIALECT, query.bbox ? this.#boxTable : 'taoguan_datasets', specs, plan, DATA_COLUMNS, query.bbox, query.limit);
    const rows = this.#run(() => this.#statement(sql).all(params));
    return rows.map((r) => fromStored(specs.map((k) => String(r[`k_${k.name}`])), sqliteStored(r as Record<string, SQLiteValue>)));
  }

  /** Keys and bounds only: no metadata or header is read or parsed. */
  async members(where?: SelectQuery['where']): Promise<DatasetBounds[]> {
    const specs = this.#ready();
    const plan = planFilters(specs, where);
    if (plan.empty) return [];
    if (!this.#indexed) return listMembers(this, where);
    const { sql, params } = mosaicSql(SQLITE_DIALECT, 'taoguan_datasets', specs, plan, BOUNDS.join(', '));
    const rows = this.#run(() => this.#statement(sql).all(params));
    return rows.map((r) => ({ keys: specs.map((k) => String(r[`k_${k.name}`])), bounds: boundsOf(SQLITE_DIALECT, r) }));
  }

  async count(where?: ListQuery['where']): Promise<number> {
    const specs = this.#ready();
    const plan = planList(specs, { where });
    if (plan.empty) return 0;
    const { sql, params } = sqliteWhere(specs, plan.filters);
    return Number(this.#run(() => this.#db!.get(`SELECT COUNT(*) AS n FROM taoguan_datasets${sql}`, params))!.n);
  }

  async info(): Promise<CatalogInfo> {
    const keys = await this.keys();
    return { uri: this.uri, schemaVersion: SCHEMA_VERSION, keys, datasets: await this.count() };
  }

  async migrate(): Promise<{ from: number; to: number }> {
    this.#writable('migrate');
    const db = this.#open(true);
    const from = this.#transaction(db, () => {
      const version = this.#version(db);
      if (version > SCHEMA_VERSION) throw SchemaErrors.mismatch(this.uri, version, SCHEMA_VERSION);
      for (let v = version; v < SCHEMA_VERSION; v++) MIGRATIONS[v](db);
      upgradeBounds(db);
      db.run('DELETE FROM taoguan_schema');
      db.run('INSERT INTO taoguan_schema (version) VALUES (?)', SCHEMA_VERSION);
      return version;
    });
    this.#specs = undefined;
    return { from, to: SCHEMA_VERSION };
  }

  async close(): Promise<void> {
    for (const s of this.#statements.values()) s.finalize();
    this.#statements.clear();
    this.#db?.close();
    this.#db = undefined;
    dropSnapshot(this.#snapshot);
    this.#snapshot = undefined;
    this.#specs = undefined;
  }

  /** The catalog's keys, after checking once per instance that it exists with this schema version. */
  #ready(): KeySpec[] {
    if (this.#specs) return this.#specs;
    const db = this.#open(true);
    return this.#run(() => {
      const version = this.#version(db);
      if (version !== SCHEMA_VERSION) throw SchemaErrors.mismatch(this.uri, version, SCHEMA_VERSION);
      const rows = db.all('SELECT name, description FROM taoguan_keys ORDER BY position');
      const specs = rows.map((r) => {
        const name = String(r.name);
        // names become column names: a tampered file must not inject SQL through them
        if (!KEY_NAME.test(name)) throw new CatalogError(`catalog ${this.uri} has an invalid key name ${JSON.stringify(name)}`, 'schema');
        return r.description === null ? { name } : { name, description: String(r.description) };
      });
      this.#indexed = db.all(UNFILLED_BOUNDS).length === 0;
      // a file from before the four-column index (until `catalog migrate`) is left to the planner
      const named = db.all("SELECT 1 AS x FROM sqlite_master WHERE type = 'index' AND name = ?", [BOUNDS_INDEX]).length > 0;
      this.#boxTable = named ? `taoguan_datasets INDEXED BY ${BOUNDS_INDEX}` : 'taoguan_datasets';
      this.#specs = specs;
      return specs;
    });
  }

  #version(db: Database): number {
    if (!this.#hasSchema(db)) throw SchemaErrors.notFound(this.uri);
    const row = db.get('SELECT MAX(version) AS v FROM taoguan_schema');
    return Number(row?.v ?? 0);
  }

  #hasSchema(db: Database): boolean {
    return db.get("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'taoguan_schema'") !== null;
  }

  #open(mustExist: boolean): Database {
    if (this.#db) return this.#db;
    if (mustExist && !existsSync(this.path)) throw SchemaErrors.notFound(this.uri);
    try {
      if (this.readOnly) {
        this.#snapshot = snapshot(this.path, this.busyTimeoutMs);
        this.#db = new sqlite3.Database(this.#snapshot, { readOnly: true });
        // the copy is ours alone: lock it once, not with two directory operations per statement
        this.#db.exec('PRAGMA locking_mode = EXCLUSIVE');
      } else {
        this.#db = new sqlite3.Database(this.path);
      }
    } catch (err) {
      dropSnapshot(this.#snapshot);
      this.#snapshot = undefined;
      if (err instanceof CatalogError) throw err;
      throw new CatalogError(`cannot open SQLite catalog ${this.path}: ${(err as Error).message}`, 'unavailable');
    }
    this.#db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(this.busyTimeoutMs))}`);
    return this.#db;
  }

  #statement(sql: string): Statement {
    let s = this.#statements.get(sql);
    if (!s) this.#statements.set(sql, s = this.#db!.prepare(sql));
    return s;
  }

  #writable(what: string): void {
    if (this.readOnly) throw new CatalogError(`catalog ${this.uri} is open read-only (mode=ro): ${what} refused; open it without ?mode=ro to write`);
  }

  /** Run `fn` in one write transaction (taking the lock first, so the read-then-write in put is atomic). */
  #transaction<T>(db: Database, fn: () => T): T {
    return this.#run(() => {
      db.exec('BEGIN IMMEDIATE');
      try {
        const out = fn();
        db.exec('COMMIT');
        return out;
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  /** SQLite's "locked" (after the busy timeout) and "not a database" become errors that say what to do. */
  #run<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof Error && /file is not a database/.test(err.message)) {
        throw new CatalogError(`${this.path} is not a SQLite database (a taoguan catalog is one)`, 'invalid');
      }
      if (err instanceof Error && /database is locked|SQLITE_BUSY/i.test(err.message)) {
        throw new CatalogError(`SQLite catalog ${this.path} stayed locked for ${this.busyTimeoutMs} ms by another process; `
          + `if no taoguan process is using it, a crashed one left the lock directory ${this.path}.lock: remove it`, 'unavailable');
      }
      throw err;
    }
  }
}

const column = SQLITE_DIALECT.column;
const placeholders = (n: number) => Array(n).fill('?').join(', ');

/** Private read-only copies, removed on close() or, failing that, when the process exits. */
const snapshots = new Set<string>();
let snapshotCount = 0;
let exitHook = false;

/**
 * Read-only mode reads a private copy of the file. The VFS locks with a `<file>.lock` directory: made
 * and removed around every statement that costs 0.2–0.9 ms on this machine's ext4, and it cannot be
 * made at all in a read-only directory (a catalog shipped inside a function package). A private copy
 * can be locked once for good, and a crash cannot leave a lock that blocks the next process.
 * The copy is taken under the same lock, so a writer in another process is never caught half-way.
 */
function snapshot(path: string, busyTimeoutMs: number): string {
  const copy = join(tmpdir(), `taoguan-catalog-${process.pid}-${++snapshotCount}-${randomBytes(4).toString('hex')}.db`);
  const locked = lockFile(path, busyTimeoutMs);
  try {
    copyFileSync(path, copy);
  } finally {
    if (locked) rmdirSync(`${path}.lock`);
  }
  if (!exitHook) process.once('exit', () => snapshots.forEach(dropSnapshot));
  exitHook = true;
  snapshots.add(copy);
  return copy;
}

/** Take the VFS's lock the way it does (mkdir); false where nobody can (a read-only directory). */
function lockFile(path: string, busyTimeoutMs: number): boolean {
  const until = Date.now() + busyTimeoutMs;
  for (;;) {
    try {
      mkdirSync(`${path}.lock`);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') return false;
      if (Date.now() > until) throw new CatalogError(`SQLite catalog ${path} stayed locked for ${busyTimeoutMs} ms; if no taoguan process is using it, remove the stale lock directory ${path}.lock`, 'unavailable');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); // the VFS waits synchronously too
    }
  }
}

function dropSnapshot(copy: string | undefined): void {
  if (!copy) return;
  snapshots.delete(copy);
  rmSync(copy, { force: true });
  rmSync(`${copy}.lock`, { force: true, recursive: true }); // close() releases it; an exit without close() does not
}

/** The registry entry point (stores/index.ts). */
export const open = (uri: string): SqliteCatalog => new SqliteCatalog(uri);
