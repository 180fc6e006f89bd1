/**
 * Types for the part of the `tablestore` SDK (5.x, which ships none) that the TableStore catalog and
 * its test fake use, written from the SDK's source (lib/client.js, lib/filter.js, lib/metadata.js,
 * lib/protocol/{encoder,decoder}.js) and samples. Request objects are what the SDK's encoder reads;
 * response objects are what its decoder returns.
 */
declare module 'tablestore' {
  /** int64-buffer's Int64LE: how INTEGER cells and timestamps read back. */
  export interface Int64 { toNumber(): number; toString(radix?: number): string }
  export type CellValue = string | number | boolean | Buffer | Int64;
  /** Requests name cells as one-key objects: `[{ id: 'abc' }]`, `[{ col: value }]`. */
  export type Cells = Record<string, CellValue>[];
  export type RangeBound = Record<string, CellValue | typeof INF_MIN | typeof INF_MAX>[];

  export interface Row {
    primaryKey?: { name: string; value: CellValue }[];
    attributes?: { columnName: string; columnValue: CellValue; timestamp: Int64 | null }[];
  }

  export class ColumnCondition {}
  export class SingleColumnCondition extends ColumnCondition {
    constructor(name: string, value: CellValue, comparator: number, passIfMissing?: boolean, latestVersionOnly?: boolean);
    columnName: string;
    columnValue: CellValue;
    comparator: number;
    passIfMissing: boolean;
  }
  export class CompositeCondition extends ColumnCondition {
    constructor(combinator: number);
    addSubCondition(condition: ColumnCondition): void;
    sub_conditions: ColumnCondition[];
    combinator: number;
  }
  export class Condition {
    constructor(rowExistenceExpectation: number, columnCondition?: ColumnCondition | null);
    rowExistenceExpectation: number;
    columnCondition: ColumnCondition | null;
  }

  export interface CreateTableParams {
    tableMeta: { tableName: string; primaryKey: { name: string; type: 'STRING' | 'INTEGER' | 'BINARY' }[] };
    reservedThroughput: { capacityUnit: { read: number; write: number } };
    tableOptions: { timeToLive: number; maxVersions: number };
  }
  export interface PutRowParams { tableName: string; condition: Condition; primaryKey: Cells; attributeColumns: Cells }
  export interface GetRowParams { tableName: string; primaryKey: Cells; maxVersions?: number; columnsToGet?: string[]; columnFilter?: ColumnCondition }
  export interface DeleteRowParams { tableName: string; condition: Condition; primaryKey: Cells }
  export interface GetRangeParams {
    tableName: string;
    direction: 'FORWARD' | 'BACKWARD';
    inclusiveStartPrimaryKey: RangeBound;
    exclusiveEndPrimaryKey: RangeBound;
    limit?: number;
    maxVersions?: number;
    columnsToGet?: string[];
    columnFilter?: ColumnCondition;
  }
  export interface BatchGetRowParams {
    tables: { tableName: string; primaryKey: Cells[]; maxVersions?: number; columnsToGet?: string[] }[];
  }
  /** One row of a BatchGetRow answer: primaryKey and attributes are null when the row does not exist. */
  export interface BatchGetRowItem {
    primaryKey: Row['primaryKey'] | null;
    attributes: Row['attributes'] | null;
    isOk: boolean;
    errorCode: string | null;
    errorMessage: string | null;
    tableName: string;
  }
  export interface Consumed { capacityUnit: { read: number; write: number } }

  /** The client methods the catalog calls, promise form (the SDK returns a promise without a callback). */
  export interface TableStoreClient {
    createTable(params: CreateTableParams): Promise<unknown>;
    putRow(params: PutRowParams): Promise<{ consumed: Consumed; row: Row }>;
    getRow(params: GetRowParams): Promise<{ consumed: Consumed; row: Row }>;
    deleteRow(params: DeleteRowParams): Promise<{ consumed: Consumed; row: Row }>;
    /** Answers one list per table asked, its rows in the order of the primary keys asked. */
    batchGetRow(params: BatchGetRowParams): Promise<{ tables: BatchGetRowItem[][] }>;
    getRange(params: GetRangeParams): Promise<{ consumed: Consumed; rows: Row[]; nextStartPrimaryKey: { name: string; value: CellValue }[] | null }>;
  }

  export const INF_MIN: object;
  export const INF_MAX: object;

  interface Sdk {
    Client: new (config: {
      accessKeyId: string; secretAccessKey: string; stsToken?: string; endpoint: string; instancename: string;
      /** Sets the SDK's retry count (process-wide: DefaultRetryPolicy is shared). */
      maxRetries?: number;
      httpOptions?: { timeout?: number };
    }) => TableStoreClient;
    Condition: typeof Condition;
    SingleColumnCondition: typeof SingleColumnCondition;
    CompositeCondition: typeof CompositeCondition;
    RowExistenceExpectation: { IGNORE: 0; EXPECT_EXIST: 1; EXPECT_NOT_EXIST: 2 };
    ComparatorType: { EQUAL: 1; NOT_EQUAL: 2; GREATER_THAN: 3; GREATER_EQUAL: 4; LESS_THAN: 5; LESS_EQUAL: 6 };
    LogicalOperator: { NOT: 1; AND: 2; OR: 3 };
    Direction: { FORWARD: 'FORWARD'; BACKWARD: 'BACKWARD' };
    INF_MIN: object;
    INF_MAX: object;
    Long: { fromNumber(n: number): Int64 };
    /** The SDK's wire encoding, which the test fake runs requests and rows through. */
    encoder: { encode(operation: string, params: object): object };
    PlainBufferBuilder: { serializeForPutRow(primaryKey: Cells, attributes: Cells): Buffer };
    PlainBufferInputStream: new (data: { buffer: Buffer; offset: number; limit: number }) => object;
    PlainBufferCodedInputStream: new (stream: object) => { readRow(): Row };
  }
  const TableStore: Sdk;
  export default TableStore;
}

/** The SDK's compiled protobuf messages (protobufjs), which the test fake and stub answer with. */
declare module 'tablestore/lib/protocol/tablestore_compiled_proto.js' {
  interface Message { create(properties: object): object; encode(message: object): { finish(): Uint8Array }; decode(data: Uint8Array): object }
  const protos: { main: { proto: Record<string, Message> } };
  export default protos;
}
