/**
 * Per-request caps on what reading costs: the compressed bytes of the internal blocks a request
 * needs from the object store, and the pixels it decodes. A tile of a COG with overviews needs a
 * few blocks per dataset whatever the zoom; what blows up is a dataset without overviews at low
 * zoom, huge blocks or strips, or band math over many such datasets. Those are refused with a
 * clear error before their blocks are fetched, instead of filling a function's memory.
 *
 * Costs come from the window plan (pure geometry over the header) and count every block needed,
 * cached or not, so whether a request is refused never depends on what happens to be cached.
 */
import { TaoguanError } from '../errors.ts';
import type { CogHeader } from '../tiff/header.ts';
import type { WindowPlan } from './plan.ts';

export interface ReadLimits {
  /** Compressed bytes of all the internal blocks one request needs. */
  maxSourceBytes: number;
  /** Pixels of all the blocks one request decodes (each band's block counts in a band-interleaved file). */
  maxDecodedPixels: number;
}

/**
 * Sized so legitimate tiles never come near. A 1024 px tile (512 px @2x) of a Sentinel-2-sized band
 * (10980², 512² blocks, overviews, an internal mask) needs at most 16 data + 16 mask blocks at any
 * zoom: 8.4 M pixels, and 12 MiB even if no block compressed (test/faults-origin.test.ts; the real
 * bench COG: 16 blocks, 5.5 MB). Band math over 9 such datasets (the most a request can name) is
 * 75 M pixels and 108 MiB; the defaults leave over 2× for grids that read wider windows (EPSG:4326
 * data far from the equator). Lower them for small functions.
 */
export const DEFAULT_READ_LIMITS: ReadLimits = { maxSourceBytes: 256 * 1024 * 1024, maxDecodedPixels: 256 * 1024 * 1024 };

/** The limits as given, or a TypeError naming the bad one (a server configured wrong fails at start). */
export function checkReadLimits(limits: ReadLimits): ReadLimits {
  for (const [name, value] of Object.entries(limits)) {
    if (!(typeof value === 'number' && value > 0 && value <= Number.MAX_SAFE_INTEGER)) throw new TypeError(`${name}: expected a positive number, got ${String(value)}`);
  }
  return limits;
}

/** A request would read or decode more than its cap. */
export class ReadLimitError extends TaoguanError {
  constructor(readonly limit: keyof ReadLimits, readonly needed: number, readonly cap: number) {
    const what = limit === 'maxSourceBytes' ? `read ${bytes(needed)} from the object store` : `decode ${pixels(needed)} pixels`;
    const cost = limit === 'maxSourceBytes' ? bytes(cap) : `${pixels(cap)} pixels`;
    super('limit', `this request would ${what}, above this server's cap of ${cost} per request (${limit}); the dataset may lack overviews for this zoom`);
    this.name = 'ReadLimitError';
  }
}

/** What one window plan costs; sparse blocks (no bytes) cost nothing. */
export function planCost(header: CogHeader, plan: WindowPlan): { bytes: number; pixels: number } {
  const lv = header.levels[plan.level];
  let total = 0, area = 0;
  for (const b of plan.blocks) {
    if (b.byteCount <= 0 || b.offset <= 0) continue;
    const im = b.image === 'mask' ? lv.mask! : lv.image;
    total += b.byteCount;
    area += im.blockWidth * im.blockHeight;
  }
  return { bytes: total, pixels: area };
}

/** One request's running totals across all its datasets (an RGB or band-math tile reads several). */
export class ReadBudget {
  sourceBytes = 0;
  decodedPixels = 0;

  constructor(readonly limits: ReadLimits = DEFAULT_READ_LIMITS) {}

  /** Account for a plan before reading it; throws ReadLimitError (and counts nothing) past a cap. */
  charge(header: CogHeader, plan: WindowPlan): void {
    const { bytes: b, pixels: p } = planCost(header, plan);
    if (this.sourceBytes + b > this.limits.maxSourceBytes) throw new ReadLimitError('maxSourceBytes', this.sourceBytes + b, this.limits.maxSourceBytes);
    if (this.decodedPixels + p > this.limits.maxDecodedPixels) throw new ReadLimitError('maxDecodedPixels', this.decodedPixels + p, this.limits.maxDecodedPixels);
    this.sourceBytes += b;
    this.decodedPixels += p;
  }
}

function bytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

function pixels(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : String(n);
}
