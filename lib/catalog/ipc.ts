/**
 * The catalog of `serve` workers, asked through the primary process: only the primary opens the
 * store, so a SQLite catalog's WASM engine (~20 MiB once queried) and a MySQL pool live once per
 * machine, not once per worker. Workers keep their own CachedCatalog in front, so a warm worker
 * still answers tiles with no catalog traffic at all; only misses, listings and counts cross over.
 * Read-only: the API never writes to the catalog. A worker's call waits for the primary's answer at
 * most the store's own timeout plus IPC_MARGIN_MS: a primary that is stuck (its event loop blocked,
 * say) costs a worker's request a 503 within the catalog timeout, like a stuck store.
 */
import type { Worker } from 'node:cluster';
import {
  CatalogError, type Catalog, type CatalogInfo, type DatasetBounds, type DatasetRecord, type DatasetSummary, type KeySpec, type ListQuery, type PutResult,
  type SelectQuery,
} from './catalog.ts';
import { catalogMembers, selectDatasets } from './select.ts';

const READS = ['keys', 'get', 'lookup', 'list', 'count', 'info', 'select', 'members'] as const;
type Read = (typeof READS)[number];

interface Call { catalogCall: { id: number; method: Read; args: unknown[] } }
interface Reply { catalogReply: { id: number; value?: unknown; error?: { message: string; name: string; code?: CatalogError['code'] } } }

/** What a reply may take beyond the store's timeout: the primary's queue and the IPC channel both ways. */
export const IPC_MARGIN_MS = 1000;

/** Primary side: answer one worker's catalog calls from the primary's own catalog. */
export function answerCatalogCalls(worker: Worker, catalog: Catalog): void {
  worker.on('message', (m: Partial<Call>) => {
    const call = m.catalogCall;
    if (!call || !READS.includes(call.method)) return;
    // a store without its own mosaic queries answers them through the fallbacks, on the primary
    const run = call.method === 'select' ? selectDatasets(catalog, call.args[0] as SelectQuery)
      : call.method === 'members' ? catalogMembers(catalog, call.args[0] as SelectQuery['where'])
        : (catalog[call.method] as (...a: unknown[]) => Promise<unknown>).apply(catalog, call.args);
    run.then(
      (value) => worker.isConnected() && worker.send({ catalogReply: { id: call.id, value } } satisfies Reply),
      (e: Error) => worker.isConnected() && worker.send({
        catalogReply: { id: call.id, error: { message: e.message, name: e.name, code: e instanceof CatalogError ? e.code : undefined } },
      } satisfies Reply),
    );
  });
}

/** Worker side: the Catalog interface over the IPC channel to the primary. */
export class PrimaryCatalog implements Catalog {
  #next = 0;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  /** `storeTimeoutMs`: the primary's store's (its Catalog.timeoutMs); a call waits that plus IPC_MARGIN_MS. */
  constructor(readonly uri: string, readonly storeTimeoutMs = 10_000) {
    process.on('message', (m: Partial<Reply>) => {
      const reply = m.catalogReply;
      // a reply after its call gave up finds nothing waiting, and is dropped
      const waiting = reply && this.#pending.get(reply.id);
      if (!reply || !waiting) return;
      this.#pending.delete(reply.id);
      clearTimeout(waiting.timer);
      if (!reply.error) return waiting.resolve(reply.value);
      const { message, name, code } = reply.error;
      // Rebuilt as the error it was, so the API maps it the same way (400, 404, 503 with Retry-After).
      const e = name === 'CatalogError' ? new CatalogError(message, code) : Object.assign(new Error(message), { name });
      waiting.reject(e);
    });
    // No primary, no catalog: fail what is waiting rather than hang.
    process.on('disconnect', () => {
      for (const w of this.#pending.values()) {
        clearTimeout(w.timer);
        w.reject(new CatalogError('the serve primary process is gone', 'unavailable'));
      }
      this.#pending.clear();
    });
  }

  get timeoutMs(): number {
    return this.storeTimeoutMs + IPC_MARGIN_MS;
  }

  #call<T>(method: Read, ...args: unknown[]): Promise<T> {
    if (!process.send || !process.connected) return Promise.reject(new CatalogError('no serve primary process to ask', 'unavailable'));
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new CatalogError(`the serve primary did not answer a catalog ${method} within ${this.timeoutMs} ms`, 'unavailable'));
      }, this.timeoutMs);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      process.send!({ catalogCall: { id, method, args } } satisfies Call);
    });
  }

  keys(): Promise<KeySpec[]> { return this.#call('keys'); }
  get(keys: string[]): Promise<DatasetRecord | undefined> { return this.#call('get', keys); }
  lookup(values: string[]): Promise<{ keys: KeySpec[]; record: DatasetRecord | undefined }> { return this.#call('lookup', values); }
  list(query?: ListQuery): Promise<DatasetSummary[]> { return this.#call('list', query); }
  count(where?: ListQuery['where']): Promise<number> { return this.#call('count', where); }
  info(): Promise<CatalogInfo> { return this.#call('info'); }
  select(query: SelectQuery): Promise<DatasetRecord[]> { return this.#call('select', query); }
  members(where?: SelectQuery['where']): Promise<DatasetBounds[]> { return this.#call('members', where); }

  #readOnly(): never {
    throw new CatalogError('serve workers read the catalog only; write with `taoguan ingest` / `taoguan catalog`');
  }
  create(): Promise<void> { this.#readOnly(); }
  put(): Promise<PutResult> { this.#readOnly(); }
  delete(): Promise<boolean> { this.#readOnly(); }
  migrate(): Promise<{ from: number; to: number }> { this.#readOnly(); }
  async close(): Promise<void> {}
}
