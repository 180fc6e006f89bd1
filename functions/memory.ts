/**
 * Cache sizes and per-request caps from the memory the function was given. The API's defaults (16 MiB of rendered tiles,
 * 24 MiB of decoded blocks) suit `serve` and functions of 256 MB and up; in a 128 MB function they
 * would not fit beside Node itself (~40 MB), the bundle (~20 MB), a SQLite catalog's WASM (~20 MB)
 * and four requests in flight. Measured: the tiles handler at 128 MB peaks at ~100 MB with these
 * budgets and at ~150 MB with the defaults (`npm run bench`, "128 MB function").
 */
import { PROVIDERS } from '../adapters/index.ts';

/** Memory the platform gave this instance, in MB, read as each provider puts it in the context or environment. */
export function memoryLimitMb(context: unknown, env: NodeJS.ProcessEnv = process.env): number | undefined {
  for (const provider of Object.values(PROVIDERS)) {
    const mb = provider.memoryMb(context ?? {}, env);
    if (mb !== undefined) return mb;
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
 * What an instance holds before any request: Node, the bundle, the catalog client (a SQLite
 * catalog's WASM is the largest). Measured on the AWS bundles with MALLOC_ENV: tiles 79 MiB after
 * its first answers (88 at the peak of its cold start), ingest 77 MiB.
 */
export const BASE_MB = 85;

/**
 * The least a request must be left. With the caches a deployment asks for, less than this means the
 * function is too small for them: a configuration error at cold start, not slow 422s.
 */
export const MIN_REQUEST_MB = 16;

const MiB = 2 ** 20;

/** Memory left for requests once Node, the bundle and the caches have theirs; undefined when memory is unknown. */
export function requestMemory(memoryMb: number | undefined, cacheBytes = 0): number | undefined {
  return memoryMb === undefined ? undefined : memoryMb * MiB - BASE_MB * MiB - cacheBytes;
}

/**
 * Per-request caps for a tiles instance with `freeBytes` left for requests. A tile holds the blocks
 * it fetched and, at the peak, about 2.2× the bytes its blocks decode to (the decoded block, the
 * window it is copied into, the warped tile): measured 558 MiB over the base for one 8192² uint32
 * block (256 MiB), 127 for a 4096² one. So a quarter of the free memory for fetched bytes and 0.3 of
 * it for decoded samples (× 2.5) keep one request at its caps within the memory. Pixels are left at
 * the API's default: they say nothing about memory (4.5 bytes a pixel at the peak for uint16, 15.6
 * for float64), which maxDecodedBytes does.
 */
export function tileCaps(freeBytes: number | undefined): { maxSourceBytes?: number; maxDecodedBytes?: number } {
  if (freeBytes === undefined) return {};
  return { maxSourceBytes: Math.floor(freeBytes / 4), maxDecodedBytes: Math.floor(freeBytes * 0.3) };
}

/**
 * Caps for ingesting one object in an instance with `freeBytes` left. Its statistics keep every
 * pixel of the level they read as a float64 (8 bytes): half the memory bounds those (pixels ≤ 1/16),
 * the other half the blocks of a strip as for a tile (an eighth for fetched bytes, 0.15 for decoded
 * samples × 2.5). Measured: 1,221 MiB to ingest the 8192² uint32 one-block COG (67 M pixels, 256 MiB
 * decoded in one strip); these caps refuse it below 1.8 GB, so they err on the safe side.
 */
export function ingestCaps(freeBytes: number | undefined): { maxSourceBytes?: number; maxDecodedBytes?: number; maxDecodedPixels?: number } {
  if (freeBytes === undefined) return {};
  return { maxSourceBytes: Math.floor(freeBytes / 8), maxDecodedBytes: Math.floor(freeBytes * 0.15), maxDecodedPixels: Math.floor(freeBytes / 16) };
}
