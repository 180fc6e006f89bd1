/**
 * The catalog's public surface. The stores themselves are not re-exported: importing sqlite.ts
 * compiles SQLite's WebAssembly and mysql.ts loads mysql2, so they load only through openCatalog
 * (or by importing `./sqlite.ts` etc. directly).
 */
export * from './catalog.ts';
export { openCatalog, type OpenOptions } from './open.ts';
export { CachedCatalog, estimateBytes, type CacheOptions, type CacheStats } from './cache.ts';
export { datasetId, redactUri } from './records.ts';
export type { SqliteOptions } from './stores/sqlite.ts';
export { MAX_LIMIT } from './records.ts';
export { answerCatalogCalls, PrimaryCatalog, IPC_MARGIN_MS } from './ipc.ts';
export { CATALOG_STORES, STORE_URIS, storeFor, type CatalogStore } from './stores/index.ts';
export { catalogMembers, compareKeys, filterKey, filterMembers, intersects, matchesKeys, planFilters, selectDatasets } from './select.ts';
export type { PublishOptions, PublishResult } from './stores/publish.ts';
import type { publishCatalog as PublishFnValue, PublishResult } from './stores/publish.ts';
type PublishFn = typeof PublishFnValue;

/** `catalog publish` (stores/publish.ts), imported when called: it loads SQLite's WebAssembly. */
export async function publishCatalog(...args: Parameters<PublishFn>): Promise<PublishResult> {
  return (await import('./stores/publish.ts')).publishCatalog(...args);
}
