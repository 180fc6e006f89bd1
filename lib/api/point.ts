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
import { document } from './openapi.ts';
import { keyPath } from './paths.ts';
import { jsonResponse, type ApiEnv } from './respond.ts';
import { KeysPath, parseQuery, PointQuery } from './schemas.ts';

/** proj4 converters by definition: building one parses the definition, a lookup does not. */
const converters = new Map<string, proj4.Converter>();

export function registerPoint(app: OpenAPIHono<ApiEnv>): void {
  app.get('/point/*', async (c) => {
    const api = c.var.api, stats = c.var.stats;
    const { lng, lat } = parseQuery(PointQuery, c.var.query);
    const keys = keyPath(c.var.path.slice('/point/'.length));
    // the record first: cold, it brings the key names in the same catalog query
    const record = await api.record(keys, stats);
    const specs = await api.keys(stats);
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
    let values: (number | null)[] = bands.map(() => null);
    const inside = Number.isFinite(col) && Number.isFinite(row) && col >= 0 && row >= 0 && col < width && row < height;
    if (inside) {
      const dataset = api.tileDataset(record, stats);
      const win = await api.forgettingChanged([record], () => api.admission.run(() => readWindow(header, dataset.source, { x: col, y: row, width: 1, height: 1 }, { level: 0, bands, etag: record.etag, cache: dataset.blockCache, budget: dataset.budget })));
      values = win.bands.map((b) => (win.mask[0] === 0 || Number.isNaN(b[0]) ? null : b[0]));
    }
    return jsonResponse(c, {
      keys: Object.fromEntries(specs.map((k, i) => [k.name, record.keys[i]])),
      lng, lat, x: inside ? col : null, y: inside ? row : null, values,
    });
  });
  document(app, {
    method: 'get', path: '/point/{keys}', tags: ['point'], query: PointQuery, params: z.object({ keys: KeysPath }),
    summary: 'Pixel values at a WGS84 position',
    description: 'Every band\'s value at full resolution (null outside the raster or where there is no data), with the pixel column x and row y.',
    ok: { type: 'application/json', description: '{"keys": {…}, "lng", "lat", "x", "y", "values": [band 1, band 2, …]}' }, reads: 'objects',
  });
}
