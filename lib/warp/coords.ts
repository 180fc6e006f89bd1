/**
 * The per-pixel source coordinates of warp plans (WarpPlan.srcX / srcY: 2 × 512 KiB for a 256²
 * tile) come from a small free list: a tile's plan hands them back once its warp is done
 * (releaseWarpPlan), and the next plan reuses them. Allocated fresh per tile they were most of the
 * large buffers a fresh tile allocates, and each one, promoted while the tile's reads are in flight,
 * waits for a full mark-compact to be freed. A plan never released (optimize, mosaics) just leaves
 * its arrays to the collector. Kept apart from lib/raster's array pool: sharing it (24 arrays,
 * 12 MiB) measured 9.3-9.9 against 8.8-9.2 ms CPU per fresh tile (within noise, perhaps not).
 */
import type { WarpPlan } from './plan.ts';

/** Enough for the coordinates of 4 tiles in flight (2 arrays each), a few MiB at most. */
const KEEP = 8;
const MAX_KEPT_LENGTH = 1024 * 1024;
const free: Float64Array[] = [];

/** An array of n doubles with arbitrary contents (planWarp writes every element). */
export function takeCoords(n: number): Float64Array {
  for (let i = free.length - 1; i >= 0; i--) {
    if (free[i].length === n) {
      const a = free[i];
      free[i] = free[free.length - 1];
      free.pop();
      return a;
    }
  }
  return new Float64Array(n);
}

/**
 * Hands a plan's coordinate arrays back for reuse. The caller promises that nothing reads the
 * plan's srcX/srcY/srcX2/srcY2 afterwards: their contents will be another plan's.
 */
export function releaseWarpPlan(plan: WarpPlan): void {
  for (const a of [plan.srcX, plan.srcY, plan.srcX2, plan.srcY2]) {
    if (!a || a.length > MAX_KEPT_LENGTH || free.includes(a)) continue;
    if (free.length >= KEEP) free.shift();
    free.push(a);
  }
}
