/**
 * The layout `catalog publish` writes and the remote SQLite store relies on, apart from both so the
 * remote store loads no more than it reads with (publish.ts loads node-sqlite3-wasm to write).
 */
import type { KeySpec } from '../catalog.ts';
import { datasetId } from '../records.ts';

/** 'TGC1' in the SQLite header's application_id: each row's rowid is the first 8 bytes of its dataset id. */
export const PUBLISHED_APP_ID = 0x54474331;
export const PUBLISH_PAGE_SIZE = 32768;

/**
 * A published file's mosaic index: every key, then the bounds — all a mosaic's filters and box
 * test need, so a mosaic query reads this index (built last, its pages in order at the file's end)
 * and then only the rows it returns, never the table's other leaves. ~80 bytes a dataset: 25 pages
 * of 32 KiB for 10,000.
 */
export const MOSAIC_INDEX = 'taoguan_datasets_mosaic';
export const mosaicIndexSql = (keys: KeySpec[]) =>
  `CREATE INDEX ${MOSAIC_INDEX} ON taoguan_datasets (${keys.map((k) => `"k_${k.name}"`).join(', ')}, bounds_w, bounds_s, bounds_e, bounds_n)`;

/** The rowid a published file gives a dataset (signed, as SQLite's rowids are). */
export function publishedRowid(keys: string[]): bigint {
  return BigInt.asIntN(64, BigInt(`0x${datasetId(keys).slice(0, 16)}`));
}
