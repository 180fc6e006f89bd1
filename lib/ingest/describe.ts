import type { ObjectInfo } from '../source/index.ts';
import { validateCog } from '../tiff/index.ts';
import { Compression, type CogHeader, type DType } from '../tiff/index.ts';
import { colourSamples } from '../raster/index.ts';
import { resolveCrs, toWgs84, UnknownCrsError } from '../crs/index.ts';
import type { CrsInfo } from '../tiff/index.ts';

/** What `taoguan info --json` prints: names a user would guess, plain values only. */
export interface RasterDescription {
  location: string;
  size: number;
  etag?: string;
  width: number;
  height: number;
  bands: number;
  dtype: DType;
  nodata: number | string | null;
  epsg: number | null;
  crs: string | null;
  /** The proj4 definition ingest would store, or null when the CRS cannot be used (see warnings). */
  proj4: string | null;
  geotransform: number[] | null;
  bounds: [number, number, number, number] | null;
  wgs84Bounds: [number, number, number, number] | null;
  compression: string;
  predictor: number;
  interleave: 'pixel' | 'band';
  photometric: string;
  alpha: boolean;
  mask: boolean;
  bigTiff: boolean;
  byteOrder: 'little-endian' | 'big-endian';
  levels: { level: number; width: number; height: number; blockWidth: number; blockHeight: number; tiled: boolean; mask: boolean }[];
  bandInfo: { band: number; description?: string; scale?: number; offset?: number }[];
  metadata: Record<string, string>;
  ghost: Record<string, string> | null;
  headerLength: number;
  isCog: boolean;
  errors: string[];
  warnings: string[];
}

const COMPRESSION_NAMES: Record<number, string> = Object.fromEntries(Object.entries(Compression).map(([k, v]) => [v, k.toLowerCase()]));
const PHOTOMETRIC_NAMES: Record<number, string> = { 0: 'miniswhite', 1: 'minisblack', 2: 'rgb', 3: 'palette', 4: 'mask', 5: 'separated', 6: 'ycbcr' };

/**
 * Resolves the CRS as ingest does (the EPSG database on first use), so `info` shows the definition
 * tiles would use, or the reason ingest would refuse the raster.
 */
export async function describeRaster(location: string, header: CogHeader, info?: ObjectInfo): Promise<RasterDescription> {
  const full = header.levels[0].image;
  const validation = validateCog(header);
  const bounds = boundsOf(header);
  let wgs84Bounds: RasterDescription['wgs84Bounds'] = null;
  let crs: CrsInfo | null = null;
  const warnings = [...validation.warnings];
  try {
    const resolved = await resolveCrs(header.crs);
    crs = resolved.crs;
    warnings.push(...resolved.warnings);
  } catch (e) {
    if (!(e instanceof UnknownCrsError)) throw e;
    warnings.push(e.message);
  }
  if (!bounds) warnings.push('no geotransform: the raster is not georeferenced');
  else if (crs) wgs84Bounds = reprojectBounds(bounds, toWgs84(crs));
  const nodata = header.nodata === null ? null : Number.isFinite(header.nodata) ? header.nodata : String(header.nodata);
  return {
    location,
    size: header.size,
    etag: info?.etag,
    width: full.width,
    height: full.height,
    bands: colourSamples(full).length,
    dtype: header.dtype,
    nodata,
    epsg: header.crs?.epsg ?? null,
    crs: header.crs?.citation ?? (header.crs?.epsg ? `EPSG:${header.crs.epsg}` : null),
    proj4: crs?.proj4 ?? null,
    geotransform: header.geotransform,
    bounds,
    wgs84Bounds,
    compression: COMPRESSION_NAMES[full.compression] ?? `unknown (${full.compression})`,
    predictor: full.predictor,
    interleave: full.planarConfiguration === 2 ? 'band' : 'pixel',
    photometric: PHOTOMETRIC_NAMES[full.photometric] ?? String(full.photometric),
    alpha: colourSamples(full).length !== full.samplesPerPixel,
    mask: Boolean(header.levels[0].mask),
    bigTiff: header.bigTiff,
    byteOrder: header.littleEndian ? 'little-endian' : 'big-endian',
    levels: header.levels.map((l, i) => ({
      level: i, width: l.image.width, height: l.image.height, blockWidth: l.image.blockWidth,
      blockHeight: l.image.blockHeight, tiled: l.image.tiled, mask: Boolean(l.mask),
    })),
    bandInfo: header.bands.map((b, i) => ({ band: i + 1, description: b.description, scale: b.scale, offset: b.offset })),
    metadata: header.metadata,
    ghost: header.ghost,
    headerLength: header.headerLength,
    isCog: validation.isCog,
    errors: validation.errors,
    warnings,
  };
}

/** [minX, minY, maxX, maxY] of the full image in its own CRS (all four corners, so rotation is handled). */
export function boundsOf(header: CogHeader): [number, number, number, number] | null {
  const gt = header.geotransform;
  if (!gt) return null;
  const { width, height } = header.levels[0].image;
  const xs: number[] = [], ys: number[] = [];
  for (const [px, py] of [[0, 0], [width, 0], [0, height], [width, height]]) {
    xs.push(gt[0] + px * gt[1] + py * gt[2]);
    ys.push(gt[3] + px * gt[4] + py * gt[5]);
  }
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

/** Densify the edges (21 points a side) so curved edges in the target CRS are bounded correctly. */
export function reprojectBounds(b: [number, number, number, number], fn: (xy: [number, number]) => [number, number]): [number, number, number, number] {
  const xs: number[] = [], ys: number[] = [];
  const steps = 20;
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    const x = b[0] + (b[2] - b[0]) * t, y = b[1] + (b[3] - b[1]) * t;
    for (const p of [[x, b[1]], [x, b[3]], [b[0], y], [b[2], y]] as [number, number][]) {
      const [lon, lat] = fn(p);
      if (Number.isFinite(lon) && Number.isFinite(lat)) { xs.push(lon); ys.push(lat); }
    }
  }
  if (xs.length === 0) return [NaN, NaN, NaN, NaN];
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}
