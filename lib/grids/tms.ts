/**
 * Tile matrix sets as plain values, and the geometry of one tile in them. Pure functions, no I/O.
 *
 * - WebMercatorQuad: the XYZ grid every web map uses (OGC TMS 2.0 `WebMercatorQuad`, EPSG:3857).
 * - WGS1984Quad: EPSG:4326 with 2×1 tiles at zoom 0 (OGC TMS 2.0 `WGS1984Quad`); coordinates here
 *   are always [lon, lat] whatever EPSG's axis order says.
 * - GCJ02WebMercatorQuad: the Web Mercator grid again, but its coordinates are Web Mercator of
 *   GCJ-02 lon/lat, so tiles line up with AMap / Tencent basemaps (drawn in GCJ-02). A grid point
 *   goes to WGS84 by inverse Web Mercator and then the inverse GCJ-02 transform (./gcj02.ts).
 * - CGCS2000Quad: China's national geographic grid, Tianditu's `c` tile matrix set (EPSG:4490):
 *   origin (-180, 90), level 1 has 2×1 tiles of 256 px at 0.703125°/px, and levels are numbered as
 *   Tianditu numbers them (1–18 and beyond; there is no level 0), so z/x/y here is Tianditu's
 *   TILEMATRIX/TILECOL/TILEROW and overlays line up with its basemaps. CGCS2000 and WGS84 lon/lat
 *   differ by centimetres (PROJ has no transformation between them either), so the grid's
 *   coordinates are taken as WGS84 lon/lat.
 */
import { InputError } from '../errors/index.ts';

/** The `tms=` names, in the order the API lists them; TILE_MATRIX_SETS must hold each. */
export const TMS_IDS = ['WebMercatorQuad', 'WGS1984Quad', 'GCJ02WebMercatorQuad', 'CGCS2000Quad'] as const;
export type TmsId = (typeof TMS_IDS)[number];

/** [minX, minY, maxX, maxY] in the grid's coordinates. */
export type Bounds = [number, number, number, number];

/** GDAL-style affine transform [originX, pixelWidth, 0, originY, 0, -pixelHeight]. */
export type GeoTransform = [number, number, number, number, number, number];

export interface TileMatrixSet {
  readonly id: TmsId;
  readonly title: string;
  /** EPSG code of the projection the grid coordinates are in (before any GCJ-02 shift). */
  readonly epsg: 3857 | 4326 | 4490;
  /** True when grid coordinates are GCJ-02 ("Mars") rather than WGS84 lon/lat projected. */
  readonly gcj02: boolean;
  /** The whole grid's extent; tile (0, 0) is at its top-left. */
  readonly extent: Readonly<Bounds>;
  /** Tiles across and down at zoom 0 (both double at each zoom; a grid starting at zoom 1 may have ½). */
  readonly matrixWidth0: number;
  readonly matrixHeight0: number;
  /** The first zoom level of the grid (0, or 1 for Tianditu's numbering). */
  readonly minZoom: number;
}

/** π · 6378137: half the width of the Web Mercator world in metres. */
export const WEB_MERCATOR_HALF = 20037508.342789244;

export const WebMercatorQuad: TileMatrixSet = {
  id: 'WebMercatorQuad',
  title: 'Google Maps compatible (Web Mercator, EPSG:3857)',
  epsg: 3857,
  gcj02: false,
  extent: [-WEB_MERCATOR_HALF, -WEB_MERCATOR_HALF, WEB_MERCATOR_HALF, WEB_MERCATOR_HALF],
  matrixWidth0: 1,
  matrixHeight0: 1,
  minZoom: 0,
};

export const WGS1984Quad: TileMatrixSet = {
  id: 'WGS1984Quad',
  title: 'WGS 84 geographic quad (EPSG:4326, 2×1 tiles at zoom 0)',
  epsg: 4326,
  gcj02: false,
  extent: [-180, -90, 180, 90],
  matrixWidth0: 2,
  matrixHeight0: 1,
  minZoom: 0,
};

export const GCJ02WebMercatorQuad: TileMatrixSet = {
  id: 'GCJ02WebMercatorQuad',
  title: 'Web Mercator of GCJ-02 coordinates (aligns with AMap / Tencent basemaps)',
  epsg: 3857,
  gcj02: true,
  extent: WebMercatorQuad.extent,
  matrixWidth0: 1,
  matrixHeight0: 1,
  minZoom: 0,
};

export const CGCS2000Quad: TileMatrixSet = {
  id: 'CGCS2000Quad',
  title: 'CGCS2000 geographic (EPSG:4490), Tianditu "c" tile matrix: 2×1 tiles at level 1',
  epsg: 4490,
  gcj02: false,
  extent: [-180, -90, 180, 90],
  // level 1 is 2×1, so a level 0 would be 1 × ½: the grid starts at 1
  matrixWidth0: 1,
  matrixHeight0: 0.5,
  minZoom: 1,
};

export const TILE_MATRIX_SETS: Readonly<Record<TmsId, TileMatrixSet>> = { WebMercatorQuad, WGS1984Quad, GCJ02WebMercatorQuad, CGCS2000Quad };

/**
 * 24 is deeper than any raster needs (a z24 Web Mercator pixel is ~1 cm at 256 px) and keeps tile
 * indices far inside exact double arithmetic.
 */
export const MAX_ZOOM = 24;
/** 2048 px is retina 512 × 4: a larger tile costs more memory than a function has to spare. */
export const MAX_TILE_SIZE = 2048;

export function tileMatrixSet(id: string): TileMatrixSet {
  const tms = (TILE_MATRIX_SETS as Record<string, TileMatrixSet | undefined>)[id];
  if (!tms) throw new InputError(`unknown tile matrix set "${id}" (known: ${Object.keys(TILE_MATRIX_SETS).join(', ')})`);
  return tms;
}

/** Tiles across and down at zoom z. */
export function matrixSize(tms: TileMatrixSet, z: number): [number, number] {
  return [tms.matrixWidth0 * 2 ** z, tms.matrixHeight0 * 2 ** z];
}

/** Throws an InputError naming the bad coordinate when z/x/y is not a tile of this grid. */
export function validateTile(tms: TileMatrixSet, z: number, x: number, y: number): void {
  if (!Number.isInteger(z)) throw new InputError(`zoom ${z} is not an integer`);
  if (z < tms.minZoom || z > MAX_ZOOM) throw new InputError(`zoom ${z} is outside ${tms.minZoom}..${MAX_ZOOM}${tms.minZoom ? ` of ${tms.id} (Tianditu's levels start at 1)` : ''}`);
  const [w, h] = matrixSize(tms, z);
  if (!Number.isInteger(x)) throw new InputError(`x ${x} is not an integer`);
  if (x < 0 || x >= w) throw new InputError(`x ${x} is outside 0..${w - 1} at zoom ${z}`);
  if (!Number.isInteger(y)) throw new InputError(`y ${y} is not an integer`);
  if (y < 0 || y >= h) throw new InputError(`y ${y} is outside 0..${h - 1} at zoom ${z}`);
}

export function validateTileSize(size: number): void {
  if (!Number.isInteger(size) || size < 1 || size > MAX_TILE_SIZE) {
    throw new InputError(`tile size ${size} is outside 1..${MAX_TILE_SIZE} (an integer number of pixels)`);
  }
}

/** The tile's extent in the grid's coordinates. */
export function tileBounds(tms: TileMatrixSet, z: number, x: number, y: number): Bounds {
  validateTile(tms, z, x, y);
  const [minX, , , maxY] = tms.extent;
  const span = tileSpan(tms, z);
  // Edges are computed from the grid origin (never by adding spans), so neighbours share them exactly.
  return [minX + x * span[0], maxY - (y + 1) * span[1], minX + (x + 1) * span[0], maxY - y * span[1]];
}

/** The affine transform from tile pixel (column, row) to grid coordinates, for a size × size tile. */
export function tileTransform(tms: TileMatrixSet, z: number, x: number, y: number, size = 256): GeoTransform {
  validateTileSize(size);
  const [minX, minY, maxX, maxY] = tileBounds(tms, z, x, y);
  // Each axis divided on its own, as gdalwarp -te … -ts does, so both compute the same pixel grid.
  return [minX, (maxX - minX) / size, 0, maxY, 0, -(maxY - minY) / size];
}

function tileSpan(tms: TileMatrixSet, z: number): [number, number] {
  const [minX, minY, maxX, maxY] = tms.extent;
  const [w, h] = matrixSize(tms, z);
  return [(maxX - minX) / w, (maxY - minY) / h];
}
