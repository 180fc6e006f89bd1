/**
 * Talking to TableStore through the `tablestore` SDK for the TableStore catalog: a client made from
 * the environment's credentials, retries, error codes, cells and filters.
 *
 * The SDK (5.6.5) reports a service error with the HTTP status as `code` and the protobuf error body
 * as `message` (its error-body parser, TableStore.XML, does not exist), so the OTS error code is read
 * out of the message here. The SDK's own retries are keyed on OTS codes in `code`, so they never fire
 * for service errors: OtsClient turns them off and retries transient errors itself.
 */
import TableStore from 'tablestore';
import type { CellValue, ColumnCondition, Row, TableStoreClient } from 'tablestore';
import { CatalogError, type KeySpec } from '../catalog.ts';
import { byDeadline, isDeadline } from '../deadline.ts';
import { SchemaErrors, type ListPlan } from '../records.ts';

/** Errors worth a retry: the service was busy, loading or unreachable, not the request wrong. */
const TRANSIENT = new Set(['NetworkingError', 'OTSRowOperationConflict', 'OTSNotEnoughCapacityUnit', 'OTSTableNotReady', 'OTSPartitionUnavailable',
  'OTSServerBusy', 'OTSStorageServerBusy', 'OTSOperationThrottled', 'OTSTimeout', 'OTSInternalServerError', 'OTSServerUnavailable', '500', '502', '503']);
const DENIED = new Set(['OTSAuthFailed', 'OTSNoPermissionAccess', 'OTSQuotaExhausted']);

/** The OTS error code: `code` where an SDK sets it to one, else the code inside the error body. */
export function otsCode(e: unknown): string {
  const { code, message } = (e ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && !/^\d+$/.test(code)) return code;
  return /\b(OTS[A-Za-z]+)/.exec(String(message))?.[1] ?? String(code ?? '');
}

export class OtsClient {
  #client?: { client: TableStoreClient; credentials: string };

  /**
   * `uri` is already redacted; `injected` is a ready client (or a test fake) to use instead;
   * `timeoutMs` bounds one call, its tries and waits included.
   */
  constructor(readonly uri: string, readonly instance: string, readonly endpoint: string, readonly injected?: TableStoreClient, readonly timeoutMs = 10_000) {}

  /**
   * Run an SDK call, retrying transient faults (100 ms, doubling, at most 3 s apart), all of it by
   * `deadline` (default `timeoutMs` from now; a read's calls share its): a try still running then is
   * abandoned, and no retry waits past it. (4 tries of the SDK's own timeout would be 40 s.) Every write the catalog makes is
   * conditional, so a write retried after it succeeded fails its condition, which the callers
   * handle. A missing table is a missing catalog; faults that remain become 'unavailable'.
   */
  async call<T>(fn: (client: TableStoreClient) => Promise<T>, tries = 4, deadline = this.deadline()): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await byDeadline(fn(this.#sdk()), deadline);
      } catch (e) {
        if (isDeadline(e)) throw this.#unavailable(`no answer within ${this.timeoutMs} ms`);
        const code = otsCode(e);
        const wait = Math.min(3000, 50 * 2 ** attempt);
        if (TRANSIENT.has(code) && attempt < tries && Date.now() + wait < deadline) {
          await new Promise((resolve) => setTimeout(resolve, wait));
          continue;
        }
        if (code === 'OTSObjectNotExist') throw SchemaErrors.notFound(this.uri);
        if (TRANSIENT.has(code) || DENIED.has(code)) {
          // eslint-disable-next-line no-control-regex -- the message may hold a protobuf body's length bytes
          const said = String((e as Error).message).replace(/[\u0000-\u001f]+/g, ' ').trim();
          throw this.#unavailable(`${code}: ${said}`);
        }
        throw e;
      }
    }
  }

  /** When a call starting now must have ended. */
  deadline(): number {
    return Date.now() + this.timeoutMs;
  }

  #unavailable(why: string): CatalogError {
    return new CatalogError(`TableStore catalog unavailable at ${this.endpoint} (${why}): ${this.uri}`, 'unavailable');
  }

  #sdk(): TableStoreClient {
    if (this.injected) return this.injected;
    const { ALIBABA_CLOUD_ACCESS_KEY_ID: id, ALIBABA_CLOUD_ACCESS_KEY_SECRET: secret, ALIBABA_CLOUD_SECURITY_TOKEN: token } = process.env;
    if (!id || !secret) throw new CatalogError(`${this.uri}: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN with STS credentials)`, 'unavailable');
    // STS credentials expire and are replaced in the environment: new ones get a new client
    const credentials = `${id}:${secret}:${token ?? ''}`;
    if (this.#client?.credentials !== credentials) {
      // retries are ours (see the top), and a request call() stopped waiting for ends by itself as late
      const client = new TableStore.Client({ accessKeyId: id, secretAccessKey: secret, ...(token && { stsToken: token }),
        endpoint: this.endpoint, instancename: this.instance, maxRetries: 0, httpOptions: { timeout: this.timeoutMs } });
      this.#client = { client, credentials };
    }
    return this.#client.client;
  }
}

/** A row's cells by column name. */
export const cellsOf = (row: Row): Map<string, CellValue> => new Map((row.attributes ?? []).map((a) => [a.columnName, a.columnValue]));

/** An INTEGER cell (Int64 as read, or a number) as a number. */
export const num = (v: CellValue | undefined): number => (typeof v === 'number' ? v : v && typeof v === 'object' && 'toNumber' in v ? v.toNumber() : NaN);

/**
 * (k_a = x OR k_a = y) AND k_b = z …, the filter GetRange applies on the server, or undefined when
 * there is nothing to filter or it would take more than the service's 10 conditions.
 */
export function serverFilter(keys: KeySpec[], plan: ListPlan): ColumnCondition | undefined {
  let conditions = 0;
  const combine = (op: number, parts: ColumnCondition[]): ColumnCondition => {
    if (parts.length === 1) return parts[0];
    conditions++;
    const all = new TableStore.CompositeCondition(op);
    parts.forEach((p) => all.addSubCondition(p));
    return all;
  };
  const terms = plan.filters.map((f) => combine(TableStore.LogicalOperator.OR, f.values.map((v) => {
    conditions++;
    // passIfMissing false: the meta row, which has no key columns, never matches
    return new TableStore.SingleColumnCondition(`k_${keys[f.position].name}`, v, TableStore.ComparatorType.EQUAL, false);
  })));
  const filter = terms.length ? combine(TableStore.LogicalOperator.AND, terms) : undefined;
  return conditions <= 10 ? filter : undefined;
}
