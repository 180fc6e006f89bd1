/**
 * Mosaic selection over any catalog: the datasets matching key filters (a value, a list, a prefix)
 * whose WGS84 bounds meet a box. The SQL stores answer it themselves (Catalog.select and
 * Catalog.members), each in ONE statement built by stores/sql-shared.ts (mosaicSql) on bounds
 * columns written at put:
 * - SQLite: REAL columns under one four-column B-tree index, named by a query with a box;
 * - MySQL (5.7, 8, MariaDB): DOUBLE columns, the same index, named the same way (FORCE INDEX);
 * - PostgreSQL: DOUBLE columns under (west, east) and (south, north) indexes, combined by bitmap;
 * - MySQL and PostgreSQL tables made before the columns are upgraded in place by `taoguan catalog
 *   migrate`, and until then answer through the fallback below (so do SQLite files whose bounds are
 *   empty, from an earlier `catalog publish`);
 * - a published SQLite file read by ranges: a covering index of keys and bounds as well, so a cold
 *   select reads that index and one leaf per dataset it returns (remote-sqlite.ts).
 * TableStore has no such query: there these fall back to listing by the exact filters and reading
 * each record's bounds — slow cold, which is why CachedCatalog keeps the members of each filter as an
 * in-memory index (cache.ts), so warm tiles of every store choose their sources in memory.
 */
import {
  CatalogError, validateKeyValue,
  type Bounds, type Catalog, type DatasetBounds, type DatasetRecord, type KeySpec, type ListQuery, type SelectQuery,
} from './catalog.ts';
import { MAX_LIMIT } from './records.ts';

export interface FilterPlan {
  exact: { position: number; values: string[] }[];
  prefixes: { position: number; prefix: string }[];
  /** Some list is empty: nothing can match. */
  empty: boolean;
}

/** Check a mosaic's filters against the key names and values, as positions. */
export function planFilters(specs: KeySpec[], where: SelectQuery['where'] = {}): FilterPlan {
  const plan: FilterPlan = { exact: [], prefixes: [], empty: false };
  for (const [name, filter] of Object.entries(where)) {
    const position = specs.findIndex((k) => k.name === name);
    if (position < 0) throw new CatalogError(`unknown key "${name}": this catalog's keys are ${specs.map((k) => k.name).join(', ')}`);
    if (typeof filter === 'object' && !Array.isArray(filter)) {
      if (typeof filter.prefix !== 'string') throw new CatalogError(`key "${name}": a prefix filter needs a string prefix`);
      if (filter.prefix !== '') validateKeyValue(name, filter.prefix);
      if (filter.prefix !== '') plan.prefixes.push({ position, prefix: filter.prefix });
      continue;
    }
    const values = Array.isArray(filter) ? filter : [filter];
    for (const v of values) validateKeyValue(name, v);
    plan.exact.push({ position, values });
    if (values.length === 0) plan.empty = true;
  }
  return plan;
}

export function matchesKeys(plan: FilterPlan, keys: readonly string[]): boolean {
  return plan.exact.every((f) => f.values.includes(keys[f.position])) && plan.prefixes.every((f) => keys[f.position].startsWith(f.prefix));
}

/** Closed boxes: a dataset touching the tile's edge is a candidate (planning drops it if it has no pixel there). */
export const intersects = (a: Bounds, b: Bounds): boolean => a[0] <= b[2] && a[2] >= b[0] && a[1] <= b[3] && a[3] >= b[1];

/** Key order as the SQL stores list it (binary collation), for results merged in memory. */
export function compareKeys(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

/** A stable text for a filter set, as a cache key: key order and list order do not matter. */
export function filterKey(where: SelectQuery['where'] = {}): string {
  const norm = Object.entries(where).map(([k, f]) => [k, Array.isArray(f) ? [...f].sort() : f] as const);
  norm.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(norm);
}

/** The exact (value and list) filters as a ListQuery's where, for stores that only know those. */
export function exactWhere(specs: KeySpec[], plan: FilterPlan): NonNullable<ListQuery['where']> {
  return Object.fromEntries(plan.exact.map((f) => [specs[f.position].name, f.values]));
}

/** Keys and bounds of every dataset matching `where`: the store's own query, or list + get. */
export async function catalogMembers(catalog: Catalog, where?: SelectQuery['where']): Promise<DatasetBounds[]> {
  return catalog.members ? catalog.members(where) : listMembers(catalog, where);
}

/** The fallback: list by the exact filters (paged), prefixes in memory, one get per dataset for its bounds. */
export async function listMembers(catalog: Catalog, where?: SelectQuery['where']): Promise<DatasetBounds[]> {
  const specs = await catalog.keys();
  const plan = planFilters(specs, where);
  if (plan.empty) return [];
  const out: DatasetBounds[] = [];
  for (let page = 0; ; page++) {
    const rows = await catalog.list({ where: exactWhere(specs, plan), limit: MAX_LIMIT, page });
    const wanted = rows.filter((r) => matchesKeys(plan, r.keys));
    const records = await inBatches(wanted, 16, (r) => catalog.get(r.keys));
    for (const rec of records) if (rec) out.push({ keys: rec.keys, bounds: rec.metadata.bounds });
    if (rows.length < MAX_LIMIT) return out;
  }
}

/** Records matching `where` whose bounds meet `bbox`: the store's one query, or the members then gets. */
export async function selectDatasets(catalog: Catalog, query: SelectQuery): Promise<DatasetRecord[]> {
  return catalog.select ? catalog.select(query) : selectByMembers(catalog, query);
}

/**
 * The fallback: the members (given, the catalog's own query, or listMembers), filtered by the box,
 * then a get each. A store whose table has no usable bounds columns passes listMembers' answer.
 */
export async function selectByMembers(catalog: Catalog, query: SelectQuery, members?: readonly DatasetBounds[]): Promise<DatasetRecord[]> {
  const hits = filterMembers(members ?? await catalogMembers(catalog, query.where), query.bbox, query.limit);
  const records = await inBatches(hits, 16, (h) => catalog.get(h.keys));
  return records.filter((r): r is DatasetRecord => r !== undefined);
}

/** A mosaic's box and limit, checked the same way whoever answers (a store's query, an index in memory). */
export function checkBoxAndLimit(bbox?: Bounds, limit?: number): void {
  if (bbox !== undefined && (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every(Number.isFinite))) {
    throw new CatalogError(`a mosaic box is four finite numbers [west, south, east, north], got ${JSON.stringify(bbox)}`);
  }
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) throw new CatalogError(`a mosaic limit is a whole number, got ${limit}`);
}

/** The members meeting `bbox`, at most `limit`, in their order. */
export function filterMembers(members: readonly DatasetBounds[], bbox?: Bounds, limit?: number): DatasetBounds[] {
  checkBoxAndLimit(bbox, limit);
  limit ??= Infinity;
  const out: DatasetBounds[] = [];
  for (const m of members) {
    if (out.length >= limit) break;
    if (!bbox || intersects(m.bounds, bbox)) out.push(m);
  }
  return out;
}

async function inBatches<T, R>(items: readonly T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...await Promise.all(items.slice(i, i + size).map(fn)));
  return out;
}
