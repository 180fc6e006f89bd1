/**
 * The catalog routes, with Terracotta's shapes: /keys, /datasets (key filters, paging),
 * /metadata/{keys…} (and `columns`), POST /metadata for many datasets at once, and /colormap.
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import type { DatasetRecord, KeySpec, ListQuery } from '../catalog/index.ts';
import { colormapLegend } from '../render/index.ts';
import { mapConcurrent } from './context.ts';
import { ApiError, badRequest } from './errors.ts';
import { document } from './openapi.ts';
import { keyPath } from './paths.ts';
import { jsonResponse, type ApiEnv } from './respond.ts';
import {
  ColormapQuery, DatasetsQuery, KeysPath, MAX_POST_METADATA, MetadataBody, MetadataQuery, parseQuery, parseValue, type METADATA_COLUMNS,
} from './schemas.ts';

type Column = (typeof METADATA_COLUMNS)[number];

/** Terracotta's metadata object for a record, optionally only some columns. */
export function metadataOf(record: DatasetRecord, specs: KeySpec[], columns?: readonly Column[]): Record<string, unknown> {
  const m = record.metadata;
  const all: Record<Column, unknown> = {
    keys: Object.fromEntries(specs.map((k, i) => [k.name, record.keys[i]])),
    bounds: m.bounds,
    convex_hull: m.footprint,
    valid_percentage: m.validPercent,
    range: [m.min, m.max],
    mean: m.mean,
    stdev: m.stdev,
    percentiles: m.percentiles,
    metadata: m.extra ?? {},
  };
  return columns ? Object.fromEntries(columns.map((col) => [col, all[col]])) : all;
}

/** `{key}=value` or `{key}=[a,b]` filters (values checked by the catalog's key rules). */
export function datasetFilters(query: URLSearchParams): NonNullable<ListQuery['where']> {
  const where: Record<string, string | string[]> = {};
  for (const [name, value] of query) {
    const t = value.trim();
    where[name] = t.startsWith('[') && t.endsWith(']') ? parseValue(listOf(name), t) : value;
  }
  return where;
}

const listOf = (name: string) => z.string().transform((t) => {
  try {
    const parsed = JSON.parse(t) as unknown;
    if (Array.isArray(parsed)) return parsed.map(String);
  } catch { /* a bare list: [a,b] */ }
  return t.slice(1, -1).split(',').map((v) => v.trim()).filter((v) => v !== '');
}).describe(name);

export function registerMetadataRoutes(app: OpenAPIHono<ApiEnv>): void {
  app.get('/keys', async (c) => {
    const specs = await c.get('api').keys(c.get('stats'));
    return jsonResponse(c, { keys: specs.map((k) => (k.description ? { key: k.name, description: k.description } : { key: k.name })) });
  });
  document(app, {
    method: 'get', path: '/keys', tags: ['catalog'], summary: 'Key names, in order, with descriptions',
    ok: { type: 'application/json', description: '{"keys": [{"key": …, "description": …}]}' }, errors: [], reads: 'catalog',
  });

  app.get('/datasets', async (c) => {
    const api = c.get('api'), stats = c.get('stats');
    const specs = await api.keys(stats);
    const paging = new URLSearchParams([...c.get('query')].filter(([k]) => k === 'limit' || k === 'page'));
    const { limit, page } = parseQuery(DatasetsQuery, paging);
    const filters = new URLSearchParams([...c.get('query')].filter(([k]) => k !== 'limit' && k !== 'page'));
    for (const name of filters.keys()) {
      if (!specs.some((k) => k.name === name)) throw badRequest(`${name.length > 64 ? `${name.slice(0, 64)}…` : name}: not a key of this catalog (keys: ${specs.map((k) => k.name).join(', ')}), nor limit or page`);
    }
    // a prefix (date=2024-06-*, or *) is a mosaic's filter: its members, paged in memory from the cached index
    const prefixes = [...filters].filter(([, v]) => v.endsWith('*'));
    const where = { ...datasetFilters(filters), ...Object.fromEntries(prefixes.map(([k, v]) => [k, { prefix: v.slice(0, -1) }])) };
    const rows = prefixes.length
      ? (await api.members(where, stats)).slice(page * limit, (page + 1) * limit)
      : await api.list({ where: where as NonNullable<ListQuery['where']>, limit, page }, stats);
    const datasets = rows.map((r) => Object.fromEntries(specs.map((k, i) => [k.name, r.keys[i]])));
    return jsonResponse(c, { page, limit, datasets });
  });
  document(app, {
    method: 'get', path: '/datasets', tags: ['catalog'], query: DatasetsQuery,
    summary: 'Datasets matching key filters',
    description: 'Filter by any key: {key}=value, {key}=[a,b] for any of several values, or {key}=2024-06-* for values starting so (the members of a mosaic). Without filters, every dataset (paged).',
    ok: { type: 'application/json', description: '{"page": 0, "limit": 100, "datasets": [{key: value, …}]}' }, errors: [400], reads: 'catalog',
  });

  app.get('/metadata/*', async (c) => {
    const api = c.get('api'), stats = c.get('stats');
    const { columns } = parseQuery(MetadataQuery, c.get('query'));
    const keys = keyPath(c.get('path').slice('/metadata/'.length));
    // the record first: cold, it brings the key names in the same catalog query
    const record = await api.record(keys, stats);
    const specs = await api.keys(stats);
    return jsonResponse(c, metadataOf(record, specs, columns));
  });
  document(app, {
    method: 'get', path: '/metadata/{keys}', tags: ['catalog'], query: MetadataQuery, params: z.object({ keys: KeysPath }),
    summary: 'Metadata of one dataset',
    description: 'keys, bounds (WGS84), convex_hull (GeoJSON footprint of the valid data), valid_percentage, range, mean, stdev, percentiles (p1…p99), metadata.',
    ok: { type: 'application/json', description: 'Terracotta\'s metadata object' }, reads: 'catalog',
  });

  app.post('/metadata', bodyLimit({ maxSize: 1024 * 1024, onError: () => {
    // the rest of the body is never read, so the connection cannot carry another request
    throw new ApiError(413, 'body: larger than 1 MiB', { connection: 'close' });
  } }), async (c) => {
    const api = c.get('api'), stats = c.get('stats');
    const { columns } = parseQuery(MetadataQuery, c.get('query'));
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      throw badRequest('body: must be a JSON object like {"keys": [["S2", "B04"], …]}');
    }
    const { keys } = parseValue(MetadataBody, body);
    const specs = await api.keys(stats);
    const records = await mapConcurrent(keys, 8, (k) => api.record(k, stats));
    return jsonResponse(c, records.map((r) => metadataOf(r, specs, columns)));
  });
  document(app, {
    method: 'post', path: '/metadata', tags: ['catalog'], query: MetadataQuery, body: MetadataBody,
    summary: `Metadata of up to ${MAX_POST_METADATA} datasets`,
    ok: { type: 'application/json', description: 'A list of metadata objects, in the order asked' }, errors: [400, 404, 413], reads: 'catalog',
  });

  app.get('/colormap', (c) => {
    const q = parseQuery(ColormapQuery, c.get('query'));
    const colormap = colormapLegend({ stretchRange: q.stretch_range, colormap: q.colormap, numValues: q.num_values });
    return jsonResponse(c, { colormap }, 'public, max-age=86400');
  });
  document(app, {
    method: 'get', path: '/colormap', tags: ['colormap'], query: ColormapQuery,
    summary: 'Legend: values and the colours tiles give them',
    ok: { type: 'application/json', description: '{"colormap": [{"value": …, "rgba": [r, g, b, a]}]}' }, errors: [400],
  });
}
