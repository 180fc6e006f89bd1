export { optimize, type OptimizeOptions, type OptimizeResult } from './optimize.ts';
export { EncodePool } from './pool.ts';
export { COMPRESSION_TAG, type Codec } from './encode.ts';
export type { Resampling } from './resample.ts';
export { resolveTarget, type ReprojectOptions, type WarpResampling } from './reproject.ts';
export { RESAMPLINGS as WARP_RESAMPLINGS } from '../tiles/warp.ts';
export { ZSTD_LEVELS } from './zstd.ts';
