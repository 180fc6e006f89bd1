/**
 * The TableStore (Aliyun OTS) store, for
 * `tablestore://INSTANCE?endpoint=https://INSTANCE.cn-hangzhou.ots.aliyuncs.com&table=taoguan` (and
 * `&timeout=` ms, the most one call may take, tries included: default 10,000), with
 * credentials from ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET and (STS)
 * ALIBABA_CLOUD_SECURITY_TOKEN, which Function Compute sets for a function's role.
 *
 * Layout: one table, primary key [id STRING]. A primary key allows at most 4 columns of at most 1 KB
 * each, so the keys themselves cannot be it when there are many or long ones: id is datasetId(keys).
 *   dataset rows  id = 64 hex chars │ k_<key> STRING … │ location STRING │ etag STRING? │ size INTEGER
 *                 last_modified STRING? │ metadata STRING (JSON) │ header_chunks INTEGER │ header_0 … BINARY
 *   the meta row  id = "!meta" (before every hex id) │ keys STRING (JSON) │ schema_version INTEGER
 * The header is the serialised CogHeader, deflated, cut into 1 MB columns (one attribute holds at most
 * 2 MB; a row is written by one PutRow, which holds at most 4 MB, so a row is replaced atomically).
 * list and count scan the whole table (GetRange pages of ≤ 5,000 rows, filtered on the server when the
 * filter fits its 10-condition limit, and again here) and sort in memory: fine for thousands of
 * datasets; a big catalog would want a secondary index per filtered key.
 *
 * Talking to the service (credentials, retries, error codes) is tablestore-client.ts.
 *
 * What ran where: every line here runs in the tests against test/tablestore-fake.ts, an in-memory
 * TableStore that passes each request through the SDK's own encoder and builds each response row
 * with the SDK's own decoder, and the real SDK client runs over HTTP against a local stub answering
 * in the service's wire format. Nothing was run against the real service (no account here): its
 * error codes, the table-loading delay after CreateTable, filter semantics and limits are as
 * documented, not as observed.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import TableStore from 'tablestore';
import type { CellValue, Cells, RangeBound, TableStoreClient } from 'tablestore';
import { CatalogError, KEY_NAME, SCHEMA_VERSION, validateKeys, validateKeyValues } from '../catalog.ts';
import type { Catalog, CatalogInfo, DatasetRecord, DatasetSummary, KeySpec, ListQuery, Lookup, PutResult } from '../catalog.ts';
import { datasetId, fromStored, planList, redactUri, sameObject, SchemaErrors, toStored, validateKeySpecs, validateRecord } from '../records.ts';
import type { ListPlan, StoredFields } from '../records.ts';
import { cellsOf, num, OtsClient, otsCode, serverFilter } from './tablestore-client.ts';

export interface TableStoreOptions {
  /** A ready SDK client (or a test fake); by default one is made from the URI and the environment. */
  client?: TableStoreClient;
}

const META = '!meta';
const CHUNK = 1024 * 1024;
/** PutRow's request limit is 4 MB; keep room for names, framing and the key columns' checksum bytes. */
const ROW_LIMIT = 4 * 1024 * 1024 - 64 * 1024;
const { EXPECT_EXIST, EXPECT_NOT_EXIST } = TableStore.RowExistenceExpectation;

interface Meta { keys: KeySpec[]; version: number }

export class TableStoreCatalog implements Catalog {
  readonly uri: string;
  readonly #table: string;
  readonly #ots: OtsClient;
  #loaded?: Promise<Meta>;
  /** What #loaded resolved to, once it has: lookup() asks for the meta row only while this is unset. */
  #known?: Meta;

  constructor(uri: string, options: TableStoreOptions = {}) {
    this.uri = redactUri(uri);
    const url = new URL(uri);
    if (url.protocol !== 'tablestore:' || !url.hostname) throw new CatalogError(`not a tablestore://INSTANCE?endpoint=… catalog URI: ${this.uri}`);
    for (const name of url.searchParams.keys()) {
      if (!['endpoint', 'table', 'timeout'].includes(name)) throw new CatalogError(`${this.uri}: unknown parameter "${name}" (known: endpoint, table, timeout)`);
    }
    const endpoint = url.searchParams.get('endpoint') ?? '';
    if (!/^https?:\/\/[^/]+\/?$/.test(endpoint)) throw new CatalogError(`${this.uri}: endpoint= must be the instance's URL, e.g. https://${url.hostname}.cn-hangzhou.ots.aliyuncs.com`);
    this.#table = url.searchParams.get('table') ?? 'taoguan';
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,254}$/.test(this.#table)) throw new CatalogError(`${this.uri}: table "${this.#table}" must be letters, digits and "_"`);
    const timeout = url.searchParams.get('timeout') ?? '10000';
    if (!/^[1-9]\d{0,8}$/.test(timeout)) throw new CatalogError(`${this.uri}: timeout=${JSON.stringify(timeout)} must be a positive whole number of milliseconds`);
    this.#ots = new OtsClient(this.uri, url.hostname, endpoint, options.client, Number(timeout));
  }

  /** The most one call waits, tries included (URI `?timeout=` in ms, default 10,000). */
  get timeoutMs(): number {
    return this.#ots.timeoutMs;
  }

  async create(keys: KeySpec[]): Promise<void> {
    validateKeySpecs(keys);
    await this.#ots.call((c) => c.createTable({
      tableMeta: { tableName: this.#table, primaryKey: [{ name: 'id', type: 'STRING' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
    })).catch((e: unknown) => {
      // a table left by an interrupted create is reused: the meta row, not the table, marks a catalog
      if (otsCode(e) !== 'OTSObjectAlreadyExist') throw e;
    });
    const meta: Cells = [{ keys: JSON.stringify(keys) }, { schema_version: TableStore.Long.fromNumber(SCHEMA_VERSION) }];
    // written once, with EXPECT_NOT_EXIST: of two racing creates exactly one wins
    await this.#put(META, meta, EXPECT_NOT_EXIST, 12).catch((e: unknown) => {
      throw otsCode(e) === 'OTSConditionCheckFail' ? new CatalogError(`a catalog already exists at ${this.uri}`, 'exists') : e;
    });
    this.#forget();
  }

  async keys(): Promise<KeySpec[]> {
    return (await this.#open()).keys.map((k) => ({ ...k }));
  }

  async put(record: DatasetRecord): Promise<PutResult> {
    const { keys } = await this.#open();
    validateRecord(keys, record);
    const id = datasetId(record.keys);
    const next = toStored(record);
    const cells = rowCells(keys, record.keys, next);
    const bytes = rowBytes(cells);
    if (bytes > ROW_LIMIT) {
      throw new CatalogError(`dataset ${record.keys.join('/')}: its header and metadata take ${(bytes / 2 ** 20).toFixed(1)} MB, more than one TableStore row write takes (4 MB)`);
    }
    // Re-ingesting an unchanged object is the common case: one small read, no write. Otherwise the
    // write's condition says whether it inserts or replaces; a racing put or delete that got there
    // first makes it fail, and a fresh look decides again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const stored = await this.#row(id, ['location', 'etag', 'size']);
      const now = stored && { location: String(stored.get('location')), etag: optional(stored, 'etag'), size: num(stored.get('size')) };
      if (now && sameObject(now, next)) return 'unchanged';
      try {
        await this.#put(id, cells, now ? EXPECT_EXIST : EXPECT_NOT_EXIST);
        return now ? 'updated' : 'inserted';
      } catch (e) {
        if (otsCode(e) !== 'OTSConditionCheckFail') throw e;
      }
    }
    throw new CatalogError(`dataset ${record.keys.join('/')} kept changing under concurrent writes: try again`, 'unavailable');
  }

  get(keyValues: string[]): Promise<DatasetRecord | undefined> {
    return this.#get(keyValues, this.#ots.deadline());
  }

  /** A read's requests share one deadline: the call as a whole ends by it. */
  async #get(keyValues: string[], deadline: number): Promise<DatasetRecord | undefined> {
    validateKeys((await this.#open(false, deadline)).keys, keyValues);
    const cells = await this.#row(datasetId(keyValues), undefined, deadline);
    return cells && recordOf(keyValues, cells);
  }

  async lookup(values: string[]): Promise<Lookup> {
    validateKeyValues(values);
    const deadline = this.#ots.deadline();
    if (this.#known) {
      const { keys } = await this.#open(false, deadline);
      return { keys: keys.map((k) => ({ ...k })), record: values.length === keys.length ? await this.#get(values, deadline) : undefined };
    }
    // Cold: the meta row and the dataset row in one BatchGetRow (its rows answer in the order asked).
    const [metaCells, cells] = await this.#ots.call(async (c) => {
      const { tables } = await c.batchGetRow({ tables: [{ tableName: this.#table, primaryKey: [[{ id: META }], [{ id: datasetId(values) }]], maxVersions: 1 }] });
      const rows = tables[0] ?? [];
      // a row can fail on its own (a busy partition): as an error with its code, so call() retries it
      const failed = rows.find((r) => !r.isOk);
      if (failed || rows.length !== 2) throw Object.assign(new Error(`BatchGetRow: ${failed ? `${failed.errorCode}: ${failed.errorMessage}` : `${rows.length} rows for 2`}`), { code: failed?.errorCode ?? 'OTSInternalServerError' });
      return rows.map((r) => (r.attributes?.length ? cellsOf({ attributes: r.attributes }) : undefined));
    }, undefined, deadline);
    const meta = this.#parseMeta(metaCells);
    if (!this.#known) {
      this.#known = meta;
      this.#loaded = Promise.resolve(meta);
    }
    if (meta.version !== SCHEMA_VERSION) throw SchemaErrors.mismatch(this.uri, meta.version, SCHEMA_VERSION);
    return { keys: meta.keys.map((k) => ({ ...k })), record: cells && values.length === meta.keys.length ? recordOf(values, cells) : undefined };
  }

  async delete(keyValues: string[]): Promise<boolean> {
    validateKeys((await this.#open()).keys, keyValues);
    const condition = new TableStore.Condition(EXPECT_EXIST, null);
    return this.#ots.call((c) => c.deleteRow({ tableName: this.#table, condition, primaryKey: [{ id: datasetId(keyValues) }] })).then(() => true, (e: unknown) => {
      if (otsCode(e) === 'OTSConditionCheckFail') return false;
      throw e;
    });
  }

  async list(query: ListQuery = {}): Promise<DatasetSummary[]> {
    const deadline = this.#ots.deadline();
    const { keys } = await this.#open(false, deadline);
    const plan = planList(keys, query);
    if (plan.empty) return [];
    const all = await this.#scan(keys, plan, deadline);
    all.sort((a, b) => compareKeys(a.keys, b.keys));
    return all.slice(plan.offset, plan.offset + plan.limit);
  }

  count(where?: ListQuery['where']): Promise<number> {
    return this.#count(where, this.#ots.deadline());
  }

  async #count(where: ListQuery['where'], deadline: number): Promise<number> {
    const { keys } = await this.#open(false, deadline);
    const plan = planList(keys, { where });
    return plan.empty ? 0 : (await this.#scan(keys, plan, deadline)).length;
  }

  async info(): Promise<CatalogInfo> {
    const deadline = this.#ots.deadline();
    const { keys, version } = await this.#open(false, deadline);
    return { uri: this.uri, schemaVersion: version, keys, datasets: await this.#count(undefined, deadline) };
  }

  async migrate(): Promise<{ from: number; to: number }> {
    const { keys, version } = await this.#open(true);
    if (version > SCHEMA_VERSION) throw SchemaErrors.mismatch(this.uri, version, SCHEMA_VERSION);
    // Version 0 is the pre-release layout, the same rows as 1: only the mark moves.
    if (version < SCHEMA_VERSION) await this.#put(META, [{ keys: JSON.stringify(keys) }, { schema_version: TableStore.Long.fromNumber(SCHEMA_VERSION) }], EXPECT_EXIST);
    this.#forget();
    return { from: version, to: SCHEMA_VERSION };
  }

  async close(): Promise<void> {
    this.#forget(); // the SDK keeps no connection to close (HTTP keep-alive only)
  }

  /** Keys and schema version, read once per catalog object; a missing catalog or other version is refused. */
  async #open(anyVersion = false, deadline?: number): Promise<Meta> {
    const loading = (this.#loaded ??= this.#row(META, undefined, deadline).then((cells) => {
      const meta = this.#parseMeta(cells);
      if (this.#loaded === loading) this.#known = meta;
      return meta;
    }));
    const meta = await loading.catch((e: unknown) => {
      if (this.#loaded === loading) this.#loaded = undefined;
      throw e;
    });
    if (meta.version !== SCHEMA_VERSION && !anyVersion) throw SchemaErrors.mismatch(this.uri, meta.version, SCHEMA_VERSION);
    return meta;
  }

  #parseMeta(cells: Map<string, CellValue> | undefined): Meta {
    if (!cells) throw SchemaErrors.notFound(this.uri);
    const keys = JSON.parse(String(cells.get('keys'))) as KeySpec[];
    if (!Array.isArray(keys) || !keys.every((k) => KEY_NAME.test(k.name))) throw new CatalogError(`${this.uri} has an invalid key name in its meta row`, 'schema');
    return { keys, version: num(cells.get('schema_version')) };
  }

  /** The meta may change (create, migrate) or the catalog be closed: read it again next time. */
  #forget(): void {
    this.#loaded = undefined;
    this.#known = undefined;
  }

  /** One row's cells by name (undefined when absent): a single GetRow. */
  async #row(id: string, columnsToGet?: string[], deadline?: number): Promise<Map<string, CellValue> | undefined> {
    const { row } = await this.#ots.call((c) => c.getRow({ tableName: this.#table, primaryKey: [{ id }], maxVersions: 1, ...(columnsToGet && { columnsToGet }) }), undefined, deadline);
    return row.attributes?.length ? cellsOf(row) : undefined;
  }

  #put(id: string, attributeColumns: Cells, expect: number, tries?: number): Promise<unknown> {
    const condition = new TableStore.Condition(expect, null);
    return this.#ots.call((c) => c.putRow({ tableName: this.#table, condition, primaryKey: [{ id }], attributeColumns }), tries);
  }

  /** Every dataset matching the plan's filters, in primary-key (hash) order, following GetRange's pages. */
  async #scan(keys: KeySpec[], plan: ListPlan, deadline: number): Promise<DatasetSummary[]> {
    const columnsToGet = [...keys.map((k) => `k_${k.name}`), 'location']; // a filter sees only the columns read
    const columnFilter = serverFilter(keys, plan);
    const out: DatasetSummary[] = [];
    let start: RangeBound | undefined = [{ id: TableStore.INF_MIN }];
    while (start) {
      const inclusiveStartPrimaryKey: RangeBound = start;
      const page = await this.#ots.call((c) => c.getRange({
        tableName: this.#table, direction: TableStore.Direction.FORWARD, maxVersions: 1, limit: 5000, columnsToGet,
        inclusiveStartPrimaryKey, exclusiveEndPrimaryKey: [{ id: TableStore.INF_MAX }], ...(columnFilter && { columnFilter }),
      }), undefined, deadline);
      for (const row of page.rows) {
        const cells = cellsOf(row);
        const values = keys.map((k) => cells.get(`k_${k.name}`));
        // the meta row has no key columns; the server's filter is checked again, since it may be absent
        if (values.every((v): v is string => typeof v === 'string') && plan.filters.every((f) => f.values.includes(values[f.position]))) {
          out.push({ keys: values, location: String(cells.get('location')) });
        }
      }
      // a page may come back empty but not last: scanning stops at 5,000 rows or 4 MB, matched or not
      start = page.nextStartPrimaryKey?.map(({ name, value }) => ({ [name]: value }));
    }
    return out;
  }
}

/** Key tuples compared key by key, by UTF-16 code unit (the contract's order). */
function compareKeys(a: string[], b: string[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

/** A dataset row's attribute columns, as laid out at the top; absent ETag and last-modified are left out. */
function rowCells(keys: KeySpec[], values: string[], s: StoredFields): Cells {
  const header = deflateRawSync(s.header);
  const chunks = Array.from({ length: Math.max(1, Math.ceil(header.length / CHUNK)) }, (_, i) => header.subarray(i * CHUNK, (i + 1) * CHUNK));
  return [
    ...keys.map((k, i) => ({ [`k_${k.name}`]: values[i] })),
    { location: s.location },
    ...(s.etag !== null ? [{ etag: s.etag }] : []),
    { size: TableStore.Long.fromNumber(s.size) },
    ...(s.lastModified !== null ? [{ last_modified: s.lastModified }] : []),
    { metadata: s.metadata },
    { header_chunks: TableStore.Long.fromNumber(chunks.length) },
    ...chunks.map((c, i) => ({ [`header_${i}`]: c })),
  ];
}

/** About what one PutRow of these cells sends: names, values, and a few bytes of framing each. */
function rowBytes(cells: Cells): number {
  let bytes = 0;
  for (const cell of cells) {
    for (const [name, v] of Object.entries(cell)) bytes += name.length + 16 + (typeof v === 'string' ? Buffer.byteLength(v) : Buffer.isBuffer(v) ? v.length : 8);
  }
  return bytes;
}

function recordOf(keyValues: string[], cells: Map<string, CellValue>): DatasetRecord {
  const header = Buffer.concat(Array.from({ length: num(cells.get('header_chunks')) }, (_, i) => cells.get(`header_${i}`) as Buffer));
  return fromStored([...keyValues], {
    location: String(cells.get('location')), etag: optional(cells, 'etag'), size: num(cells.get('size')), lastModified: optional(cells, 'last_modified'),
    metadata: String(cells.get('metadata')), header: inflateRawSync(header).toString('utf8'),
  });
}

const optional = (cells: Map<string, CellValue>, name: string) => (cells.has(name) ? String(cells.get(name)) : null);

/** The registry entry point (stores/index.ts). */
export const open = (uri: string): TableStoreCatalog => new TableStoreCatalog(uri);
