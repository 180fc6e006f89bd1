/**
 * GET /point/{keys…}?lng=&lat= — every band's value at a WGS84 position, read at full resolution
 * (one block, through the shared block cache). The position is projected into the dataset's CRS
 * with proj4; a position outside the raster, or on nodata / masked pixels, gives null values.
 * The block is charged against the per-request caps like a tile's (a dataset of huge strips is a 422).
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import proj4 from 'proj4';
import { readWindow } from '../raster/index.ts';
import { colourSamples } from '../raster/index.ts';
import { proj4ForCrs, WGS84 } from '../crs/index.ts';
import type { DatasetRecord, KeySpec } from '../catalog/index.ts';
import { mapConcurrent, type ApiContext, type RequestStats } from './context.ts';
import { ApiError, badRequest, notFound } from './errors.ts';
import { describeWhere, isMosaic, MAX_POINT_SERIES, mosaicWhere, sortOrder } from './mosaic.ts';
import { document } from './openapi.ts';
import { keyPath } from './paths.ts';
import { jsonResponse, type ApiEnv } from './respond.ts';
import { KeysPath, parseQuery, PointQuery } from './schemas.ts';

/** proj4 converters by definition: building one parses the definition, a lookup does not. */
const converters = new Map<string, proj4.Converter>();

export function registerPoint(app: OpenAPIHono<ApiEnv>): void {
  app.get('/point/*', async (c) => {
    const api = c.get('api'), stats = c.get('stats');
    const { lng, lat, sort } = parseQuery(PointQuery, c.get('query'));
    const keys = keyPath(c.get('path').slice('/point/'.length));
    if (isMosaic(keys)) return jsonResponse(c, { lng, lat, datasets: await series(api, keys, lng, lat, sort, stats) });
    if (sort) throw badRequest('sort: applies to a series only (a key written as *, a prefix such as 2024-06-*, or a list [a,b])');
    // the record first: cold, it brings the key names in the same catalog query
    const record = await api.record(keys, stats);
    const specs = await api.keys(stats);
    return jsonResponse(c, { keys: keysOf(specs, record), lng, lat, ...await pointValues(api, record, lng, lat, stats) });
  });
  document(app, {
    method: 'get', path: '/point/{keys}', tags: ['point'], query: PointQuery, params: z.object({ keys: KeysPath }),
    summary: 'Pixel values at a WGS84 position, or a series of them',
    description: 'Every band\'s value at full resolution (null outside the raster or where there is no data), with the pixel column x and row y. With a key written as *, a prefix (2024-06-*) or a list ([a,b]): one entry per matching dataset over the point, in key order or `sort` order — a time series.',
    ok: { type: 'application/json', description: '{"keys": {…}, "lng", "lat", "x", "y", "values": [band 1, band 2, …]}, or for a series {"lng", "lat", "datasets": [{"keys", "x", "y", "values"}, …]}' }, reads: 'objects',
  });
}

const keysOf = (specs: KeySpec[], record: DatasetRecord) => Object.fromEntries(specs.map((k, i) => [k.name, record.keys[i]]));

/**
 * A time series (or any series) at a point: every dataset matching the pattern whose bounds hold
 * the point — one catalog query, or none warm — each read like a single /point, in `sort` order.
 */
async function series(api: ApiContext, keys: string[], lng: number, lat: number, sort: string | undefined, stats: RequestStats) {
  const specs = await api.keys(stats);
  if (keys.length !== specs.length) throw badRequest(`keys: expected ${specs.length} key value(s) (${specs.map((k) => k.name).join(', ')}), got ${keys.length}`);
  const where = mosaicWhere(specs, keys);
  const found = await api.select({ where, bbox: [lng, lat, lng, lat], limit: MAX_POINT_SERIES + 1 }, stats);
  if (found.length > MAX_POINT_SERIES) throw new ApiError(422, `point: more than ${MAX_POINT_SERIES} datasets (${describeWhere(where)}) hold this point, above the cap of ${MAX_POINT_SERIES} per series; narrow the keys`);
  if (found.length === 0 && (await api.members(where, stats)).length === 0) throw notFound(`no dataset matches ${describeWhere(where)}`);
  const records = [...found].sort(sortOrder(specs, sort));
  const points = await mapConcurrent(records, 8, (r) => pointValues(api, r, lng, lat, stats));
  return records.map((r, i) => ({ keys: keysOf(specs, r), ...points[i] }));
}

/** Every band's value at full resolution (null outside the raster or on no data), and the pixel's column and row. */
async function pointValues(api: ApiContext, record: DatasetRecord, lng: number, lat: number, stats: RequestStats): Promise<{ x: number | null; y: number | null; values: (number | null)[] }> {
  const { header } = record;
  const def = proj4ForCrs(header.crs);
  let conv = converters.get(def);
  if (!conv) converters.set(def, conv = proj4(WGS84, def));
  const [px, py] = conv.forward([lng, lat]);
  const gt = header.geotransform!;
  // inverse of the affine geotransform: (px, py) → (col, row)
  const det = gt[1] * gt[5] - gt[2] * gt[4];
  const dx = px - gt[0], dy = py - gt[3];
  const col = Math.floor((dx * gt[5] - dy * gt[2]) / det);
  const row = Math.floor((dy * gt[1] - dx * gt[4]) / det);
  const { width, height } = header.levels[0].image;
  const bands = colourSamples(header.levels[0].image);
  const inside = Number.isFinite(col) && Number.isFinite(row) && col >= 0 && row >= 0 && col < width && row < height;
  if (!inside) return { x: null, y: null, values: bands.map(() => null) };
  const dataset = api.tileDataset(record, stats);
  const win = await api.forgettingChanged([record], () => api.admission.run(() => readWindow(header, dataset.source, { x: col, y: row, width: 1, height: 1 }, { level: 0, bands, etag: record.etag, cache: dataset.blockCache, budget: dataset.budget })));
  return { x: col, y: row, values: win.bands.map((b) => (win.mask[0] === 0 || Number.isNaN(b[0]) ? null : b[0])) };
}
