/**
 * The layout `catalog publish` writes and the remote SQLite store relies on, apart from both so the
 * remote store loads no more than it reads with (publish.ts loads node-sqlite3-wasm to write).
 */
import { datasetId } from '../records.ts';

/** 'TGC1' in the SQLite header's application_id: each row's rowid is the first 8 bytes of its dataset id. */
export const PUBLISHED_APP_ID = 0x54474331;
export const PUBLISH_PAGE_SIZE = 32768;

/** The rowid a published file gives a dataset (signed, as SQLite's rowids are). */
export function publishedRowid(keys: string[]): bigint {
  return BigInt.asIntN(64, BigInt(`0x${datasetId(keys).slice(0, 16)}`));
}
