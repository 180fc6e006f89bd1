/**
 * TileJSON 3.0.0 for every tile route, so MapLibre, Mapbox GL, Leaflet plugins and OpenLayers take
 * one URL. The tile URL template is the tile route with the same query (minus minzoom / maxzoom);
 * bounds come from the ingested WGS84 bounds; the zoom range from the dataset's resolution:
 * maxzoom is where a tile pixel is closest to a native pixel, minzoom where it matches the coarsest
 * overview (below it every tile would still read that whole overview — TiTiler's convention).
 */
import type { DatasetRecord } from '../catalog/index.ts';
import { MAX_ZOOM, tileMatrixSet, WEB_MERCATOR_HALF, type TmsId } from '../grids/index.ts';
import type { ApiContextOf } from './respond.ts';
import { jsonResponse } from './respond.ts';
import { parseQuery, ZoomOverrides } from './schemas.ts';
import { describeMosaic, isMosaic } from './mosaic.ts';
import { familyOptions, resolveInputs, type Family, type FamilyOptions } from './tile-request.ts';
import type { ApiContext, RequestStats } from './context.ts';

/** Metres of Web Mercator x per degree of longitude (2π · 6378137 / 360). */
const MERCATOR_M_PER_DEGREE = (2 * WEB_MERCATOR_HALF) / 360;

export interface ZoomRange { minzoom: number; maxzoom: number }

/** The zoom range of a dataset on a tile matrix set of 256 px tiles. */
export function zoomRange(record: DatasetRecord, tms: TmsId): ZoomRange {
  const { header, metadata } = record;
  const gt = header.geotransform;
  if (!gt) return { minzoom: tileMatrixSet(tms).minZoom, maxzoom: MAX_ZOOM };
  const pixel = Math.sqrt(Math.abs(gt[1] * gt[5] - gt[2] * gt[4]));
  const lat = ((metadata.bounds[1] + metadata.bounds[3]) / 2) * (Math.PI / 180);
  const geographic = header.crs?.modelType === 'geographic';
  // native resolution in the grid's units: Web Mercator metres (ground metres stretch by 1/cos φ) or degrees
  const grid = tileMatrixSet(tms);
  const native = grid.epsg !== 3857
    ? (geographic ? pixel : pixel / MERCATOR_M_PER_DEGREE)
    : (geographic ? pixel * MERCATOR_M_PER_DEGREE : pixel / Math.max(Math.cos(lat), 1e-6));
  // a tile pixel at zoom 0 (CGCS2000Quad has none: its level 1 is WGS1984Quad's zoom 0)
  const z0 = grid.epsg === 3857 ? (2 * WEB_MERCATOR_HALF) / 256 : (grid.extent[2] - grid.extent[0]) / grid.matrixWidth0 / 256;
  const levels = header.levels;
  const coarsest = levels[0].image.width / levels[levels.length - 1].image.width;
  const clamp = (z: number, lo: number) => Math.min(MAX_ZOOM, Math.max(lo, z));
  const maxzoom = clamp(Math.round(Math.log2(z0 / native)), grid.minZoom);
  const minzoom = Math.min(maxzoom, clamp(Math.floor(Math.log2(z0 / (native * coarsest))), grid.minZoom));
  return { minzoom, maxzoom };
}

/** WGS84 bounds covering every record (RGB bands and operands normally share one footprint). */
export function unionBounds(records: readonly DatasetRecord[]): [number, number, number, number] {
  const b = records.map((r) => r.metadata.bounds);
  return [Math.min(...b.map((x) => x[0])), Math.min(...b.map((x) => x[1])), Math.max(...b.map((x) => x[2])), Math.max(...b.map((x) => x[3]))];
}

/** The query passed on into tile URLs: everything but the document's own parameters. */
export function passThrough(query: URLSearchParams, own: readonly string[] = ['minzoom', 'maxzoom']): string {
  const kept = new URLSearchParams([...query].filter(([k]) => !own.includes(k)));
  const s = kept.toString();
  return s ? `?${s}` : '';
}

/**
 * `query` (a passThrough string) plus what a link to `path` (after the base path) must carry for
 * this client: its api_key if it sent one in the query, or a signature of the link with the same
 * expiry if it came with a signed URL. A key sent as a header is never written into a link.
 */
export function withAccess(c: ApiContextOf, path: string, query: string): string {
  const q = new URLSearchParams(query);
  const extra = c.get('access').linkParams(c.get('grant'), path, q);
  if (extra.length === 0) return query;
  for (const [k, v] of extra) q.set(k, v);
  return `?${q.toString()}`;
}

/**
 * What a document says of a tile route: a record to take the zoom range from and the bounds. A
 * mosaic's bounds are the union of every member's (from the catalog's index, no header loaded).
 */
export async function layerOf(api: ApiContext, options: FamilyOptions, keys: string[], stats: RequestStats): Promise<{ first: DatasetRecord; bounds: [number, number, number, number] }> {
  if (isMosaic(keys)) return describeMosaic(api, options, keys, stats);
  const { records } = await resolveInputs(api, options, keys, stats);
  return { first: records[0], bounds: unionBounds(records) };
}

export const encodeKeys = (keys: readonly string[]): string => keys.map(encodeURIComponent).join('/');

export async function tileJson(c: ApiContextOf, family: Family, keys: string[]): Promise<Response> {
  const api = c.get('api');
  const options = familyOptions(family, c.get('query'));
  const zooms = parseQuery(ZoomOverrides, c.get('query'));
  const { first, bounds } = await layerOf(api, options, keys, c.get('stats'));
  const computed = zoomRange(first, options.tms);
  const maxzoom = zooms.maxzoom ?? computed.maxzoom;
  const minzoom = Math.min(maxzoom, zooms.minzoom ?? computed.minzoom);
  const prefix = keys.length ? `${encodeKeys(keys)}/` : '';
  const path = `/${family}/${prefix}{z}/{x}/{y}.png`;
  const url = `${api.publicBase(c.req.url, c.req.header('x-forwarded-prefix'))}${path}${withAccess(c, path, passThrough(c.get('query')))}`;
  return jsonResponse(c, {
    tilejson: '3.0.0',
    name: [...keys, ...options.lastKeys].join('/'),
    description: `taoguan ${family} tiles (${options.tms})`,
    version: '1.0.0',
    scheme: 'xyz',
    tiles: [url],
    minzoom,
    maxzoom,
    bounds,
    center: [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, minzoom],
  });
}
