/**
 * Environment every deployment file sets for the functions (and `serve` for its workers): glibc
 * keeps freed tile buffers (30–500 KB, freed in batches by the GC) in fragmented arenas unless large
 * blocks are mmapped and arenas few. Measured on the 128 MB check: peak RSS 124–127 MB without,
 * 107 MB with (and the young generation at 1 MB, see NODE_OPTIONS and lambda-wrapper.sh).
 */
export const MALLOC_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '16384' } as const;
