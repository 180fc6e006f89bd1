/**
 * A read-only SQLite catalog in an object location — `https://…/catalog.sqlite`,
 * `s3://bucket/catalog.sqlite`, `oss://…`, `cos://…` (a name ending .sqlite or .db) — read through
 * lib/source (credentials, retries, ETag checks) like the rasters, with no database server and no VPC.
 *
 * Pages are read by HTTP range, not the whole file: SQLite (wa-sqlite's Asyncify build, whose VFS
 * may await) asks for the pages a query needs and a page cache over the source fetches those it has
 * not got. The first request reads the file's first `prefetch` bytes (default 160 KiB: in a file
 * from `catalog publish`, 32 KiB pages, that is the schema, the key and version tables and the
 * datasets table's root); a lookup then needs one leaf page more, because publish makes each row's
 * rowid the hash of its keys (see publish.ts). So a cold process's first tile reads 192 KiB in 2
 * requests whatever the catalog's size: measured on a 10,000-dataset, 43 MB file, 40 ms on loopback
 * where downloading it whole took 584 ms (scripts/tools/bench/catalogs.ts). A mosaic's select reads
 * the published file's mosaic index (keys and bounds, read ahead as it is scanned) and one leaf per
 * dataset it returns: on a 10,000-dataset, 40 MB file a new process's first one read 0.6 MB in 7–8
 * requests (scripts/tools/bench/mosaic.ts).
 *
 * The object's ETag is pinned: every page read asks for that ETag (If-Match), so one call never mixes
 * two versions. A replaced object is noticed when a read fails that check, when a lookup misses (a
 * newly published dataset) and at latest `refresh` seconds after the last check (a HEAD); then the
 * new version is opened and the call runs again on it. Writes fail, naming the location.
 *
 * URI parameters (removed from the location before it is read): `refresh` (seconds between ETag
 * checks, default 60; 0 checks before every call), `prefetch` (bytes of the first read), `whole`
 * (a file up to this many bytes is read whole, default 1 MiB: the measured crossover).
 */
import { ObjectChangedError, ObjectMissingError, openSource, type OpenOptions, type Source } from '../../source/index.ts';
import {
  CatalogError, KEY_NAME, SCHEMA_VERSION, validateKeys, validateKeyValues,
  type Catalog, type CatalogInfo, type DatasetBounds, type DatasetRecord, type DatasetSummary, type KeySpec, type ListQuery, type Lookup,
  type PutResult, type SelectQuery,
} from '../catalog.ts';
import { datasetId, fromStored, planList, redactUri, SchemaErrors } from '../records.ts';
import { listMembers, planFilters, selectByMembers } from '../select.ts';
import { MOSAIC_INDEX, PUBLISHED_APP_ID, publishedRowid } from './published-layout.ts';
import { closeDb, openDb, query, RemoteFile } from './remote-sqlite-file.ts';
import { boundsOf, mosaicSql, SQLITE_DIALECT, sqliteStored, sqliteWhere, UNFILLED_BOUNDS } from './sql-shared.ts';

export interface RemoteSqliteOptions {
  /** How the object is read (credentials, endpoint, retries); default: as any raster location. */
  source?: OpenOptions;
  /** Wrap the source (tests and the bench record requests this way). */
  wrap?: (source: Source) => Source;
  refreshMs?: number;
  prefetchBytes?: number;
  /** A file no larger than this is read whole by the second request (URI `?whole=`; default 1 MiB). */
  wholeBelowBytes?: number;
  /** Pages kept in memory at most (bytes, default 64 MiB); the oldest go first. */
  maxCacheBytes?: number;
}

const DEFAULT_PREFETCH = 160 * 1024;
/**
 * Below this size the whole file costs no more time than the ranges a lookup needs, and later
 * queries none: measured crossover 0.7 MB at 5 ms + 100 MB/s per response, 1.2 MB at 20 ms + 50 MB/s
 * (scripts/tools/bench/catalogs.ts).
 */
const DEFAULT_WHOLE_BELOW = 1024 * 1024;
/** A lookup that misses checks the ETag at most this often (a flood of unknown keys is not a flood of HEADs). */
const MISS_CHECK_MS = 1000;
const DATA_COLUMNS = 'location, etag, size, last_modified, metadata, header';
const PARAMS = ['refresh', 'prefetch', 'whole'];

/** `https://h/c.sqlite?refresh=30` → the location to read and the parameters taoguan took from it. */
export function parseRemoteUri(uri: string): { location: string; refreshMs?: number; prefetchBytes?: number; wholeBelowBytes?: number } {
  const q = uri.indexOf('?');
  if (q < 0) return { location: uri };
  const params = new URLSearchParams(uri.slice(q + 1));
  const kept = new URLSearchParams();
  const out: { refreshMs?: number; prefetchBytes?: number; wholeBelowBytes?: number } = {};
  for (const [name, value] of params) {
    if (!PARAMS.includes(name)) {
      // a signed URL's own parameters stay; an object store's key has no query
      kept.append(name, value);
      continue;
    }
    if (!/^\d{1,9}$/.test(value)) throw new CatalogError(`${redactUri(uri)}: ${name}=${JSON.stringify(value)} must be a whole number`);
    if (name === 'refresh') out.refreshMs = Number(value) * 1000;
    else if (name === 'whole') out.wholeBelowBytes = Number(value);
    else out.prefetchBytes = Number(value);
  }
  const rest = kept.toString();
  const location = uri.slice(0, q) + (rest ? `?${rest}` : '');
  if (!/^https?:/i.test(location) && rest) throw new CatalogError(`${redactUri(uri)}: unknown parameter(s) ${[...kept.keys()].join(', ')} (known: ${PARAMS.join(', ')})`);
  return { location, ...out };
}

interface Version {
  file: RemoteFile;
  name: string;
  db: number;
  /** Rowids are the datasets' hashes (a file from `catalog publish`). */
  hashed: boolean;
  keys?: KeySpec[];
  /** How a mosaic is answered here, learnt on the first one (see #mosaicTable). */
  mosaic?: Promise<string | undefined>;
  checkedAt: number;
}

export class RemoteSqliteCatalog implements Catalog {
  readonly uri: string;
  readonly location: string;
  readonly refreshMs: number;
  readonly prefetchBytes: number;
  readonly wholeBelowBytes: number;
  readonly #options: RemoteSqliteOptions;
  #version?: Promise<Version>;
  /** Every version opened so far (the bench and tests read their costs). */
  readonly versions: RemoteFile[] = [];

  constructor(uri: string, options: RemoteSqliteOptions = {}) {
    const parsed = parseRemoteUri(uri);
    this.uri = redactUri(uri);
    this.location = parsed.location;
    this.refreshMs = options.refreshMs ?? parsed.refreshMs ?? 60_000;
    this.prefetchBytes = options.prefetchBytes ?? parsed.prefetchBytes ?? DEFAULT_PREFETCH;
    this.wholeBelowBytes = options.wholeBelowBytes ?? parsed.wholeBelowBytes ?? DEFAULT_WHOLE_BELOW;
    this.#options = options;
  }

  async create(_keys: KeySpec[]): Promise<void> {
    throw this.#readOnly('create');
  }

  async put(_record: DatasetRecord): Promise<PutResult> {
    throw this.#readOnly('put');
  }

  async delete(_keys: string[]): Promise<boolean> {
    throw this.#readOnly('delete');
  }

  async migrate(): Promise<{ from: number; to: number }> {
    throw this.#readOnly('migrate');
  }

  async keys(): Promise<KeySpec[]> {
    return this.#call(async (v) => (await this.#keys(v)).map((k) => ({ ...k })));
  }

  get(keys: string[]): Promise<DatasetRecord | undefined> {
    return this.#call(async (v) => {
      validateKeys(await this.#keys(v), keys);
      return this.#get(v, keys);
    }, true);
  }

  async lookup(values: string[]): Promise<Lookup> {
    validateKeyValues(values);
    const found = await this.#call(async (v) => {
      const keys = await this.#keys(v);
      return { keys: keys.map((k) => ({ ...k })), record: values.length === keys.length ? await this.#get(v, values) : undefined };
    }, true);
    return found;
  }

  list(listQuery: ListQuery = {}): Promise<DatasetSummary[]> {
    return this.#call(async (v) => {
      const specs = await this.#keys(v);
      const plan = planList(specs, listQuery);
      if (plan.empty) return [];
      const { sql, params } = sqliteWhere(specs, plan.filters);
      const cols = specs.map((k) => column(k.name)).join(', ');
      const rows = await query(v.db, `SELECT ${cols}, location FROM taoguan_datasets${sql} ORDER BY ${cols} LIMIT ? OFFSET ?`, [...params, plan.limit, plan.offset]);
      return rows.map((r) => ({ keys: specs.map((k) => String(r[`k_${k.name}`])), location: String(r.location) }));
    });
  }

  /**
   * One statement: the mosaic index (keys and bounds) finds the rowids, then only those rows are
   * read — their headers with them. Cold on a published 10,000-dataset file: that index's pages
   * (scanned in order, so read ahead) and one leaf per dataset returned.
   */
  select(q: SelectQuery): Promise<DatasetRecord[]> {
    return this.#call(async (v) => {
      const specs = await this.#keys(v);
      const plan = planFilters(specs, q.where);
      if (plan.empty) return [];
      const table = await this.#mosaicTable(v);
      if (table === undefined) return selectByMembers(this, q, await listMembers(this, q.where));
      const inner = mosaicSql(SQLITE_DIALECT, table, specs, plan, 'rowid AS _rid', q.bbox, q.limit);
      const keyCols = specs.map((k) => `m.${column(k.name)}`).join(', ');
      // materialized: the index is scanned whole first (in order, so read ahead), then the rows read
      const sql = `WITH m AS MATERIALIZED (${inner.sql}) SELECT ${keyCols}, ${DATA_COLUMNS.split(', ').map((c) => `d.${c}`).join(', ')}
        FROM m JOIN taoguan_datasets AS d ON d.rowid = m._rid ORDER BY ${keyCols}`;
      const rows = await this.#guard(v, () => query(v.db, sql, inner.params));
      return rows.map((r) => fromStored(specs.map((k) => String(r[`k_${k.name}`])), sqliteStored(r)));
    });
  }

  /** Keys and bounds from the mosaic index alone: not one table page. */
  members(where?: SelectQuery['where']): Promise<DatasetBounds[]> {
    return this.#call(async (v) => {
      const specs = await this.#keys(v);
      const plan = planFilters(specs, where);
      if (plan.empty) return [];
      const table = await this.#mosaicTable(v);
      if (table === undefined) return listMembers(this, where);
      const { sql, params } = mosaicSql(SQLITE_DIALECT, table, specs, plan, SQLITE_DIALECT.bounds.join(', '));
      const rows = await this.#guard(v, () => query(v.db, sql, params));
      return rows.map((r) => ({ keys: specs.map((k) => String(r[`k_${k.name}`])), bounds: boundsOf(SQLITE_DIALECT, r) }));
    });
  }

  /**
   * What a mosaic query reads from: the covering index of a file from `catalog publish`, the plain
   * table (its bounds indexes) for another SQLite file, or undefined when some row has no bounds (a
   * file an earlier publish wrote): such a version is answered by listing and reading records, and
   * publishing it again ends that. Asked once per version, on its first mosaic query, so a tile of
   * one dataset never pays for it.
   */
  #mosaicTable(v: Version): Promise<string | undefined> {
    v.mosaic ??= this.#guard(v, async () => {
      // the schema is on the first page, read already; a publish that writes the index writes the bounds
      const ix = await query(v.db, "SELECT 1 AS x FROM sqlite_master WHERE type = 'index' AND name = ?", [MOSAIC_INDEX]);
      if (ix.length) return `taoguan_datasets INDEXED BY ${MOSAIC_INDEX}`;
      return (await query(v.db, UNFILLED_BOUNDS)).length ? undefined : 'taoguan_datasets';
    });
    const asked = v.mosaic;
    asked.catch(() => {
      if (v.mosaic === asked) v.mosaic = undefined;
    });
    return asked;
  }

  count(where?: ListQuery['where']): Promise<number> {
    return this.#call(async (v) => {
      const specs = await this.#keys(v);
      const plan = planList(specs, { where });
      if (plan.empty) return 0;
      const { sql, params } = sqliteWhere(specs, plan.filters);
      return Number((await query(v.db, `SELECT COUNT(*) AS n FROM taoguan_datasets${sql}`, params))[0].n);
    });
  }

  async info(): Promise<CatalogInfo> {
    const keys = await this.keys();
    return { uri: this.uri, schemaVersion: SCHEMA_VERSION, keys, datasets: await this.count() };
  }

  async close(): Promise<void> {
    const version = this.#version;
    this.#version = undefined;
    if (version) await version.then((v) => this.#drop(v), () => undefined);
  }

  /** What reading has cost since this catalog was made: requests and bytes, over every version. */
  get cost(): { requests: number; bytes: number; versions: number } {
    return {
      requests: this.versions.reduce((n, f) => n + f.requests, 0),
      bytes: this.versions.reduce((n, f) => n + f.bytesRead, 0),
      versions: this.versions.length,
    };
  }

  /**
   * Run `work` on the current version. A read that finds the object replaced (its ETag no longer
   * matches) drops that version and runs `work` once more on the new one; so does a lookup that
   * found nothing, when a HEAD says the object changed (a dataset published since).
   */
  async #call<T>(work: (v: Version) => Promise<T>, missCheck = false): Promise<T> {
    const v = await this.#current();
    let result: T;
    try {
      result = await work(v);
    } catch (e) {
      if (!(e instanceof ObjectChangedError)) throw e;
      this.#replace(v);
      return work(await this.#current());
    }
    const missed = missCheck && (result === undefined || (result as Lookup | undefined)?.record === undefined);
    // a failed check leaves the miss a miss: the pinned version is still a whole, consistent catalog
    if (missed && Date.now() - v.checkedAt >= MISS_CHECK_MS && await this.#changed(v).catch(() => false)) {
      this.#replace(v);
      return work(await this.#current());
    }
    return result;
  }

  /** The version to read: opened on first use, checked against the object's ETag every `refresh`. */
  async #current(): Promise<Version> {
    const opening = (this.#version ??= this.#openVersion());
    const v = await opening.catch((e: unknown) => {
      if (this.#version === opening) this.#version = undefined;
      throw e;
    });
    if (Date.now() - v.checkedAt < this.refreshMs) return v;
    // the object cannot be checked (the store is down): the pinned version keeps answering from what
    // it has, and the check is due again an interval later
    const changed = await this.#changed(v).catch(() => {
      v.checkedAt = Date.now();
      return false;
    });
    if (!changed) return v;
    this.#replace(v);
    return this.#current();
  }

  /** A HEAD: true when the object's ETag is no longer the pinned one. */
  async #changed(v: Version): Promise<boolean> {
    const info = await this.#source().head().catch((e: unknown) => {
      throw this.#translate(e);
    });
    v.checkedAt = Date.now();
    return info.etag !== v.file.etag || info.size !== v.file.size;
  }

  #replace(v: Version): void {
    if (this.#version) {
      const current = this.#version;
      this.#version = undefined;
      void current.then((c) => (c === v ? this.#drop(v) : undefined), () => undefined);
    }
  }

  #source(): Source {
    const source = openSource(this.location, this.#options.source);
    return this.#options.wrap ? this.#options.wrap(source) : source;
  }

  async #openVersion(): Promise<Version> {
    const file = new RemoteFile(this.#source(), this.#options.maxCacheBytes ?? 64 * 1024 * 1024);
    await file.open(this.prefetchBytes, this.wholeBelowBytes).catch((e: unknown) => {
      throw this.#translate(e);
    });
    this.versions.push(file);
    const { name, db } = await openDb(file).catch((e: unknown) => {
      throw this.#translate(e, file);
    });
    const v: Version = { file, name, db, hashed: false, checkedAt: Date.now() };
    try {
      // SQLite's own page cache would hold the same pages again (2 MB by default): this file's cache is the one
      await query(v.db, 'PRAGMA cache_size = -256');
      const [{ application_id: app }] = await query(v.db, 'PRAGMA application_id');
      v.hashed = Number(app) === PUBLISHED_APP_ID;
    } catch (e) {
      await this.#drop(v);
      throw this.#translate(e, file);
    }
    return v;
  }

  #drop(v: Version): Promise<void> {
    return closeDb(v.name, v.db);
  }

  /** Key names and schema version, read once per version. */
  async #keys(v: Version): Promise<KeySpec[]> {
    if (v.keys) return v.keys;
    const rows = await this.#guard(v, async () => {
      const tables = await query(v.db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'taoguan_schema'");
      if (!tables.length) throw this.#notFound();
      const version = Number((await query(v.db, 'SELECT MAX(version) AS v FROM taoguan_schema'))[0].v ?? 0);
      if (version !== SCHEMA_VERSION) throw SchemaErrors.mismatch(this.uri, version, SCHEMA_VERSION);
      return query(v.db, 'SELECT name, description FROM taoguan_keys ORDER BY position');
    });
    const specs = rows.map((r) => {
      const name = String(r.name);
      if (!KEY_NAME.test(name)) throw new CatalogError(`catalog ${this.uri} has an invalid key name ${JSON.stringify(name)}`, 'schema');
      return r.description === null ? { name } : { name, description: String(r.description) };
    });
    v.keys = specs;
    return specs;
  }

  /** One dataset: by its hashed rowid in a published file (the table's B-tree only), else by the id index. */
  async #get(v: Version, keys: string[]): Promise<DatasetRecord | undefined> {
    const id = datasetId(keys);
    const rows = await this.#guard(v, async () => {
      if (v.hashed) {
        const byRowid = await query(v.db, `SELECT id, ${DATA_COLUMNS} FROM taoguan_datasets WHERE rowid = ?`, [publishedRowid(keys)]);
        if (byRowid[0]?.id === id) return byRowid;
      }
      // a file not from publish, or one written to since: the id index finds it (two pages more)
      return query(v.db, `SELECT id, ${DATA_COLUMNS} FROM taoguan_datasets WHERE id = ?`, [id]);
    });
    return rows[0] ? fromStored([...keys], sqliteStored(rows[0])) : undefined;
  }

  /** SQLite's errors from a read that failed underneath are the read's own (a changed or missing object). */
  async #guard<T>(v: Version, work: () => Promise<T>): Promise<T> {
    v.file.failure = undefined;
    try {
      return await work();
    } catch (e) {
      throw this.#translate(e, v.file);
    }
  }

  #translate(e: unknown, file?: RemoteFile): unknown {
    const cause = file?.failure ?? e;
    if (cause instanceof ObjectChangedError || cause instanceof CatalogError) return cause;
    if (cause instanceof ObjectMissingError) return this.#notFound();
    const message = (cause as Error)?.message ?? String(cause);
    if (/not a database|malformed/i.test(message)) return new CatalogError(`${this.location} is not a SQLite database (a taoguan catalog is one)`, 'invalid');
    return new CatalogError(`remote SQLite catalog unavailable (${message}): ${this.uri}`, 'unavailable');
  }

  #notFound(): CatalogError {
    return new CatalogError(`no taoguan catalog at ${this.uri}: run \`taoguan catalog create sqlite:catalog.db --keys …\`, ingest, then `
      + `\`taoguan catalog publish sqlite:catalog.db ${this.location}\``, 'not-found');
  }

  #readOnly(what: string): CatalogError {
    return new CatalogError(`catalog ${this.uri} is a read-only SQLite file in an object location: ${what} refused; `
      + `write to the catalog it was published from, then \`taoguan catalog publish SRC ${this.location}\``);
  }
}

const column = SQLITE_DIALECT.column;

/** The registry entry point (stores/index.ts). */
export const open = (uri: string): RemoteSqliteCatalog => new RemoteSqliteCatalog(uri);
