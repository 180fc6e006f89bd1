/**
 * Mosaics on the tile routes: a key segment written as a pattern stands for every dataset whose
 * value matches, and the catalog itself is the mosaic's index (no MosaicJSON, no extra service).
 *   `*`        any value               (sensor s2, any date, band b04: the segments s2, `*`, b04)
 *   `2024-06*` values starting so      (a prefix: one trailing `*`; `2024-06-*` for June 2024)
 *   `[a,b]`    any of a list           (as /datasets filters take lists)
 * A key value that itself ends in `*` or is bracketed cannot be named exactly on these routes.
 * For each tile the catalog selects the members whose WGS84 bounds meet the tile (an indexed query
 * cold, memory warm: CachedCatalog), sorts them (`sort=KEY` / `sort=-KEY`, default keys ascending),
 * and renderMosaic combines them with `pixel_selection`. More than maxMosaicSources members under
 * one tile is a 422 naming the cap: a zoomed-out tile over thousands of scenes would otherwise read
 * thousands of overviews.
 */
import type { Bounds, DatasetBounds, DatasetRecord, KeyFilter, KeySpec, SelectQuery } from '../catalog/index.ts';
import { compareKeys } from '../catalog/index.ts';
import { tileBounds, WEB_MERCATOR_HALF, type TileMatrixSet } from '../grids/index.ts';
import type { MosaicInput } from '../pipeline/index.ts';
import type { StretchMetadata } from '../render/index.ts';
import { stretchStats, type ApiContext, type RequestStats } from './context.ts';
import { InputError } from '../errors/index.ts';
import { ApiError, badRequest, notFound } from './errors.ts';
import type { FamilyOptions } from './tile-request.ts';

/** Members under one tile, by default; ApiOptions.maxMosaicSources changes it. */
export const DEFAULT_MAX_MOSAIC_SOURCES = 64;
/** The highest cap a deployment may set: each member costs at least a block read and its decode. */
export const MAX_MOSAIC_SOURCES = 1000;

/** A deployment's cap, checked when the API is built rather than on the first mosaic. */
export function mosaicCap(cap: number | undefined): number {
  if (cap === undefined) return DEFAULT_MAX_MOSAIC_SOURCES;
  if (!Number.isInteger(cap) || cap < 1 || cap > MAX_MOSAIC_SOURCES) throw new InputError(`maxMosaicSources: expected a whole number from 1 to ${MAX_MOSAIC_SOURCES}, got ${cap}`);
  return cap;
}
/** Datasets one /point time series reads at most. */
export const MAX_POINT_SERIES = 1000;

/** The filter a path segment stands for, or undefined when it is a plain key value. */
export function keyFilter(segment: string): KeyFilter | undefined {
  if (segment.endsWith('*')) {
    const prefix = segment.slice(0, -1);
    if (prefix.includes('*')) throw badRequest(`keys: ${JSON.stringify(segment.slice(0, 40))}: a pattern has one "*", at the end (a prefix such as 2024-06-*)`);
    return { prefix };
  }
  if (segment.length >= 2 && segment.startsWith('[') && segment.endsWith(']')) {
    const values = segment.slice(1, -1).split(',').map((v) => v.trim().replace(/^"(.*)"$/, '$1')).filter((v) => v !== '');
    if (values.length === 0) throw badRequest(`keys: ${JSON.stringify(segment.slice(0, 40))} lists no value`);
    return values;
  }
  return undefined;
}

export const isMosaic = (keys: readonly string[]): boolean => keys.some((k) => keyFilter(k) !== undefined);

/** The catalog filter of a mosaic path: a pattern or an exact value per key, plus the family's last key. */
export function mosaicWhere(specs: readonly KeySpec[], pathKeys: readonly string[], last?: string): Record<string, KeyFilter> {
  const values = last === undefined ? pathKeys : [...pathKeys, last];
  return Object.fromEntries(values.map((v, i) => [specs[i].name, keyFilter(v) ?? v]));
}

/** Readable filters for messages: sensor=s2, date=2024-06-*, band=[b04,b08]. */
export function describeWhere(where: Record<string, KeyFilter>): string {
  return Object.entries(where).map(([k, f]) => `${k}=${typeof f === 'string' ? f : Array.isArray(f) ? `[${f.join(',')}]` : `${f.prefix}*`}`).join(', ');
}

/** `sort=KEY` or `sort=-KEY` as a comparator of records (stable; ties keep keys-ascending order). */
export function sortOrder(specs: readonly KeySpec[], sort: string | undefined): ((a: { keys: string[] }, b: { keys: string[] }) => number) {
  if (!sort) return (a, b) => compareKeys(a.keys, b.keys);
  const desc = sort.startsWith('-');
  const name = desc ? sort.slice(1) : sort;
  const i = specs.findIndex((k) => k.name === name);
  if (i < 0) throw badRequest(`sort: ${JSON.stringify(name.slice(0, 64))} is not a key of this catalog (keys: ${specs.map((k) => k.name).join(', ')}); write sort=KEY or sort=-KEY`);
  const sign = desc ? -1 : 1;
  return (a, b) => (a.keys[i] === b.keys[i] ? compareKeys(a.keys, b.keys) : a.keys[i] < b.keys[i] ? -sign : sign);
}

/** The tile's WGS84 box, a little larger: a scene whose edge lies just outside may still feed a resampling kernel. */
export function tileBox(tms: TileMatrixSet, z: number, x: number, y: number): Bounds {
  const [minX, minY, maxX, maxY] = tileBounds(tms, z, x, y);
  let box: Bounds;
  if (tms.id === 'WGS1984Quad') box = [minX, minY, maxX, maxY];
  else {
    const lon = (m: number) => (m / WEB_MERCATOR_HALF) * 180;
    const lat = (m: number) => (Math.atan(Math.sinh((m / WEB_MERCATOR_HALF) * Math.PI)) * 180) / Math.PI;
    box = [lon(minX), lat(minY), lon(maxX), lat(maxY)];
  }
  // GCJ-02 shifts positions by up to ~700 m; 0.02° covers it
  const pad = (box[2] - box[0]) / 64 + (tms.id === 'GCJ02WebMercatorQuad' ? 0.02 : 0);
  return [box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad];
}

/** The union of members' bounds, or undefined for none. */
export function membersBounds(members: readonly DatasetBounds[]): Bounds | undefined {
  if (members.length === 0) return undefined;
  const b: Bounds = [Infinity, Infinity, -Infinity, -Infinity];
  for (const { bounds } of members) {
    b[0] = Math.min(b[0], bounds[0]); b[1] = Math.min(b[1], bounds[1]);
    b[2] = Math.max(b[2], bounds[2]); b[3] = Math.max(b[3], bounds[3]);
  }
  return b;
}

/**
 * Stretch statistics for a mosaic's null / "pN" bounds: the lowest min, the highest max, and each
 * percentile averaged over the members (an approximation: the members' pixels are not pooled).
 */
export function mosaicStats(records: readonly DatasetRecord[]): StretchMetadata | undefined {
  if (records.length === 0) return undefined;
  const all = records.map(stretchStats);
  const percentiles = all[0].percentiles?.map((_, i) => all.reduce((s, m) => s + (m.percentiles?.[i] ?? NaN), 0) / all.length);
  return { min: Math.min(...all.map((m) => m.min ?? Infinity)), max: Math.max(...all.map((m) => m.max ?? -Infinity)), percentiles };
}

export interface ResolvedMosaic {
  /** Distinct records read (what the ETag is derived from). */
  records: DatasetRecord[];
  /** The render inputs, made on first use. */
  readonly inputs: MosaicInput[];
}

/** The members of each input of a mosaic request under `bbox`, sorted, capped (422), lazily as render inputs. */
export async function resolveMosaic(ctx: ApiContext, options: FamilyOptions, pathKeys: string[], bbox: Bounds | undefined, stats: RequestStats): Promise<ResolvedMosaic> {
  const specs = await ctx.keys(stats);
  const wheres = options.family === 'singleband' ? [mosaicWhere(specs, pathKeys)] : options.lastKeys.map((last) => mosaicWhere(specs, pathKeys, last));
  const cap = ctx.config.maxMosaicSources;
  const order = sortOrder(specs, options.sort);
  const lists = await Promise.all(wheres.map(async (where) => {
    const found = await ctx.select({ where, bbox, limit: cap + 1 }, stats);
    if (found.length > cap) {
      throw new ApiError(422, `mosaic: more than ${cap} datasets (${describeWhere(where)}) lie under this tile, above this server's cap of ${cap} sources per tile (maxMosaicSources); zoom in or narrow the keys`);
    }
    if (found.length === 0 && (await ctx.members(where, stats)).length === 0) throw notFound(`no dataset matches ${describeWhere(where)}`);
    return [...found].sort(order);
  }));
  const records = [...new Set(lists.flat())];
  let inputs: MosaicInput[] | undefined;
  return {
    records,
    get inputs() {
      if (!inputs) {
        const datasets = new Map(records.map((r) => [r, ctx.tileDataset(r, stats)]));
        inputs = lists.map((list) => ({ members: list.map((r) => ({ dataset: datasets.get(r)!, band: 0, stats: stretchStats(r) })), stats: mosaicStats(list) }));
      }
      return inputs;
    },
  };
}

/** What TileJSON and WMTS say of a mosaic: every member's union bounds, and a member to take zooms from. */
export async function describeMosaic(ctx: ApiContext, options: FamilyOptions, pathKeys: string[], stats: RequestStats): Promise<{ first: DatasetRecord; bounds: Bounds }> {
  const specs = await ctx.keys(stats);
  const wheres: SelectQuery['where'][] = options.family === 'singleband' ? [mosaicWhere(specs, pathKeys)] : options.lastKeys.map((last) => mosaicWhere(specs, pathKeys, last));
  const members = await Promise.all(wheres.map((w) => ctx.members(w, stats)));
  members.forEach((m, i) => { if (m.length === 0) throw notFound(`no dataset matches ${describeWhere(wheres[i]!)}`); });
  return { first: await ctx.record(members[0][0].keys, stats), bounds: membersBounds(members.flat())! };
}
