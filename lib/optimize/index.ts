export { optimize, type OptimizeOptions, type OptimizeResult } from './optimize.ts';
export { EncodePool } from './pool.ts';
export { COMPRESSION_TAG, DEFAULT_ZLEVEL, type Codec } from './encode.ts';
export type { Resampling } from './overview-resample.ts';
export type { ReprojectOptions, WarpResampling } from './reproject.ts';
export { resolveTarget, warpResamplings } from './reproject-entry.ts';
export { ZSTD_LEVELS, ZSTD_PACKAGE } from './zstd.ts';
