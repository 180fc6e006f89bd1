export * from './tms.ts';
export { wgs84ToGcj02, gcj02ToWgs84, outOfChina } from './gcj02.ts';
export { proj4ForEpsg, proj4ForCrs, toWgs84, UnknownCrsError, WGS84 } from './crs.ts';
export { gridProjection, type GridProjection, type PointTransform } from './project.ts';
export { planTile, warpWindow, RESAMPLINGS, type Resampling, type PlanOptions, type TilePlan, type WarpChunk, type SourceWindow, type WarpedTile } from './warp.ts';
