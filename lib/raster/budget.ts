/**
 * Per-request caps on what reading costs: the compressed bytes of the internal blocks a request
 * needs from the object store, the pixels it decodes, and (where memory is known, as in a function)
 * the bytes those decoded samples take. A tile of a COG with overviews needs a
 * few blocks per dataset whatever the zoom; what blows up is a dataset without overviews at low
 * zoom, huge blocks or strips, or band math over many such datasets. Those are refused with a
 * clear error before their blocks are fetched, instead of filling a function's memory.
 *
 * Costs come from the window plan (pure geometry over the header) and count every block needed,
 * cached or not, so whether a request is refused never depends on what happens to be cached.
 */
import { TaoguanError } from '../errors/index.ts';
import type { CogHeader } from '../tiff/index.ts';
import type { WindowPlan } from './window-plan.ts';

export interface ReadLimits {
  /** Compressed bytes of all the internal blocks one request needs. */
  maxSourceBytes: number;
  /** Pixels of all the blocks one request decodes (each band's block counts in a band-interleaved file). */
  maxDecodedPixels: number;
  /**
   * Bytes of the samples those blocks decode to (a mask pixel is one byte). Memory follows these, not
   * pixels: a pixel of a 4-band float64 block is 32 bytes, of a mask 1. Unset: no cap (serve sizes
   * its workers by hand); the functions derive it from their memory (functions/memory.ts).
   */
  maxDecodedBytes?: number;
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
    if (value === undefined && name === 'maxDecodedBytes') continue;
    if (!(typeof value === 'number' && value > 0 && value <= Number.MAX_SAFE_INTEGER)) throw new TypeError(`${name}: expected a positive number, got ${String(value)}`);
  }
  return limits;
}

/** A request would read or decode more than its cap. */
export class ReadLimitError extends TaoguanError {
  constructor(readonly limit: keyof ReadLimits, readonly needed: number, readonly cap: number) {
    super('limit', `this request would ${costOf(limit, needed)}, above this server's cap of ${capOf(limit, cap)} per request (${limit}); the dataset may lack overviews for this zoom`);
    this.name = 'ReadLimitError';
  }
}

/** What one window plan costs; sparse blocks (no bytes) cost nothing. */
/** What reading a window plan costs: compressed bytes fetched, block pixels decoded, bytes they decode to. */
export interface ReadCost {
  bytes: number;
  pixels: number;
  decoded: number;
}

export function planCost(header: CogHeader, plan: WindowPlan): ReadCost {
  const lv = header.levels[plan.level];
  let total = 0, area = 0, decoded = 0;
  for (const b of plan.blocks) {
    if (b.byteCount <= 0 || b.offset <= 0) continue;
    const im = b.image === 'mask' ? lv.mask! : lv.image;
    const blockArea = im.blockWidth * im.blockHeight;
    total += b.byteCount;
    area += blockArea;
    // 1-bit masks decode to a byte per pixel; a pixel-interleaved block holds every sample
    decoded += blockArea * (b.image === 'mask' ? 1 : Math.max(1, im.bitsPerSample / 8) * (im.planarConfiguration === 1 ? im.samplesPerPixel : 1));
  }
  return { bytes: total, pixels: area, decoded };
}

/** One request's running totals across all its datasets (an RGB or band-math tile reads several). */
export class ReadBudget {
  sourceBytes = 0;
  decodedPixels = 0;
  decodedBytes = 0;

  constructor(readonly limits: ReadLimits = DEFAULT_READ_LIMITS) {}

  /** Account for a plan's cost (planCost) before reading it; throws ReadLimitError (and counts nothing) past a cap. */
  charge(cost: ReadCost): void {
    const { bytes: b, pixels: p, decoded: d } = cost;
    const { maxSourceBytes, maxDecodedPixels, maxDecodedBytes } = this.limits;
    if (this.sourceBytes + b > maxSourceBytes) throw new ReadLimitError('maxSourceBytes', this.sourceBytes + b, maxSourceBytes);
    if (this.decodedPixels + p > maxDecodedPixels) throw new ReadLimitError('maxDecodedPixels', this.decodedPixels + p, maxDecodedPixels);
    if (maxDecodedBytes !== undefined && this.decodedBytes + d > maxDecodedBytes) throw new ReadLimitError('maxDecodedBytes', this.decodedBytes + d, maxDecodedBytes);
    this.sourceBytes += b;
    this.decodedPixels += p;
    this.decodedBytes += d;
  }
}

/** What reading `n` of a limit's unit does, in words: "decode 67.1 M pixels". */
export function costOf(limit: keyof ReadLimits, n: number): string {
  if (limit === 'maxSourceBytes') return `read ${bytes(n)} from the object store`;
  return limit === 'maxDecodedPixels' ? `decode ${pixels(n)} pixels` : `decode ${bytes(n)} of samples`;
}

/** A cap in its unit: "16.0 MiB", "1.0 M pixels". */
export const capOf = (limit: keyof ReadLimits, n: number): string => (limit === 'maxDecodedPixels' ? `${pixels(n)} pixels` : bytes(n));

function bytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

function pixels(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : String(n);
}
