/**
 * The per-pixel source coordinates of warp plans (WarpPlan.srcX / srcY: 2 × 512 KiB for a 256²
 * tile) come from lib/raster's array pool: a tile's plan hands them back once its warp is done
 * (releaseWarpPlan), and the next plan reuses them. Allocated fresh per tile they were most of the
 * large buffers a fresh tile allocates, and each one, promoted while the tile's reads are in flight,
 * waits for a full mark-compact to be freed. A plan never released (optimize, mosaics) just leaves
 * its arrays to the collector.
 */
import { giveBack, takeArray } from '../raster/index.ts';
import type { WarpPlan } from './plan.ts';

/** An array of n doubles with arbitrary contents (planWarp writes every element). */
export const takeCoords = (n: number): Float64Array => takeArray(Float64Array, n, null);

/**
 * Hands a plan's coordinate arrays back for reuse. The caller promises that nothing reads the
 * plan's srcX/srcY/srcX2/srcY2 afterwards: their contents will be another plan's.
 */
export function releaseWarpPlan(plan: WarpPlan): void {
  giveBack([plan.srcX, plan.srcY, plan.srcX2, plan.srcY2]);
}
