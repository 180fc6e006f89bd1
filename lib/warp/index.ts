/**
 * lib/warp — where every output pixel samples a source raster, as gdalwarp decides it, and the
 * kernels that resample. Planning is pure geometry over a header (no I/O, no pixels).
 */
export { DEFAULT_MAX_ERROR } from './approx.ts';
export { releaseWarpPlan } from './coords.ts';
export { KERNELS, RESAMPLINGS, kernelOf, warpWindow, type Kernel, type Resampling, type SourceWindow, type WarpedTile } from './kernels/index.ts';
export { invert, pixelTransform, planWarp, sourceCoordinates, type WarpChunk, type WarpPlan } from './plan.ts';
export { gridProjection, type GridProjection, type PointTransform } from './project.ts';
export { planTileWarp, type TileWarpOptions, type TileWarpPlan } from './tile.ts';
