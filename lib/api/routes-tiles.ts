/**
 * /singleband, /rgb and /compute: tiles, previews, and (through tilejson.ts and wmts.ts) the
 * documents that point map clients at them. One flow for every image:
 *   validate everything (400) → look the datasets up (memory first; 404) → ETag from the datasets'
 *   object versions + the normalised request → 304 if the client has it → the rendered-tile cache
 *   (a repeat is a map lookup; concurrent equal requests share one render) → a render slot
 *   (admission.ts; 503 when none comes free) → renderTile.
 * No header is ever read from the object: it comes with the catalog record.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { DatasetRecord } from '../catalog/index.ts';
import { z } from '@hono/zod-openapi';
import { renderMosaic, renderTile } from '../pipeline/index.ts';
import { matrixSize, MAX_ZOOM, tileMatrixSet, type TileMatrixSet } from '../grids/index.ts';
import type { ApiContext } from './context.ts';
import { badRequest } from './errors.ts';
import { Etag } from './etag.ts';
import { isMosaic, resolveMosaic, tileBox } from './mosaic.ts';
import { document } from './openapi.ts';
import { parseFamilyPath, type PathTarget } from './paths.ts';
import { DEFAULT_PREVIEW_SIZE, renderPreview } from '../pipeline/index.ts';
import { imageResponse, notModified, type ApiContextOf, type ApiEnv } from './respond.ts';
import { ComputeQuery, KeysPath, RgbQuery, SinglebandQuery, TilePath, ZoomOverrides } from './schemas.ts';
import type { CachedTile } from './tile-cache.ts';
import { tileJson } from './tilejson.ts';
import { familyOptions, FAMILIES, outputSize, pathKeyCount, resolveInputs, type Family } from './tile-request.ts';
import { familyCapabilities } from './wmts.ts';

export function registerTileRoutes(app: OpenAPIHono<ApiEnv>): void {
  for (const family of FAMILIES) {
    app.get(`/${family}/*`, async (c) => {
      const api = c.get('api');
      const rest = c.get('path').slice(family.length + 2);
      const specs = await api.keys(c.get('stats'), () => likelyKeys(family, rest, c.get('query')));
      const count = pathKeyCount(family, specs.length);
      const { keys, target } = parseFamilyPath(rest, count, specs.slice(0, count).map((k) => k.name));
      if (target.kind === 'tilejson') return tileJson(c, family, keys);
      if (target.kind === 'wmts') return familyCapabilities(c, family, keys);
      return image(c, api, family, keys, target);
    });
    documentFamily(app, family);
  }
}

/**
 * The dataset a tile path most likely names, before the key names say how many segments are keys:
 * those before {z}/{x}/{y}, plus `r` for rgb or `v1` for compute. Cold, keys() then fetches the
 * names and that record in one catalog query, so a new process's first tile costs one query (a wrong
 * guess costs nothing more).
 */
function likelyKeys(family: Family, rest: string, query: URLSearchParams): string[] | undefined {
  const segments = rest.split('/');
  if (segments.length < 4 || !/^\d+\/\d+\/\d+(@2x)?\.\w+$/.test(segments.slice(-3).join('/'))) return undefined;
  // rgb and compute: the first dataset's last key value is r or v1
  const param = family === 'rgb' ? 'r' : family === 'compute' ? 'v1' : undefined;
  const last = param === undefined ? [] : query.get(param) ? [query.get(param)!] : undefined;
  try {
    return last && [...segments.slice(0, -3).map(decodeURIComponent), ...last];
  } catch {
    return undefined;
  }
}

async function image(c: ApiContextOf, api: ApiContext, family: Family, keys: string[], target: Exclude<PathTarget, { kind: 'tilejson' | 'wmts' }>): Promise<Response> {
  const options = familyOptions(family, c.get('query'));
  if (target.format === 'jpeg' && family !== 'rgb') throw badRequest('format: JPEG output is for rgb; singleband and compute need transparency: .png or .webp');
  const tms = tileMatrixSet(options.tms);
  let size: number;
  if (target.kind === 'tile') {
    checkTile(tms, target.z, target.x, target.y);
    size = outputSize(options, target.scale, api.config.maxTileSize);
  } else {
    // A preview's tile_size is its exact [width, height]; without one, the longer side is 512 px.
    size = options.tileSize ? Math.max(...options.tileSize) : DEFAULT_PREVIEW_SIZE;
    if (size > api.config.maxTileSize) throw badRequest(`tile_size: ${size} px is above this server's limit of ${api.config.maxTileSize} px`);
  }
  const mosaic = isMosaic(keys);
  if (!mosaic && (options.pixelSelection || options.sort)) throw badRequest(`${options.sort ? 'sort' : 'pixel_selection'}: applies to mosaics only (a key written as *, a prefix such as 2024-06-*, or a list [a,b])`);
  if (mosaic && options.algorithm) throw badRequest('algorithm: applies to one dataset\'s tiles, not to mosaics (yet); name one dataset, or draw the mosaic without it');
  if (mosaic && target.kind !== 'tile') throw badRequest('preview: a mosaic has no preview image; draw its tiles (its TileJSON gives the bounds)');
  let records: readonly DatasetRecord[];
  let draw: () => Promise<CachedTile>;
  if (mosaic && target.kind === 'tile') {
    const resolved = await resolveMosaic(api, options, keys, tileBox(tms, target.z, target.x, target.y), c.get('stats'));
    records = resolved.records;
    draw = () => renderMosaic({ tms: options.tms, z: target.z, x: target.x, y: target.y, tileSize: size, resampling: options.resampling, format: target.format, quality: options.quality, inputs: resolved.inputs, style: options.style, pixelSelection: options.pixelSelection });
  } else {
    const resolved = await resolveInputs(api, options, keys, c.get('stats'));
    records = resolved.records;
    draw = () => (target.kind === 'tile'
      ? renderTile({ tms: options.tms, z: target.z, x: target.x, y: target.y, tileSize: size, resampling: options.resampling, format: target.format, quality: options.quality, inputs: resolved.inputs, style: options.style, algorithm: options.algorithm })
      : renderPreview({ inputs: resolved.inputs, style: options.style, format: target.format, quality: options.quality, algorithm: options.algorithm, size: options.tileSize, longSide: size }));
  }
  const cacheControl = api.config.cacheControl;
  const etag = Etag.forRender(records, Etag.normalise(c.get('path'), c.get('query')));
  const unchanged = notModified(c, etag, cacheControl);
  if (unchanged) return unchanged;
  // inside the tile cache's single flight: equal concurrent requests wait on one render slot, not one each
  const render = (): Promise<CachedTile> => api.admission.run(draw);
  const { tile, outcome } = await api.forgettingChanged(records, () => api.tiles.get(etag, render));
  c.get('stats').tile = outcome;
  return imageResponse(tile.bytes, tile.contentType, etag, cacheControl);
}

/** Tile coordinates inside the grid, or a 400 naming the coordinate (before any catalog lookup). */
function checkTile(tms: TileMatrixSet, z: number, x: number, y: number): void {
  if (z > MAX_ZOOM || z < tms.minZoom) throw badRequest(`z: ${z} is outside ${tms.minZoom}..${MAX_ZOOM}${tms.minZoom ? ` of ${tms.id} (Tianditu's levels start at 1)` : ''}`);
  const [w, h] = matrixSize(tms, z);
  if (x >= w) throw badRequest(`x: ${x} is outside 0..${w - 1} at zoom ${z}${tms.id === 'WebMercatorQuad' ? '' : ` of ${tms.id}`}`);
  if (y >= h) throw badRequest(`y: ${y} is outside 0..${h - 1} at zoom ${z}${tms.id === 'WebMercatorQuad' ? '' : ` of ${tms.id}`}`);
}


const QUERIES: Record<Family, z.ZodObject> = { singleband: SinglebandQuery, rgb: RgbQuery, compute: ComputeQuery };
const WHAT: Record<Family, string> = {
  singleband: 'one dataset, stretched and coloured',
  rgb: 'three datasets (last key values r, g, b) as red, green and blue',
  compute: 'band math over datasets v1…vN (last key values), stretched and coloured',
};

function documentFamily(app: OpenAPIHono<ApiEnv>, family: Family): void {
  const keysNote = family === 'singleband' ? 'all key values' : 'every key value but the last (the last comes from the query)';
  const tags = [family];
  const keyParams = z.object({ keys: KeysPath });
  const formats = family === 'rgb' ? '.png, .webp (lossy, quality) or .jpg' : '.png or .webp (lossless)';
  document(app, {
    method: 'get', path: `/${family}/{keys}/{z}/{x}/{y}.png`, tags, query: QUERIES[family], params: z.object({ keys: KeysPath, ...TilePath }),
    summary: `${family} tile`,
    description: `A ${formats} tile of ${WHAT[family]}. {keys}: ${keysNote}. A tile outside the data is a transparent PNG of the requested size (200), as Terracotta answers.`,
    ok: { type: family === 'rgb' ? 'image/png, image/webp, image/jpeg' : 'image/png, image/webp', description: 'The tile' }, reads: 'objects',
  });
  document(app, {
    method: 'get', path: `/${family}/{keys}/preview.png`, tags, query: QUERIES[family], params: keyParams,
    summary: `${family} preview`,
    description: `The whole dataset in one image, drawn in its own CRS: the longer side ${DEFAULT_PREVIEW_SIZE} px unless tile_size gives [width, height]. Read from the smallest overview that is large enough.`,
    ok: { type: 'image/png', description: 'The preview' }, reads: 'objects',
  });
  document(app, {
    method: 'get', path: `/${family}/{keys}/tilejson.json`, tags, query: QUERIES[family].extend(ZoomOverrides.shape), params: keyParams,
    summary: `TileJSON 3.0.0 for ${family} tiles`,
    description: 'Bounds, center and zoom range from the dataset; the query (minus minzoom / maxzoom) is passed on into the tile URL.',
    ok: { type: 'application/json', description: 'TileJSON' }, reads: 'catalog',
  });
  document(app, {
    method: 'get', path: `/${family}/{keys}/WMTSCapabilities.xml`, tags, query: QUERIES[family].extend(ZoomOverrides.shape), params: keyParams,
    summary: `OGC WMTS 1.0.0 capabilities with this ${family} layer`,
    description: 'For QGIS, ArcGIS and GDAL\'s WMTS driver; the query is passed on into the ResourceURL template.',
    ok: { type: 'application/xml', description: 'WMTS capabilities' }, reads: 'catalog',
  });
}
