import type { Source } from '../source/index.ts';
import type { CogHeader } from '../tiff/index.ts';
import { planCost, type ReadBudget } from './budget.ts';
import { planWindow } from './window-plan.ts';
import { readPlan } from './window.ts';

/** What a stretch needs from a dataset: Terracotta's metadata fields. */
export interface BandStats {
  min: number;
  max: number;
  mean: number;
  stdev: number;
  /** p1 … p99: percentiles[i] is the (i + 1)th percentile, as Terracotta stores them. */
  percentiles: number[];
  /** Share of valid pixels, 0–100. */
  validPercent: number;
  /** Which level the statistics came from (0 = exact, full resolution). */
  level: number;
}

/**
 * The level statistics are computed from: the smallest overview still at least `minSize` px on its
 * longer side (the full resolution when `exact`). About 1024 px keeps the percentiles within a DN
 * or two of the exact ones on imagery, for a few MB read instead of the whole file.
 */
export function statsLevel(header: CogHeader, minSize = 1024, exact = false): number {
  if (exact) return 0;
  let level = 0;
  header.levels.forEach((l, i) => {
    if (Math.max(l.image.width, l.image.height) >= minSize) level = i;
  });
  return level;
}

/**
 * Statistics of one band over a whole level, reading it in strips of blocks to bound memory. With a
 * budget, the whole pass is charged before anything is allocated or fetched: the valid values are
 * kept (8 bytes a pixel) for the percentiles, so a level too large for the caps is refused up front.
 */
export async function computeStats(
  header: CogHeader, source: Source,
  options: {
    band?: number; minSize?: number; exact?: boolean; signal?: AbortSignal; etag?: string; budget?: ReadBudget;
    /** Sees each strip's validity mask, so callers (the footprint) share this one pass over the pixels. */
    onMask?: (mask: Uint8Array, width: number, y0: number) => void;
  } = {},
): Promise<BandStats> {
  const level = statsLevel(header, options.minSize, options.exact);
  const im = header.levels[level].image;
  const rowsPerRead = Math.max(im.blockHeight, Math.floor((16 * 1024 * 1024) / im.width / 8 / im.blockHeight) * im.blockHeight);
  const strips = [];
  for (let y = 0; y < im.height; y += rowsPerRead) {
    strips.push(planWindow(header, level, { x: 0, y, width: im.width, height: Math.min(rowsPerRead, im.height - y) }, [options.band ?? 0]));
  }
  for (const plan of strips) options.budget?.charge(planCost(header, plan));
  const values = new Float64Array(im.width * im.height);
  let n = 0;
  for (const plan of strips) {
    const win = await readPlan(header, source, plan, { signal: options.signal, etag: options.etag });
    options.onMask?.(win.mask, im.width, plan.window.y);
    const band = win.bands[0];
    for (let i = 0; i < band.length; i++) {
      const v = band[i];
      if (win.mask[i] !== 0 && Number.isFinite(v)) values[n++] = v;
    }
  }
  return summarise(values.subarray(0, n), im.width * im.height, level);
}

/** min, max, mean, stdev and numpy-style (linear) percentiles of the valid values. */
export function summarise(valid: Float64Array, total: number, level = 0): BandStats {
  const n = valid.length;
  if (n === 0) return { min: NaN, max: NaN, mean: NaN, stdev: NaN, percentiles: new Array(99).fill(NaN), validPercent: 0, level };
  valid.sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += valid[i];
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (valid[i] - mean) ** 2;
  const percentiles = Array.from({ length: 99 }, (_, k) => {
    // numpy.percentile's default ('linear'): rank (n - 1) * q between the two nearest order statistics
    const rank = ((k + 1) / 100) * (n - 1);
    const lo = Math.floor(rank);
    const hi = Math.min(n - 1, lo + 1);
    return valid[lo] + (valid[hi] - valid[lo]) * (rank - lo);
  });
  return {
    min: valid[0], max: valid[n - 1], mean, stdev: Math.sqrt(sq / n), percentiles,
    validPercent: (100 * n) / total, level,
  };
}
