/**
 * What the SQL stores share. All of them (SQLite, the published SQLite, MySQL, PostgreSQL): the
 * mosaic query — key filters and a box on the WGS84 bounds columns, keys ascending — written once
 * and spelled by each dialect. The server stores (MySQL, PostgreSQL): the meta table's rows read
 * once per catalog object, pools that outlive catalog objects and are renewed after minutes unused,
 * and the URI's numeric parameters. Each store keeps its own other SQL and its own error codes.
 */
import { CatalogError, KEY_NAME, SCHEMA_VERSION, type Bounds, type DatasetBounds, type DatasetRecord, type KeySpec, type SelectQuery } from '../catalog.ts';
import { SchemaErrors, type StoredFields } from '../records.ts';
import { checkBoxAndLimit, planFilters, type FilterPlan } from '../select.ts';

/** How one SQL dialect names what a mosaic query touches. */
export interface SqlDialect {
  /** A key's column, quoted. */
  column(name: string): string;
  /** The bounds columns, west, south, east, north: plain identifiers, used unquoted. */
  bounds: readonly [string, string, string, string];
  /** The n-th (1-based) bound parameter: `?` or `$n`. */
  param(n: number): string;
}

/** SQLite's spelling, for the SQLite store and the published file read remotely (the same tables). */
export const SQLITE_DIALECT: SqlDialect = {
  column: (name) => `"k_${name}"`,
  bounds: ['bounds_w', 'bounds_s', 'bounds_e', 'bounds_n'],
  param: () => '?',
};

/** SQLite's ` WHERE` over exact key filters (both SQLite stores; '' for none). */
export function sqliteWhere(specs: KeySpec[], filters: { position: number; values: string[] }[]): { sql: string; params: string[] } {
  if (filters.length === 0) return { sql: '', params: [] };
  const terms = filters.map((f) => `${SQLITE_DIALECT.column(specs[f.position].name)} IN (${f.values.map(() => '?').join(', ')})`);
  return { sql: ` WHERE ${terms.join(' AND ')}`, params: filters.flatMap((f) => f.values) };
}

/** A SQLite row's stored record fields (both SQLite stores: the same table). */
export function sqliteStored(row: Record<string, unknown>): StoredFields {
  return {
    location: String(row.location),
    etag: row.etag === null ? null : String(row.etag),
    size: Number(row.size),
    lastModified: row.last_modified === null ? null : String(row.last_modified),
    metadata: String(row.metadata),
    header: String(row.header),
  };
}

/** One probe of SQLite's bounds index: a row without bounds (an early `catalog publish`) means the index cannot answer. */
export const UNFILLED_BOUNDS = 'SELECT 1 AS x FROM taoguan_datasets WHERE bounds_w IS NULL LIMIT 1';

/** Past every valid character, so `col >= p AND col < p || MAX` is a prefix match that a key's B-tree index serves. */
const PREFIX_END = '\u{10FFFF}';

/**
 * One mosaic statement: `columns` (after the key columns) of the datasets matching the filters whose
 * bounds meet `bbox` (closed boxes, as intersects() in select.ts), keys ascending, at most `limit`.
 * Key names come from the catalog's validated keys, values and the box are bound, the limit is a
 * checked integer.
 */
export function mosaicSql(dialect: SqlDialect, table: string, specs: KeySpec[], plan: FilterPlan, columns: string, bbox?: Bounds, limit?: number): { sql: string; params: (string | number)[] } {
  checkBoxAndLimit(bbox, limit);
  const terms: string[] = [];
  const params: (string | number)[] = [];
  const bind = (v: string | number) => dialect.param(params.push(v));
  for (const f of plan.exact) {
    terms.push(`${dialect.column(specs[f.position].name)} IN (${f.values.map(bind).join(', ')})`);
  }
  for (const f of plan.prefixes) {
    const col = dialect.column(specs[f.position].name);
    terms.push(`${col} >= ${bind(f.prefix)} AND ${col} < ${bind(f.prefix + PREFIX_END)}`);
  }
  if (bbox) {
    const [w, s, e, n] = dialect.bounds;
    terms.push(`${w} <= ${bind(bbox[2])} AND ${e} >= ${bind(bbox[0])} AND ${s} <= ${bind(bbox[3])} AND ${n} >= ${bind(bbox[1])}`);
  }
  const keyCols = specs.map((k) => dialect.column(k.name)).join(', ');
  const where = terms.length ? ` WHERE ${terms.join(' AND ')}` : '';
  return { sql: `SELECT ${keyCols}, ${columns} FROM ${table}${where} ORDER BY ${keyCols}${limit === undefined ? '' : ` LIMIT ${limit}`}`, params };
}

/** What a server store (MySQL, PostgreSQL) lends the mosaic queries they share. */
export interface MosaicRunner<R extends Record<string, unknown>> {
  dialect: SqlDialect;
  /** The datasets table as a statement names it, with any index hint a query with a box needs. */
  table(bbox: boolean): string;
  /** A statement's rows, or undefined when the table has no bounds columns yet (then the caller falls back). */
  rows(sql: string, params: (string | number)[]): Promise<R[] | undefined>;
}

/** Catalog.select in one statement, headers included; undefined when the table predates the bounds columns. */
export async function indexedSelect<R extends Record<string, unknown>>(
  run: MosaicRunner<R>, keys: KeySpec[], query: SelectQuery, columns: string, record: (values: string[], row: R) => DatasetRecord,
): Promise<DatasetRecord[] | undefined> {
  const plan = planFilters(keys, query.where);
  if (plan.empty) return [];
  const { sql, params } = mosaicSql(run.dialect, run.table(query.bbox !== undefined), keys, plan, columns, query.bbox, query.limit);
  const rows = await run.rows(sql, params);
  return rows?.map((r) => record(keys.map((k) => String(r[k.name])), r));
}

/** Catalog.members in one statement: keys and bounds, no metadata or header read; undefined as for indexedSelect. */
export async function indexedMembers<R extends Record<string, unknown>>(run: MosaicRunner<R>, keys: KeySpec[], where?: SelectQuery['where']): Promise<DatasetBounds[] | undefined> {
  const plan = planFilters(keys, where);
  if (plan.empty) return [];
  const { sql, params } = mosaicSql(run.dialect, run.table(false), keys, plan, run.dialect.bounds.join(', '));
  const rows = await run.rows(sql, params);
  return rows?.map((r) => ({ keys: keys.map((k) => String(r[k.name])), bounds: boundsOf(run.dialect, r) }));
}

/** A row's four bounds columns as numbers. */
export function boundsOf(dialect: SqlDialect, row: Record<string, unknown>): Bounds {
  return dialect.bounds.map((c) => Number(row[c])) as Bounds;
}

export interface Meta { keys: KeySpec[]; version: number }

/** The meta rows ('keys', 'schema_version') as a Meta; a missing version row means no catalog. */
export function parseMeta(uri: string, table: string, meta: { keys?: unknown; schema_version?: unknown }): Meta {
  // no version row: never created, or creation was interrupted (create() can be run again)
  if (meta.schema_version === null || meta.schema_version === undefined) throw SchemaErrors.notFound(uri);
  const keys = JSON.parse(String(meta.keys)) as KeySpec[];
  // names become column names: a tampered meta table must not inject SQL through them
  if (!Array.isArray(keys) || !keys.every((k) => KEY_NAME.test(k.name))) throw new CatalogError(`${uri} has an invalid key name in ${table}`, 'schema');
  return { keys, version: Number(meta.schema_version) };
}

/**
 * The meta, read once per catalog object and shared by concurrent first callers; a failed read is
 * forgotten so the next call tries again. `known` is set once it has resolved: a cold lookup reads it
 * together with the record instead (one round trip), and says so with `learn`.
 */
export class MetaCache {
  #loading?: Promise<Meta>;
  known?: Meta;

  constructor(readonly uri: string) {}

  async get(load: () => Promise<Meta>, anyVersion = false): Promise<Meta> {
    const loading = (this.#loading ??= load().then((meta) => {
      if (this.#loading === loading) this.known = meta;
      return meta;
    }));
    const meta = await loading.catch((e: unknown) => {
      if (this.#loading === loading) this.#loading = undefined;
      throw e;
    });
    if (meta.version !== SCHEMA_VERSION && !anyVersion) throw SchemaErrors.mismatch(this.uri, meta.version, SCHEMA_VERSION);
    return meta;
  }

  learn(meta: Meta): void {
    if (this.known) return;
    this.known = meta;
    this.#loading = Promise.resolve(meta);
  }

  /** The meta may change (create, migrate) or the catalog be closed: read it again next time. */
  forget(): void {
    this.#loading = undefined;
    this.known = undefined;
  }
}

/** A pool and who uses it: pools outlive catalog objects (a function's module scope survives between warm invocations). */
export interface PoolEntry<P> { pool: P; users: number; busy: number; lastUsed: number }

/**
 * One pool per URI in this process (or one per catalog object, unshared), made on first use. After
 * minutes unused (a function instance frozen between invocations) its connections are replaced, not
 * trusted: a NAT or load balancer may have dropped them silently, and a query on such a socket hangs
 * until TCP gives up instead of failing fast.
 */
export class SharedPools<P extends { end(): Promise<void> }> {
  readonly #pools = new Map<string, PoolEntry<P>>();

  use(holder: { entry?: PoolEntry<P> }, key: string, shared: boolean, idleRefreshMs: number, create: () => P): PoolEntry<P> {
    if (!holder.entry) {
      let entry = shared ? this.#pools.get(key) : undefined;
      if (!entry) {
        entry = { pool: create(), users: 0, busy: 0, lastUsed: Date.now() };
        if (shared) this.#pools.set(key, entry);
      }
      entry.users++;
      holder.entry = entry;
    }
    const entry = holder.entry;
    if (entry.busy === 0 && Date.now() - entry.lastUsed > idleRefreshMs) {
      entry.pool.end().catch(() => undefined);
      entry.pool = create();
    }
    entry.lastUsed = Date.now();
    return entry;
  }

  /** `work` on the entry, counted busy meanwhile (a busy pool is never renewed under a query). */
  async busy<T>(entry: PoolEntry<P>, work: () => Promise<T>): Promise<T> {
    entry.busy++;
    try {
      return await work();
    } finally {
      entry.busy--;
      entry.lastUsed = Date.now();
    }
  }

  /** The holder lets go; the last user of a pool ends it. */
  async release(holder: { entry?: PoolEntry<P> }, key: string): Promise<void> {
    const entry = holder.entry;
    holder.entry = undefined;
    if (!entry || --entry.users > 0) return;
    if (this.#pools.get(key) === entry) this.#pools.delete(key);
    await entry.pool.end();
  }
}

/** A URI parameter that must be a positive whole number (a pool size, milliseconds). */
export function wholeParam(uri: string, params: URLSearchParams, name: string, fallback: number): number {
  const text = params.get(name);
  if (text === null) return fallback;
  if (!/^[1-9]\d{0,8}$/.test(text)) throw new CatalogError(`${uri}: ${name}=${JSON.stringify(text)} must be a positive whole number`);
  return Number(text);
}
