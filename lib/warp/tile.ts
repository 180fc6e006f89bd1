/**
 * The warp plan of one tile of a tile matrix set over one raster: the overview level gdalwarp would
 * read (overview.ts), the rows the raster's footprint can reach (footprint.ts), and the pixel
 * transform from tile pixels to that level's pixels, handed to planWarp. Pure: header in, plan out.
 */
import { proj4ForCrs } from '../crs/index.ts';
import { InputError } from '../errors/index.ts';
import { tileTransform, validateTile, validateTileSize, type TileMatrixSet, type TmsId } from '../grids/index.ts';
import type { CogHeader } from '../tiff/index.ts';
import { DEFAULT_MAX_ERROR } from './approx.ts';
import { footprintRows } from './footprint.ts';
import { kernelOf, type Resampling } from './kernels/index.ts';
import { chooseLevel, targetRatio } from './overview.ts';
import { pixelTransform, planWarp, type WarpPlan } from './plan.ts';
import { gridProjection } from './project.ts';

export interface TileWarpOptions {
  /** Output tile width and height in pixels, 1–2048 (default 256). */
  tileSize?: number;
  /** A kernel of kernels/ (default nearest). */
  resampling?: Resampling;
  /** Approximate transformer tolerance in source pixels (gdalwarp's -et, default 0.125; 0 = exact). */
  maxError?: number;
  /**
   * Pixels of the tile's own grid added on every side (default 0), for kernels such as hillshade:
   * the plan is then (tileSize + 2·buffer) square, its overview level still chosen for the tile.
   */
  buffer?: number;
}

export interface TileWarpPlan extends WarpPlan {
  /** width = height = tileSize */
  tileSize: number;
  tms: TmsId;
  z: number;
  x: number;
  y: number;
}

/** The warp plan for tile z/x/y of a raster, or null when no output pixel has data (a transparent tile). */
export function planTileWarp(header: CogHeader, tms: TileMatrixSet, z: number, x: number, y: number, options: TileWarpOptions = {}): TileWarpPlan | null {
  const { tileSize: n = 256, resampling = 'nearest', maxError = DEFAULT_MAX_ERROR, buffer: b = 0 } = options;
  validateTile(tms, z, x, y);
  validateTileSize(n);
  kernelOf(resampling);
  const gt = header.geotransform;
  if (!gt) throw new InputError('the raster has no geotransform: it cannot be placed on a map');
  const projection = gridProjection(tms, proj4ForCrs(header.crs));
  const tile = tileTransform(tms, z, x, y, n);
  const dst: typeof tile = b === 0 ? tile : [tile[0] - b * tile[1], tile[1], 0, tile[3] - b * tile[5], 0, tile[5]];
  const size = n + 2 * b;
  const rows = footprintRows(header, tms, projection, dst, size);
  if (!rows) return null;

  const full = header.levels[0].image;
  const fullRes = pixelTransform(dst, gt, projection.toSource);
  // the tile's own level, so a buffered tile reads the pixels its neighbours show
  const level = chooseLevel(header.levels.map((l) => l.image.width), targetRatio(b === 0 ? fullRes : pixelTransform(tile, gt, projection.toSource), n, n));
  const { width, height } = header.levels[level].image;
  // an overview's geotransform as GDALOverviewDataset derives it: scaled by the size ratio per axis
  const rx = full.width / width, ry = full.height / height;
  const exact = level === 0 ? fullRes : pixelTransform(dst, [gt[0], gt[1] * rx, gt[2] * ry, gt[3], gt[4] * rx, gt[5] * ry], projection.toSource);
  const plan = planWarp(exact, size, size, level, width, height, resampling, maxError, rows);
  return plan && { tms: tms.id, z, x, y, tileSize: size, ...plan };
}
