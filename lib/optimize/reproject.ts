/**
 * optimize --reproject: the input warped to another CRS as `gdalwarp -t_srs EPSG:… -r near|bilinear`
 * would, then written as a COG like any other input. The output grid is gdalwarp's default
 * (GDALSuggestedWarpOutput2, lib/optimize/suggest-grid.ts); its pixels come from the tiles path — the same
 * approximate transformer, chunking and kernels (lib/warp) — run over one output block at a
 * time, so a tile row of the output costs a tile row of warped pixels plus the source blocks it
 * touches (kept in a small decoded-block cache, as neighbouring output blocks share them).
 *
 * Outside the source footprint: the source's nodata when it has one (gdalwarp keeps it), transparent
 * through the alpha band when it has one, and otherwise an internal mask is added — gdalwarp would
 * write 0 there with no way to tell it from data unless given -dstalpha; a mask keeps 0 a value.
 */
import proj4 from 'proj4';
import { BlockCache } from '../raster/index.ts';
import { typedArrayFor, type TypedArray } from '../raster/index.ts';
import { readWindow } from '../raster/index.ts';
import type { Source } from '../source/index.ts';
import type { CogHeader, CrsInfo } from '../tiff/index.ts';
import { Tag } from '../tiff/index.ts';
import { DEFAULT_MAX_ERROR } from '../warp/index.ts';
import { proj4ForCrs, resolveCrs, UnknownCrsError } from '../crs/index.ts';
import { gridProjection, type PointTransform } from '../warp/index.ts';
import { suggestedOutput, type OutputGrid } from './suggest-grid.ts';
import { WebMercatorQuad, WGS1984Quad, type GeoTransform } from '../grids/index.ts';
import { invert, pixelTransform, planWarp, RESAMPLINGS, warpWindow, type Resampling } from '../warp/index.ts';
import { FieldType, type TagEntry } from './ifd-writer.ts';

export type WarpResampling = Resampling;

/** The warp kernels, by gdalwarp's names. */
export const WARP_RESAMPLINGS: readonly WarpResampling[] = RESAMPLINGS;

export interface ReprojectOptions {
  /** Target CRS, "EPSG:3857" (default), "EPSG:4326" or any projected or geographic EPSG code. */
  srs?: string;
  /** nearest (default, as gdalwarp), bilinear, or average. */
  resampling?: WarpResampling;
  /** Approximate transformer tolerance in source pixels (gdalwarp's -et, default 0.125; 0 = exact). */
  maxError?: number;
}

export interface Target {
  epsg: number;
  def: string;
  geographic: boolean;
  /** Where the target's datum shift differs from PROJ's (lib/crs resolveCrs). */
  warnings: string[];
}

/**
 * "EPSG:3857", "epsg:4326" or "3857" → the target CRS: any projected or geographic CRS of the EPSG
 * database (loaded on first use), or an error naming what is accepted.
 */
export async function resolveTarget(srs: string): Promise<Target> {
  const m = /^(?:epsg:)?(\d+)$/i.exec(srs.trim());
  if (!m) throw new Error(`target CRS "${srs}": expected an EPSG code such as EPSG:3857, EPSG:4326 or EPSG:2193`);
  const epsg = Number(m[1]);
  const crs: CrsInfo = { epsg, modelType: 'unknown', rasterType: 1, geoKeys: {} };
  let def: string, warnings: string[];
  try {
    const resolved = await resolveCrs(crs);
    def = resolved.crs.proj4!;
    warnings = resolved.warnings;
  } catch (e) {
    if (!(e instanceof UnknownCrsError)) throw e;
    throw new Error(`target CRS "${srs}": ${e.message}`);
  }
  return { epsg, def, geographic: def.startsWith('+proj=longlat'), warnings };
}

export interface Reprojection {
  target: Target;
  grid: OutputGrid;
  resampling: WarpResampling;
  maxError: number;
  /** Target CRS coordinates → source CRS coordinates. */
  toSource: PointTransform;
  /** Datum shifts approximated, of the source CRS and the target's (lib/crs resolveCrs). */
  warnings: string[];
}

/** The output grid and transforms for a header; throws for an input without a usable CRS. */
export async function planReprojection(header: CogHeader, options: ReprojectOptions = {}): Promise<Reprojection> {
  const target = await resolveTarget(options.srs ?? 'EPSG:3857');
  const resampling = options.resampling ?? 'nearest';
  if (!RESAMPLINGS.includes(resampling)) throw new Error(`warp resampling "${resampling}": expected ${RESAMPLINGS.join(', ')}`);
  const gt = header.geotransform;
  if (!gt) throw new Error('the raster has no geotransform: it cannot be reprojected');
  const { crs, warnings } = await resolveCrs(header.crs);
  const { toSource, toTarget } = transforms(proj4ForCrs(crs), target);
  const inv = invert(gt);
  const p = new Float64Array(2);
  const pixelToTarget: PointTransform = (px, py, out) => toTarget(gt[0] + px * gt[1] + py * gt[2], gt[3] + px * gt[4] + py * gt[5], out);
  const targetToPixel: PointTransform = (x, y, out) => {
    if (!toSource(x, y, p)) return false;
    out[0] = inv[0] + p[0] * inv[1] + p[1] * inv[2];
    out[1] = inv[3] + p[0] * inv[4] + p[1] * inv[5];
    return Number.isFinite(out[0]) && Number.isFinite(out[1]);
  };
  const { width, height } = header.levels[0].image;
  const grid = suggestedOutput(width, height, pixelToTarget, targetToPixel);
  return { target, grid, resampling, maxError: options.maxError ?? DEFAULT_MAX_ERROR, toSource, warnings: [...warnings, ...target.warnings] };
}

/**
 * Both directions between the source CRS and the target. Web Mercator and WGS84 targets use the
 * tiles path's projections (written-out spherical Mercator, proj4's forward without its generic
 * wrapper); other targets go through proj4 both ways.
 */
function transforms(sourceDef: string, target: Target): { toSource: PointTransform; toTarget: PointTransform } {
  if (target.epsg === 3857 || target.epsg === 4326) {
    const g = gridProjection(target.epsg === 3857 ? WebMercatorQuad : WGS1984Quad, sourceDef);
    return { toSource: g.toSource, toTarget: g.toGrid };
  }
  if (sourceDef === target.def) {
    const same: PointTransform = (x, y, out) => { out[0] = x; out[1] = y; return true; };
    return { toSource: same, toTarget: same };
  }
  const c = proj4(sourceDef, target.def);
  const wrap = (fn: (p: number[]) => number[]): PointTransform => (x, y, out) => {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
    let r: number[];
    try { r = fn([x, y]); } catch { return false; }
    if (!r || !Number.isFinite(r[0]) || !Number.isFinite(r[1])) return false;
    out[0] = r[0];
    out[1] = r[1];
    return true;
  };
  return { toSource: wrap(c.inverse), toTarget: wrap(c.forward) };
}

/** The output's GeoTIFF tags: its geotransform and the target's EPSG code (as gdalinfo reads them back). */
export function targetGeoTags(r: Reprojection): TagEntry[] {
  const [x0, sx, , y0, , sy] = r.grid.geotransform;
  // the linear unit as the EPSG code has it (GDAL reads the rest from the code)
  const unit = /\+units=(\S+)/.exec(r.target.def)?.[1];
  const linear = unit === 'm' ? 9001 : unit === 'us-ft' ? 9003 : unit === 'ft' ? 9002 : undefined;
  const keys = r.target.geographic
    ? [1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, r.target.epsg, 2054, 0, 1, 9102]
    : [1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, r.target.epsg, ...(linear ? [3076, 0, 1, linear] : [])];
  return [
    { tag: Tag.ModelPixelScale, type: FieldType.DOUBLE, values: [sx, -sy, 0] },
    { tag: Tag.ModelTiepoint, type: FieldType.DOUBLE, values: [0, 0, 0, x0, y0, 0] },
    { tag: Tag.GeoKeyDirectory, type: FieldType.SHORT, values: [1, 1, 0, keys.length / 4, ...keys] },
  ];
}

/** Tags that describe the input's georeferencing, replaced by targetGeoTags. */
export const GEO_TAGS: ReadonlySet<number> = new Set([
  Tag.ModelPixelScale, Tag.ModelTiepoint, Tag.ModelTransformation, Tag.GeoKeyDirectory, Tag.GeoDoubleParams, Tag.GeoAsciiParams,
]);

export interface WarpedRows {
  height: number;
  bands: TypedArray[];
  mask: Uint8Array;
}

/** Output pixels planned at once: the plan's coordinates take 16 bytes a pixel (32 for average). */
const PLAN_PIXELS = 1 << 20;

/**
 * Reads output rows y … y + rows − 1 of the reprojected raster, planned and warped in strips as wide
 * as the output (gdalwarp approximates whole destination rows, so nearest picks the same pixels) and
 * as tall as PLAN_PIXELS allows. Pixels without a source hold `fill` and mask 0.
 */
export function warpedRowReader(
  header: CogHeader, source: Source, r: Reprojection, rowsPerRead: number, bands: number[], fill: number,
): (y: number) => Promise<WarpedRows> {
  const { width, height, geotransform: g } = r.grid;
  const full = header.levels[0].image;
  const srcGt = header.geotransform!;
  const strip = Math.max(1, Math.min(rowsPerRead, Math.floor(PLAN_PIXELS / width)));
  // ~4 block rows of the source: a strip spans 1–3 of them, and the next strip shares some
  const blockRowBytes = Math.ceil(full.width / full.blockWidth) * full.blockWidth * full.blockHeight * full.samplesPerPixel * (full.bitsPerSample / 8);
  const cache = new BlockCache(Math.min(256 * 2 ** 20, Math.max(16 * 2 ** 20, 4 * blockRowBytes))).loader();
  return async (y) => {
    const rows = Math.min(rowsPerRead, height - y);
    const out = bands.map(() => typedArrayFor(header.dtype, width * rows));
    if (fill !== 0) for (const b of out) b.fill(fill);
    const mask = new Uint8Array(width * rows);
    for (let at = 0; at < rows; at += strip) {
      const h = Math.min(strip, rows - at);
      const dst: GeoTransform = [g[0], g[1], 0, g[3] + (y + at) * g[5], 0, g[5]];
      const plan = planWarp(pixelTransform(dst, srcGt, r.toSource), width, h, 0, full.width, full.height, r.resampling, r.maxError);
      if (!plan) continue;
      const win = await readWindow(header, source, plan.window, { bands, cache });
      const warped = warpWindow(plan, { bands: win.bands, mask: win.mask, width: win.width, height: win.height });
      const wm = warped.mask, o = at * width;
      for (let i = 0; i < wm.length; i++) {
        if (wm[i] === 0) continue;
        mask[o + i] = 255;
        for (let b = 0; b < out.length; b++) out[b][o + i] = warped.bands[b][i];
      }
    }
    return { height: rows, bands: out, mask };
  };
}
