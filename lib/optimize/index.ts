export { optimize, type OptimizeOptions, type OptimizeResult } from './optimize.ts';
export { EncodePool } from './pool.ts';
export type { Codec } from './encode.ts';
export type { Resampling } from './resample.ts';
export { resolveTarget, type ReprojectOptions, type WarpResampling } from './reproject.ts';
