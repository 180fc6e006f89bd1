/**
 * Every query parameter, path parameter and body the API takes, as zod schemas: the same values
 * validate requests (parseQuery) and generate /openapi.json. Names and JSON-in-query encodings are
 * Terracotta's (`stretch_range=[0,100]`, `tile_size=[256,256]`, `explicit_color_map={…}`).
 */
import { z } from '@hono/zod-openapi';
import { MAX_LIMIT } from '../catalog/index.ts';
import { nearest } from '../util/index.ts';
import { ALGORITHMS, colormapNames } from '../render/index.ts';
import { MAX_LEGEND_VALUES } from '../render/index.ts';
import { PIXEL_SELECTIONS } from '../pipeline/index.ts';
import { RESAMPLINGS } from '../warp/index.ts';
import { TMS_IDS } from '../grids/index.ts';
import { badRequest } from './errors.ts';

/** "is required" for a missing parameter instead of zod's "expected string, received undefined". */
const text = (required: string) => z.string({ error: (issue) => (issue.input === undefined ? `is required: ${required}` : 'must be a single text value') });

/** A query value holding JSON (Terracotta's convention for lists and maps). */
const json = (example: string, what: string, required = `${what} as JSON, e.g. ${example}`) => text(required).transform((s, ctx) => {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: `must be ${what} as JSON, e.g. ${example}; got ${JSON.stringify(s.slice(0, 60))}` });
    return z.NEVER;
  }
});

/** `[a,b]` with or without quotes around the items: Terracotta clients send both. */
const list = (example: string) => z.string().transform((s, ctx) => {
  const t = s.trim();
  if (!t.startsWith('[') || !t.endsWith(']')) {
    ctx.addIssue({ code: 'custom', message: `must be a list like ${example}` });
    return z.NEVER;
  }
  try {
    const parsed = JSON.parse(t) as unknown;
    if (Array.isArray(parsed) && parsed.every((v) => typeof v === 'string')) return parsed as string[];
  } catch { /* not JSON: a bare list */ }
  const inner = t.slice(1, -1).trim();
  return inner === '' ? [] : inner.split(',').map((v) => v.trim().replace(/^"(.*)"$/, '$1'));
});

const BOUND = 'must be a number, a percentile "pN" (N = 1..99) or null';
const bound = z.union([z.number(), z.string().regex(/^p\d{1,2}$/, { error: BOUND }), z.null()], { error: BOUND });
const stretchRange = (description: string) => json('[0,100]', 'a list of two bounds').pipe(z.tuple([bound, bound], { error: 'must be a list of two bounds like [0, 100], ["p2", "p98"] or [null, 3000]' }))
  .openapi({ type: 'string', description, example: '[0,100]' });
const numericRange = (description: string, required: string) => json('[-1,1]', 'a list of two numbers', required).pipe(z.tuple([z.number({ error: 'must be a number' }), z.number({ error: 'must be a number' })], { error: 'must be a list of two numbers like [-1, 1]' }))
  .openapi({ type: 'string', description, example: '[-1,1]' });

const names = colormapNames() as [string, ...string[]];
/** A colormap name in any case (`RdYlGn` = `rdylgn`, as in the CLI and Terracotta), lower-cased. */
const colormap = <E extends boolean>(explicit: E) => {
  const valid = new Set<string>(explicit ? ['explicit', ...names] : names);
  return z.string().transform((s, ctx) => {
    const name = s.toLowerCase();
    if (valid.has(name)) return name;
    const guess = nearest(name, valid);
    const hint = guess.distance <= Math.max(2, name.length / 3) ? ` (did you mean "${guess.name}"?)` : '';
    ctx.addIssue({ code: 'custom', message: `unknown colormap ${JSON.stringify(s.slice(0, 60))}${hint}${explicit ? '; a name or "explicit"' : ''}; e.g. viridis, greys, terrain, RdYlGn_r (any case) — /openapi.json lists all ${names.length}` });
    return z.NEVER;
  }).openapi({ type: 'string', enum: [...valid] });
};

/** Parameters every tile route takes. */
const tileOptions = {
  tile_size: json('[256,256]', 'a list [width, height]').pipe(z.tuple([z.number().int(), z.number().int()], { error: 'must be a list [width, height] of integers, e.g. [512,512]' }))
    .optional().openapi({ type: 'string', description: 'Output size in pixels as a JSON list [width, height] (square; default [256,256], doubled by an @2x suffix).', example: '[512,512]' }),
  tms: z.enum(TMS_IDS, { error: `must be one of ${TMS_IDS.join(', ')}` }).default('WebMercatorQuad')
    .openapi({ description: 'Tile matrix set: WebMercatorQuad (XYZ, default), WGS1984Quad (EPSG:4326, 2×1 tiles at z0), GCJ02WebMercatorQuad (aligns with AMap / Tencent basemaps) or CGCS2000Quad (EPSG:4490, Tianditu "c" levels from 1).' }),
  resampling: z.enum(RESAMPLINGS as [string, ...string[]], { error: `must be one of ${RESAMPLINGS.join(', ')}` }).default('nearest')
    .openapi({ description: 'Resampling: nearest (default), bilinear, or average (for downsampling).' }),
  quality: z.coerce.number({ error: 'must be an integer from 1 to 100' }).int({ error: 'must be an integer from 1 to 100' })
    .min(1, { error: 'must be an integer from 1 to 100' }).max(100, { error: 'must be an integer from 1 to 100' }).optional()
    .openapi({ type: 'integer', description: 'Quality 1–100 of lossy images: rgb as .webp (default 75) or .jpg (default 85). Singleband and compute WebP are lossless.', example: 80 }),
  pixel_selection: z.enum(PIXEL_SELECTIONS, { error: `must be one of ${PIXEL_SELECTIONS.join(', ')}` }).optional()
    .openapi({ description: 'Mosaics only (a key given as *, prefix* or [a,b]): how the datasets under a pixel combine — first (default; stops reading once the tile is full), highest, lowest, mean, median, stdev, count.' }),
  sort: z.string().regex(/^-?[A-Za-z][A-Za-z0-9_]{0,63}$/, { error: 'must be a key name, or -KEY for descending' }).optional()
    .openapi({ description: 'Mosaics only: the order datasets are taken in, by one key (sort=date) or descending (sort=-date). Default: keys ascending.', example: '-date' }),
};

export const SinglebandQuery = z.object({
  stretch_range: stretchRange('Stretch range [min, max] as JSON: numbers, "pN" percentiles of the dataset, or null for its min / max. Default: [min, max].').optional(),
  colormap: colormap(true).optional()
    .openapi({ description: 'Colormap (default greyscale), or "explicit" with explicit_color_map. See /colormap for legends.' }),
  algorithm: z.string().min(1, { error: `must name an algorithm: ${Object.keys(ALGORITHMS).join(', ')}` }).optional()
    .openapi({ type: 'string', enum: Object.keys(ALGORITHMS), description: 'Terrain algorithm on the DEM band (TiTiler\'s convention): hillshade (grey 1–255), slope (degrees, stretched over [0,90] by default), terrainrgb or terrarium (heights encoded for MapLibre 3D terrain; .png or .webp).' }),
  algorithm_params: json('{"azimuth":315,"altitude":45}', 'an object').pipe(z.record(z.string(), z.unknown(), { error: 'must be a JSON object like {"azimuth": 315, "altitude": 45}' })).optional()
    .openapi({ type: 'string', description: `The algorithm's parameters as JSON. ${Object.entries(ALGORITHMS).map(([name, a]) => `${name}: ${Object.keys(a.params).join(', ') || 'none'}`).join('; ')}.`, example: '{"azimuth":315,"altitude":45,"z_factor":2}' }),
  explicit_color_map: json('{"1":[255,0,0]}', 'an object').pipe(z.record(z.string(), z.union([z.array(z.number()), z.string()]), { error: 'must map values to colours, e.g. {"1": [255, 0, 0], "2": "#00ff00"}' }))
    .optional().openapi({ type: 'string', description: 'With colormap=explicit: value → colour as JSON ([r,g,b], [r,g,b,a] or "#rrggbb"); unlisted values are transparent.', example: '{"1":[255,0,0],"2":"#00ff00"}' }),
  ...tileOptions,
});

const rangeBand = (c: string) => stretchRange(`Stretch range for the ${c} band, as stretch_range.`).optional();
const keyValue = (c: string) => z.string({ error: `is required: the last key's value of the ${c} band's dataset` }).min(1)
  .openapi({ description: `Value of the last key for the ${c} band's dataset.`, example: c === 'red' ? 'B04' : c === 'green' ? 'B03' : 'B02' });

export const RgbQuery = z.object({
  r: keyValue('red'), g: keyValue('green'), b: keyValue('blue'),
  r_range: rangeBand('red'), g_range: rangeBand('green'), b_range: rangeBand('blue'),
  ...tileOptions,
});

/** Operands v1…v9 of an expression (Terracotta has v1…v5). */
export const MAX_OPERANDS = 9;
const operands = Object.fromEntries(Array.from({ length: MAX_OPERANDS }, (_, i) => [
  `v${i + 1}`, z.string().min(1).optional().openapi({ description: `Value of the last key for operand v${i + 1}.`, example: i === 0 ? 'B08' : i === 1 ? 'B04' : undefined }),
])) as Record<`v${number}`, z.ZodOptional<z.ZodString>>;

/** Longest expression taken (the parser also caps nesting at 32 levels and terms at 256). */
export const MAX_EXPRESSION_LENGTH = 1000;
export const ComputeQuery = z.object({
  expression: z.string({ error: 'is required, e.g. (v1 - v2) / (v1 + v2)' }).min(1, { error: 'is required, e.g. (v1 - v2) / (v1 + v2)' })
    .max(MAX_EXPRESSION_LENGTH, { error: (i) => `is ${String((i.input as string).length)} characters long; the limit is ${MAX_EXPRESSION_LENGTH}` })
    .openapi({ description: 'Band math over v1…vN: + - * / ** (and ^), comparisons, where(), sqrt, log, abs, min, max… Parsed, never evaluated as code.', example: '(v1 - v2) / (v1 + v2)' }),
  stretch_range: numericRange('Stretch range [min, max] of the expression\'s values (required).', 'the [min, max] of the expression\'s values that the colours span, e.g. [-1,1]'),
  colormap: colormap(false).optional().openapi({ description: 'Colormap (default greyscale).' }),
  ...operands,
  ...tileOptions,
});

/** TileJSON and WMTS take the tile route's parameters (passed on into the tile URLs) plus these. */
export const ZoomOverrides = z.object({
  minzoom: z.coerce.number().int().min(0).max(24).optional().openapi({ description: 'Override the computed minimum zoom.' }),
  maxzoom: z.coerce.number().int().min(0).max(24).optional().openapi({ description: 'Override the computed maximum zoom.' }),
});

export const ColormapQuery = z.object({
  stretch_range: numericRange('Minimum and maximum value of the colormap as JSON (as for /singleband).', 'the [min, max] values the legend spans, e.g. [0,100]'),
  colormap: colormap(false).optional().openapi({ description: 'Colormap name, any case (default greyscale).' }),
  num_values: z.coerce.number({ error: 'must be an integer' }).int({ error: 'must be an integer' })
    .min(1, { error: (i) => `is ${String(i.input)}; it must be between 1 and ${MAX_LEGEND_VALUES}` })
    .max(MAX_LEGEND_VALUES, { error: (i) => `is ${String(i.input)}; it must be between 1 and ${MAX_LEGEND_VALUES}` }).default(255)
    .openapi({ description: `Number of values to return (1–${MAX_LEGEND_VALUES}).` }),
});

export const Paging = {
  limit: z.coerce.number({ error: 'must be an integer' }).int().min(1).max(MAX_LIMIT).default(100)
    .openapi({ description: `Datasets per page (1–${MAX_LIMIT}).` }),
  page: z.coerce.number({ error: 'must be an integer' }).int().min(0).default(0).openapi({ description: 'Page, from 0.' }),
};
export const DatasetsQuery = z.object(Paging);

export const METADATA_COLUMNS = ['keys', 'bounds', 'convex_hull', 'valid_percentage', 'range', 'mean', 'stdev', 'percentiles', 'metadata'] as const;
export const MetadataQuery = z.object({
  columns: list('[bounds,range]').pipe(z.array(z.enum(METADATA_COLUMNS, { error: `unknown column; columns are ${METADATA_COLUMNS.join(', ')}` })).min(1, 'must name at least one column'))
    .optional().openapi({ type: 'string', description: 'Columns to return, as a list.', example: '[bounds,range]' }),
});

/** Terracotta's MAX_POST_METADATA_KEYS. */
export const MAX_POST_METADATA = 100;
export const MetadataBody = z.object({
  keys: z.array(z.array(z.string()), { error: 'must be a list of key-value lists, e.g. [["S2", "B04"], ["S2", "B08"]]' })
    .min(1).max(MAX_POST_METADATA, `at most ${MAX_POST_METADATA} datasets per request`),
});

export const PointQuery = z.object({
  sort: tileOptions.sort,
  lng: z.coerce.number({ error: 'must be a longitude in degrees' }).min(-180).max(180).openapi({ description: 'WGS84 longitude.', example: 117.1 }),
  lat: z.coerce.number({ error: 'must be a latitude in degrees' }).min(-90).max(90).openapi({ description: 'WGS84 latitude.', example: 31.8 }),
});

export const WmtsQuery = z.object({
  ...Paging,
  tms: tileOptions.tms,
});

/** Path parameters, for the document (tile paths are parsed by paths.ts with the same rules). */
export const KeysPath = z.string().openapi({ param: { name: 'keys', in: 'path' }, description: 'Key values in the catalog\'s order, joined by "/" (e.g. S2/2024-01-15/B04).', example: 'S2/2024-01-15/B04' });
export const TilePath = {
  z: z.string().openapi({ param: { name: 'z', in: 'path' }, description: 'Zoom level (0–24).', example: '10' }),
  x: z.string().openapi({ param: { name: 'x', in: 'path' }, description: 'Tile column.', example: '843' }),
  y: z.string().openapi({ param: { name: 'y', in: 'path' }, description: 'Tile row, optionally with "@2x" for a tile of twice the size.', example: '418@2x' }),
};

/** The request's query validated against `schema`; a 400 naming the first bad parameter otherwise. */
export function parseQuery<S extends z.ZodType>(schema: S, query: URLSearchParams): z.output<S> {
  return parseValue(schema, Object.fromEntries(query));
}

export function parseValue<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw badRequest(formatIssues(result.error.issues));
}

/** `stretch_range[1]: expected a number…`: the parameter first, then where in it, then why. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.slice(0, 3).map((issue) => {
    const [head, ...rest] = issue.path;
    const where = head === undefined ? 'request' : `${String(head)}${rest.map((p) => `[${String(p)}]`).join('')}`;
    return `${where}: ${issue.message}`;
  }).join('; ');
}
