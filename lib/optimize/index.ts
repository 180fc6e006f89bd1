export { optimize, type OptimizeOptions, type OptimizeResult } from './optimize.ts';
export { EncodePool } from './pool.ts';
export { COMPRESSION_TAG, DEFAULT_ZLEVEL, type Codec } from './encode.ts';
export type { Resampling } from './overview-resample.ts';
export { resolveTarget, type ReprojectOptions, type WarpResampling } from './reproject.ts';
export { RESAMPLINGS as WARP_RESAMPLINGS } from '../warp/index.ts';
export { ZSTD_LEVELS, ZSTD_PACKAGE } from './zstd.ts';
