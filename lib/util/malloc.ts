/**
 * Environment every deployment file sets for the functions (and `serve` for its workers): glibc
 * keeps freed tile buffers (30–500 KB, freed in batches by the GC) in fragmented arenas unless large
 * blocks are mmapped and arenas few. Measured on the 128 MB check: peak RSS 124–127 MB without,
 * 107 MB with (and the young generation at 1 MB, see NODE_OPTIONS and lambda-wrapper.sh).
 */
export const MALLOC_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '16384' } as const;

/**
 * `taoguan serve`'s (bin/taoguan.mjs sets the same for the primary): one machine, not a 128 MB
 * function, so the mmap threshold is 4 MiB. At 16 KB every decoded block, window and coordinate
 * array of a tile is an mmap, page faults and a munmap: on the fresh-tile bench (distinct tiles,
 * tile cache off) 14.0 ms of server CPU per tile, 2.3 of it in the kernel, against 10.9 ms (0.45)
 * at 4 MiB; peak RSS per worker 114 against 111 MiB there, 100 against 105 MiB on the cycled serve bench.
 */
export const SERVE_MALLOC_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '4194304' } as const;
