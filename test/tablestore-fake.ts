/**
 * An in-memory TableStore for tests (there is no account here): the SDK client methods the catalog
 * calls, with the service's documented behaviour, so the catalog's requests and its handling of
 * answers are exercised without the network.
 *
 * Faithful where it can be checked offline: every request goes through the SDK's own encoder (a
 * malformed one throws as it would before being sent), the 4 MB request limit is checked on the
 * encoded protobuf, and every row returned is built by the SDK's plain-buffer encoder and read back by
 * its decoder (Int64 for INTEGER, Buffer for BINARY, timestamps). Errors carry the service's codes
 * (OTSConditionCheckFail, OTSObjectNotExist, OTSObjectAlreadyExist, OTSParameterInvalid,
 * OTSRequestBodyTooLarge). GetRange stops after `scanRows` rows (5,000 in the service) whether they
 * matched or not, answering nextStartPrimaryKey. Taken from the documentation, not observed: exact
 * messages, the 10-condition filter limit, and that a filter sees only the columns read.
 * Only STRING primary-key columns are supported, one version per cell.
 */
import TableStore from 'tablestore';
import protos from 'tablestore/lib/protocol/tablestore_compiled_proto.js';
import type {
  BatchGetRowItem, BatchGetRowParams, CellValue, Cells, ColumnCondition, CompositeCondition, Condition, CreateTableParams, DeleteRowParams,
  GetRangeParams, GetRowParams, PutRowParams, RangeBound, Row, SingleColumnCondition, TableStoreClient,
} from 'tablestore';

export interface FakeLimits {
  /** Rows one GetRange scans before answering with nextStartPrimaryKey (service: 5,000). */
  scanRows: number;
  /** Bytes of one encoded request (4 MB) and of one attribute value (2 MB). */
  requestBytes: number;
  cellBytes: number;
}

interface StoredRow { pk: Cells; values: string[]; cells: Map<string, CellValue>; timestamp: number }
/** A range bound column: a value, or the SDK's INF_MIN / INF_MAX. */
type Bound = string | -1 | 1;
type Table = { pkNames: string[]; rows: Map<string, StoredRow> };

const consumed = { capacityUnit: { read: 1, write: 0 } };
const { EQUAL, NOT_EQUAL, GREATER_THAN, GREATER_EQUAL, LESS_THAN } = TableStore.ComparatorType;

/** HTTP statuses of the service's errors (its error-code reference); others answer 400. */
const STATUS: Record<string, number> = {
  OTSConditionCheckFail: 403, OTSObjectNotExist: 404, OTSObjectAlreadyExist: 409, OTSRequestBodyTooLarge: 413,
  OTSTableNotReady: 404, OTSPartitionUnavailable: 503, OTSServerBusy: 503, OTSInternalServerError: 500,
};

/**
 * An error as the SDK (5.6.5) hands it over from a service answer: `code` is the HTTP status and
 * `message` the protobuf Error body read as text (its error-body parser, TableStore.XML, is missing).
 */
export function otsError(code: string, message: string): Error {
  const { Error: ErrorMessage } = protos.main.proto;
  const body = Buffer.from(ErrorMessage.encode(ErrorMessage.create({ code, message })).finish()).toString();
  const status = STATUS[code] ?? 400;
  return Object.assign(new Error(`${body} requestId:fake`), { code: status, name: String(status) });
}

export class FakeTableStore implements TableStoreClient {
  readonly limits: FakeLimits;
  /** Calls per operation, so tests can say how many requests something took. */
  readonly calls: Record<string, number> = {};
  readonly #tables = new Map<string, Table>();
  readonly #failures: { operation: string; code: string; times: number }[] = [];

  constructor(limits: Partial<FakeLimits> = {}) {
    this.limits = { scanRows: 5000, requestBytes: 4 * 1024 * 1024, cellBytes: 2 * 1024 * 1024, ...limits };
  }

  async createTable(params: CreateTableParams): Promise<object> {
    this.#enter('createTable', params);
    const { tableName, primaryKey } = params.tableMeta;
    if (this.#tables.has(tableName)) throw otsError('OTSObjectAlreadyExist', 'Requested table already exists.');
    if (primaryKey.length > 4 || primaryKey.some((c) => c.type !== 'STRING')) throw otsError('OTSParameterInvalid', 'the fake takes 1–4 STRING primary-key columns');
    this.#tables.set(tableName, { pkNames: primaryKey.map((c) => c.name), rows: new Map() });
    return {};
  }

  async deleteTable(params: { tableName: string }): Promise<object> {
    this.#enter('deleteTable', params);
    if (!this.#tables.delete(params.tableName)) throw otsError('OTSObjectNotExist', 'Requested table does not exist.');
    return {};
  }

  async putRow(params: PutRowParams) {
    this.#enter('putRow', params);
    const table = this.#table(params.tableName);
    const key = this.#key(table, params.primaryKey);
    this.#check(params.condition, table.rows.get(key));
    const cells = new Map<string, CellValue>();
    for (const cell of params.attributeColumns) {
      const [name, value] = Object.entries(cell)[0];
      const size = typeof value === 'string' ? Buffer.byteLength(value) : Buffer.isBuffer(value) ? value.length : 8;
      if (size > this.limits.cellBytes) throw otsError('OTSParameterInvalid', `The length of attribute column: '${name}' exceeds the MaxLength:${this.limits.cellBytes} with CurrentLength:${size}.`);
      cells.set(name, value);
    }
    const values = params.primaryKey.map((c) => String(Object.values(c)[0]));
    table.rows.set(key, { pk: params.primaryKey, values, cells, timestamp: Date.now() }); // PutRow replaces the whole row
    return { consumed, row: {} };
  }

  async getRow(params: GetRowParams) {
    this.#enter('getRow', params);
    const table = this.#table(params.tableName);
    const stored = table.rows.get(this.#key(table, params.primaryKey));
    return { consumed, row: stored ? this.#answer(stored, params.columnsToGet, params.columnFilter) ?? {} : {} };
  }

  /**
   * Several rows in one request, answered per table in the order asked; a row that does not exist is
   * isOk with null primaryKey and attributes, as the SDK's decoder gives it. A missing table fails the
   * whole request here (the service may instead fail each of its rows: the catalog handles both).
   */
  async batchGetRow(params: BatchGetRowParams) {
    this.#enter('batchGetRow', params);
    const tables = params.tables.map((t) => {
      const table = this.#table(t.tableName);
      return t.primaryKey.map((pk): BatchGetRowItem => {
        const stored = table.rows.get(this.#key(table, pk));
        const row = stored && this.#answer(stored, t.columnsToGet, undefined);
        return { isOk: true, errorCode: null, errorMessage: null, tableName: t.tableName, primaryKey: row?.primaryKey ?? null, attributes: row?.attributes ?? null };
      });
    });
    return { consumed, tables };
  }

  async deleteRow(params: DeleteRowParams) {
    this.#enter('deleteRow', params);
    const table = this.#table(params.tableName);
    const key = this.#key(table, params.primaryKey);
    this.#check(params.condition, table.rows.get(key));
    table.rows.delete(key);
    return { consumed, row: {} };
  }

  async getRange(params: GetRangeParams) {
    this.#enter('getRange', params);
    if (params.direction !== 'FORWARD') throw otsError('OTSParameterInvalid', 'the fake scans FORWARD only');
    const table = this.#table(params.tableName);
    const from = bound(params.inclusiveStartPrimaryKey);
    const to = bound(params.exclusiveEndPrimaryKey);
    const inRange = [...table.rows.values()].filter((r) => compare(r.values, from) >= 0 && compare(r.values, to) < 0)
      .sort((a, b) => compare(a.values, b.values));
    const rows: Row[] = [];
    let scanned = 0;
    for (const stored of inRange) {
      if (scanned === this.limits.scanRows || rows.length === (params.limit ?? Infinity)) {
        return { consumed, rows, nextStartPrimaryKey: stored.pk.map((c) => ({ name: Object.keys(c)[0], value: Object.values(c)[0] })) };
      }
      scanned++;
      const row = this.#answer(stored, params.columnsToGet, params.columnFilter);
      if (row) rows.push(row);
    }
    return { consumed, rows, nextStartPrimaryKey: null };
  }

  /** Make the next `times` calls of `operation` fail with `code` (a table still loading, a busy server). */
  failNext(operation: string, code: string, times = 1): void {
    this.#failures.push({ operation, code, times });
  }

  /** Count the call, run the SDK's encoder (its checks, and the request's size as sent), inject failures. */
  #enter(operation: string, params: object): void {
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
    this.#encode(operation, params);
    const failure = this.#failures.find((f) => f.operation === operation && f.times > 0);
    if (failure && failure.times-- > 0) throw otsError(failure.code, 'injected by the fake');
  }

  /** The SDK's encoder, run for its checks and to measure the request as it would be sent. */
  #encode(operation: string, params: object): void {
    const request = TableStore.encoder.encode(operation, params);
    const size = (Object.getPrototypeOf(request).constructor as { encode(r: object): { finish(): Uint8Array } }).encode(request).finish().length;
    if (size > this.limits.requestBytes) throw otsError('OTSRequestBodyTooLarge', 'The size of POST data is too large.');
  }

  #table(name: string): Table {
    const table = this.#tables.get(name);
    if (!table) throw otsError('OTSObjectNotExist', 'Requested table does not exist.');
    return table;
  }

  /** Rows are kept under their primary-key values joined by NUL, which compares like the values in turn. */
  #key(table: Table, pk: Cells): string {
    const names = pk.map((c) => Object.keys(c)[0]);
    if (names.join() !== table.pkNames.join()) throw otsError('OTSParameterInvalid', 'Validate PK name fail.');
    const values = pk.map((c) => Object.values(c)[0]);
    for (const v of values) {
      if (typeof v !== 'string') throw otsError('OTSParameterInvalid', 'Validate PK type fail.');
      if (Buffer.byteLength(v) > 1024) throw otsError('OTSParameterInvalid', 'The length of primary key column exceeds the MaxLength:1024.');
    }
    return values.join('\u0000');
  }

  #check(condition: Condition, row: StoredRow | undefined): void {
    const expect = condition.rowExistenceExpectation;
    const ok = (expect === 1 && row) || (expect === 2 && !row) || expect === 0;
    if (!ok || (condition.columnCondition && (!row || !matches(condition.columnCondition, row.cells)))) {
      throw otsError('OTSConditionCheckFail', 'Condition check failed.');
    }
  }

  /** The row as the SDK would decode it from the wire, or undefined when the filter rejects it. */
  #answer(stored: StoredRow, columnsToGet: string[] | undefined, filter: ColumnCondition | undefined): Row | undefined {
    const cells = new Map([...stored.cells].filter(([name]) => !columnsToGet || columnsToGet.includes(name)));
    if (filter) {
      if (countConditions(filter) > 10) throw otsError('OTSParameterInvalid', 'The count of conditions in filter exceeds the limit: 10.');
      if (!matches(filter, cells)) return undefined;
    }
    const attributes = [...cells].map(([name, value]) => ({ [name]: value, timestamp: TableStore.Long.fromNumber(stored.timestamp) }));
    const wire = TableStore.PlainBufferBuilder.serializeForPutRow(stored.pk, attributes as Cells);
    return new TableStore.PlainBufferCodedInputStream(new TableStore.PlainBufferInputStream({ buffer: wire, offset: 0, limit: wire.length })).readRow();
  }
}

function bound(pk: RangeBound): Bound[] {
  return pk.map((c) => {
    const v = Object.values(c)[0];
    if (v === TableStore.INF_MIN) return -1;
    if (v === TableStore.INF_MAX) return 1;
    if (typeof v !== 'string') throw otsError('OTSParameterInvalid', 'Validate PK type fail.');
    return v;
  });
}

/** Primary keys in order, column by column; TableStore orders STRING values by their UTF-8 bytes. */
function compare(row: string[], to: Bound[]): number {
  for (let i = 0; i < row.length; i++) {
    const b = to[i];
    const order = typeof b === 'number' ? -b : Buffer.compare(Buffer.from(row[i]), Buffer.from(b));
    if (order !== 0) return order;
  }
  return 0;
}

function countConditions(c: ColumnCondition): number {
  return c instanceof TableStore.CompositeCondition ? 1 + c.sub_conditions.reduce((n: number, s: ColumnCondition) => n + countConditions(s), 0) : 1;
}

function matches(c: ColumnCondition, cells: Map<string, CellValue>): boolean {
  if (c instanceof TableStore.CompositeCondition) {
    const { combinator, sub_conditions: subs } = c as CompositeCondition;
    if (combinator === TableStore.LogicalOperator.NOT) {
      if (subs.length !== 1) throw otsError('OTSParameterInvalid', 'NOT takes exactly one sub-condition.');
      return !matches(subs[0], cells);
    }
    if (subs.length < 2) throw otsError('OTSParameterInvalid', 'AND and OR take at least two sub-conditions.');
    return combinator === TableStore.LogicalOperator.AND ? subs.every((s) => matches(s, cells)) : subs.some((s) => matches(s, cells));
  }
  const s = c as SingleColumnCondition;
  const value = cells.get(s.columnName);
  if (value === undefined) return s.passIfMissing;
  if (typeof value !== typeof s.columnValue) return s.comparator === NOT_EQUAL;
  const order = typeof value === 'string' ? Buffer.compare(Buffer.from(value), Buffer.from(s.columnValue as string)) : Number(value) - Number(s.columnValue);
  return s.comparator === EQUAL ? order === 0 : s.comparator === NOT_EQUAL ? order !== 0 : s.comparator === GREATER_THAN ? order > 0
    : s.comparator === GREATER_EQUAL ? order >= 0 : s.comparator === LESS_THAN ? order < 0 : order <= 0;
}
