/**
 * Cache sizes from the memory the function was given. The API's defaults (16 MiB of rendered tiles,
 * 24 MiB of decoded blocks) suit `serve` and functions of 256 MB and up; in a 128 MB function they
 * would not fit beside Node itself (~40 MB), the bundle (~20 MB), a SQLite catalog's WASM (~20 MB)
 * and four requests in flight. Measured: the tiles handler at 128 MB peaks at ~100 MB with these
 * budgets and at ~150 MB with the defaults (`npm run bench`, "128 MB function").
 */

/** Memory the platform gave this instance, in MB, from the invocation context or the environment. */
export function memoryLimitMb(context: unknown, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const c = (context ?? {}) as { memoryLimitInMB?: unknown; memory_limit_in_mb?: unknown; function?: { memory?: unknown; memorySize?: unknown } };
  // Lambda: context.memoryLimitInMB; SCF: context.memory_limit_in_mb; FC: context.function.memory(Size).
  for (const v of [c.memoryLimitInMB, c.memory_limit_in_mb, c.function?.memory, c.function?.memorySize, env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE]) {
    const n = Number(v);
    if (v !== undefined && v !== null && v !== '' && Number.isFinite(n) && n >= 64) return n;
  }
  return undefined;
}

/**
 * Tile and block cache bytes for an instance of `memoryMb`: 30% of what is left above a 100 MB
 * floor, three fifths for tiles and the rest for blocks, never above the API's defaults. Tiles get the
 * larger share: a hit there skips the render altogether. Measured at 128 MB over the bench's 146
 * cycled tiles (4.4 MB of PNG): with 3.4 MB of tiles the cycle never hit (2,231 requests in 15 s),
 * with 5 MB it does (57,000). Undefined memory (not a known platform) keeps the defaults.
 */
export function cacheBudget(memoryMb: number | undefined): { tileCacheBytes?: number; blockCacheBytes?: number } {
  if (memoryMb === undefined) return {};
  const total = Math.max(2, Math.min(40, (memoryMb - 100) * 0.3)) * 2 ** 20;
  const tiles = Math.min(16 * 2 ** 20, total * 0.6);
  return { tileCacheBytes: Math.round(tiles), blockCacheBytes: Math.round(Math.min(24 * 2 ** 20, total - tiles)) };
}

/**
 * Environment every deployment file sets for the functions (and `serve` for its workers): glibc
 * keeps freed tile buffers (30–500 KB, freed in batches by the GC) in fragmented arenas unless large
 * blocks are mmapped and arenas few. Measured on the 128 MB check: peak RSS 124–127 MB without,
 * 107 MB with (and the young generation at 1 MB, see NODE_OPTIONS and lambda-wrapper.sh).
 */
export const MALLOC_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '16384' } as const;
