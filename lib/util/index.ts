/** lib/util — small pieces every layer may use: a byte-bounded LRU, the runtime-package record, process memory settings, kept zlib handles, a pool of read buffers. */
export { ByteLru } from './lru.ts';
export type { RuntimePackage } from './runtime-package.ts';
export { MALLOC_ENV, SERVE_MALLOC_ENV } from './malloc.ts';
export { editDistance, nearest } from './edit-distance.ts';
export { deflateInto, keptZlib, type KeptZlib } from './zlib-handle.ts';
export { releaseBytes, takeBytes } from './byte-pool.ts';
