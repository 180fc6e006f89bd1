/**
 * OGC WMTS 1.0.0 GetCapabilities (RESTful), so QGIS, ArcGIS and GDAL's WMTS driver can add layers:
 * - `/{family}/{keys}/WMTSCapabilities.xml?…` — one layer, the query passed on into its tiles;
 * - `/wmts/WMTSCapabilities.xml?{key}=…&limit=&page=&tms=` — a singleband layer per dataset
 *   (default styling; any other query parameter is passed on into every layer's tiles).
 * Tile matrix sets: GoogleMapsCompatible (WebMercatorQuad, the well-known scale set), WGS1984Quad
 * (CRS84, 2×1 tiles at 0), GCJ02WebMercatorQuad (a Mercator grid whose content is GCJ-02) and
 * CGCS2000Quad (EPSG:4490, Tianditu's "c" matrices, numbered from 1 as Tianditu numbers them).
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { DatasetRecord } from '../catalog/index.ts';
import { matrixSize, tileMatrixSet, WEB_MERCATOR_HALF, type TmsId } from '../grids/index.ts';
import { mapConcurrent } from './context.ts';
import { badRequest } from './errors.ts';
import { document } from './openapi.ts';
import { xmlResponse, type ApiContextOf, type ApiEnv } from './respond.ts';
import { datasetFilters } from './routes-metadata.ts';
import { checkParameterNames } from './parameter-names.ts';
import { parseQuery, SinglebandQuery, WmtsQuery, ZoomOverrides } from './schemas.ts';
import { encodeKeys, layerOf, passThrough, unionBounds, withAccess, zoomRange } from './tilejson.ts';
import { familyOptions, type Family } from './tile-request.ts';

interface Layer {
  id: string;
  bounds: [number, number, number, number];
  minzoom: number;
  maxzoom: number;
  /** ResourceURL template with {TileMatrix}/{TileCol}/{TileRow}. */
  template: string;
}

const MATRIX_SETS: Record<TmsId, { id: string; crs: string; topLeft: string; scale0: number; wkss?: string }> = {
  WebMercatorQuad: { id: 'GoogleMapsCompatible', crs: 'urn:ogc:def:crs:EPSG::3857', topLeft: `${-WEB_MERCATOR_HALF} ${WEB_MERCATOR_HALF}`, scale0: 559082264.0287178, wkss: 'urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible' },
  // CRS84 is longitude-first, so the corner is written lon lat
  WGS1984Quad: { id: 'WGS1984Quad', crs: 'urn:ogc:def:crs:OGC:1.3:CRS84', topLeft: '-180 90', scale0: 279541132.0143589 },
  GCJ02WebMercatorQuad: { id: 'GCJ02WebMercatorQuad', crs: 'urn:ogc:def:crs:EPSG::3857', topLeft: `${-WEB_MERCATOR_HALF} ${WEB_MERCATOR_HALF}`, scale0: 559082264.0287178 },
  // Tianditu's own "c": EPSG:4490 is latitude-first, levels from 1. Its capabilities give level 1 a
  // scale of 2.958293554545656E8, computed at 96 dpi; OGC clients assume 0.28 mm pixels, so the
  // standard scale of 0.703125°/px (279541132.01…) is written, which puts tiles where Tianditu's are.
  CGCS2000Quad: { id: 'CGCS2000Quad', crs: 'urn:ogc:def:crs:EPSG::4490', topLeft: '90 -180', scale0: 2 * 279541132.0143589 },
};

const esc = (s: string): string => s.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export function capabilitiesXml(layers: readonly Layer[], tms: TmsId, base: string, selfUrl: string): string {
  const set = MATRIX_SETS[tms];
  const top = Math.max(0, ...layers.map((l) => l.maxzoom));
  const grid = tileMatrixSet(tms);
  const matrices = Array.from({ length: Math.max(0, top + 1 - grid.minZoom) }, (_, i) => i + grid.minZoom).map((z) => `
      <TileMatrix><ows:Identifier>${z}</ows:Identifier><ScaleDenominator>${set.scale0 / 2 ** z}</ScaleDenominator><TopLeftCorner>${set.topLeft}</TopLeftCorner><TileWidth>256</TileWidth><TileHeight>256</TileHeight><MatrixWidth>${matrixSize(grid, z)[0]}</MatrixWidth><MatrixHeight>${matrixSize(grid, z)[1]}</MatrixHeight></TileMatrix>`).join('');
  const layerXml = layers.map((l) => `
    <Layer>
      <ows:Title>${esc(l.id)}</ows:Title>
      <ows:WGS84BoundingBox><ows:LowerCorner>${l.bounds[0]} ${l.bounds[1]}</ows:LowerCorner><ows:UpperCorner>${l.bounds[2]} ${l.bounds[3]}</ows:UpperCorner></ows:WGS84BoundingBox>
      <ows:Identifier>${esc(l.id)}</ows:Identifier>
      <Style isDefault="true"><ows:Identifier>default</ows:Identifier></Style>
      <Format>image/png</Format>
      <TileMatrixSetLink><TileMatrixSet>${set.id}</TileMatrixSet></TileMatrixSetLink>
      <ResourceURL format="image/png" resourceType="tile" template="${esc(l.template)}"/>
    </Layer>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<Capabilities xmlns="http://www.opengis.net/wmts/1.0" xmlns:ows="http://www.opengis.net/ows/1.1" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.opengis.net/wmts/1.0 http://schemas.opengis.net/wmts/1.0/wmtsGetCapabilities_response.xsd" version="1.0.0">
  <ows:ServiceIdentification><ows:Title>taoguan</ows:Title><ows:ServiceType>OGC WMTS</ows:ServiceType><ows:ServiceTypeVersion>1.0.0</ows:ServiceTypeVersion></ows:ServiceIdentification>
  <ows:OperationsMetadata>
    <ows:Operation name="GetCapabilities"><ows:DCP><ows:HTTP><ows:Get xlink:href="${esc(selfUrl)}"><ows:Constraint name="GetEncoding"><ows:AllowedValues><ows:Value>RESTful</ows:Value></ows:AllowedValues></ows:Constraint></ows:Get></ows:HTTP></ows:DCP></ows:Operation>
    <ows:Operation name="GetTile"><ows:DCP><ows:HTTP><ows:Get xlink:href="${esc(base)}/"><ows:Constraint name="GetEncoding"><ows:AllowedValues><ows:Value>RESTful</ows:Value></ows:AllowedValues></ows:Constraint></ows:Get></ows:HTTP></ows:DCP></ows:Operation>
  </ows:OperationsMetadata>
  <Contents>${layerXml}
    <TileMatrixSet>
      <ows:Identifier>${set.id}</ows:Identifier>
      <ows:SupportedCRS>${set.crs}</ows:SupportedCRS>${set.wkss ? `
      <WellKnownScaleSet>${set.wkss}</WellKnownScaleSet>` : ''}${matrices}
    </TileMatrixSet>
  </Contents>
  <ServiceMetadataURL xlink:href="${esc(selfUrl)}"/>
</Capabilities>
`;
}

/** A ResourceURL template, carrying the client's api_key or a signature of its own (see withAccess). */
function template(c: ApiContextOf, base: string, family: Family, keys: readonly string[], query: string): string {
  const path = `/${family}/${keys.length ? `${encodeKeys(keys)}/` : ''}{TileMatrix}/{TileCol}/{TileRow}.png`;
  return `${base}${path}${withAccess(c, path, query)}`;
}

const selfUrl = (c: ApiContextOf, base: string): string => `${base}${c.get('path')}${withAccess(c, c.get('path'), passThrough(c.get('query'), []))}`;

/** One layer: the dataset(s) of a tile route, styled by its query. */
export async function familyCapabilities(c: ApiContextOf, family: Family, keys: string[]): Promise<Response> {
  const api = c.get('api');
  const options = familyOptions(family, c.get('query'));
  const zooms = parseQuery(ZoomOverrides, c.get('query'));
  const { first, bounds } = await layerOf(api, options, keys, c.get('stats'));
  const base = api.publicBase(c.req.url, c.req.header('x-forwarded-prefix'));
  const layer = toLayer([...keys, ...options.lastKeys].join('/'), [first], options.tms, template(c, base, family, keys, passThrough(c.get('query'))), zooms, bounds);
  return xmlResponse(c, capabilitiesXml([layer], options.tms, base, selfUrl(c, base)));
}

function toLayer(id: string, records: DatasetRecord[], tms: TmsId, tpl: string, zooms: { minzoom?: number; maxzoom?: number }, bounds = unionBounds(records)): Layer {
  const z = zoomRange(records[0], tms);
  const maxzoom = zooms.maxzoom ?? z.maxzoom;
  return { id, bounds, minzoom: Math.min(maxzoom, zooms.minzoom ?? z.minzoom), maxzoom, template: tpl };
}

/** Catalog-wide capabilities: a singleband layer for each dataset matching the key filters. */
export function registerWmts(app: OpenAPIHono<ApiEnv>): void {
  const own = ['limit', 'page', 'tms'];
  app.get('/wmts/WMTSCapabilities.xml', async (c) => {
    const api = c.get('api'), stats = c.get('stats');
    const specs = await api.keys(stats);
    const q = parseQuery(WmtsQuery, new URLSearchParams([...c.get('query')].filter(([k]) => own.includes(k))));
    const names = new Set(specs.map((k) => k.name));
    checkParameterNames(c.get('query'), names);
    const where = datasetFilters(new URLSearchParams([...c.get('query')].filter(([k]) => names.has(k))));
    // the rest styles every layer, and is checked as singleband parameters are
    const style = new URLSearchParams([...c.get('query')].filter(([k]) => !names.has(k) && !own.includes(k)));
    familyOptions('singleband', style);
    if (style.has('tile_size')) throw badRequest('tile_size: WMTS layers here use 256 px tiles');
    const rows = await api.list({ where, limit: q.limit, page: q.page }, stats);
    const base = api.publicBase(c.req.url, c.req.header('x-forwarded-prefix'));
    const styleQuery = [...style].length || q.tms !== 'WebMercatorQuad'
      ? `?${new URLSearchParams([...style, ...(q.tms !== 'WebMercatorQuad' ? [['tms', q.tms]] : [])]).toString()}` : '';
    const layers = await mapConcurrent(rows, 8, async (row) => {
      const record = await api.record(row.keys, stats);
      return toLayer(row.keys.join('/'), [record], q.tms, template(c, base, 'singleband', row.keys, styleQuery), {});
    });
    return xmlResponse(c, capabilitiesXml(layers, q.tms, base, selfUrl(c, base)));
  });
  document(app, {
    method: 'get', path: '/wmts/WMTSCapabilities.xml', tags: ['wmts'], query: WmtsQuery.extend(SinglebandQuery.pick({ stretch_range: true, colormap: true, explicit_color_map: true, resampling: true }).shape),
    summary: 'OGC WMTS 1.0.0 capabilities: a singleband layer per dataset',
    description: 'Key filters as for /datasets ({key}=value or {key}=[a,b]); colormap, stretch_range and resampling style every layer. Paged by limit / page.',
    ok: { type: 'application/xml', description: 'WMTS capabilities' }, errors: [400], reads: 'catalog',
  });
}
