/**
 * What every warp kernel shares: the pixels it reads and writes, its entry in the registry, and how
 * GDAL stores a resampled value in an integer sample type.
 */
import type { TypedArray } from '../../raster/index.ts';
import type { WarpChunk, WarpPlan } from '../plan.ts';

/** The pixels readWindow returned for plan.window at plan.level (its RasterWindow fits). */
export interface SourceWindow {
  bands: TypedArray[];
  /** 255 valid, 0 not. */
  mask: Uint8Array;
  width: number;
  height: number;
}

/** width × height pixels per band (the plan's), in the source's sample type; mask 255 where there is data, 0 not. */
export interface WarpedTile {
  width: number;
  height: number;
  bands: TypedArray[];
  mask: Uint8Array;
}

/** One resampling kernel: what planning must know of it, and the loop that runs one chunk of a plan. */
export interface Kernel {
  /** Source pixels it reads beyond the one under a pixel centre (GDAL's nXRadius: 0 nearest, 1 bilinear). */
  radius: number;
  /** Whether it reads each output pixel's footprint (both corners, as GWKAverageOrMode) rather than its centre. */
  footprint: boolean;
  warp(plan: WarpPlan, chunk: WarpChunk, src: SourceWindow, out: WarpedTile): void;
}

/** Writes a value into `dst` the way GDAL's GWKSetPixelValue stores it in the sample type. */
export function storer(dst: TypedArray): (i: number, v: number) => void {
  if (dst instanceof Float32Array || dst instanceof Float64Array) return (i, v) => { dst[i] = v; };
  const [lo, hi] = RANGES.get(dst.constructor) ?? [-Infinity, Infinity];
  return (i, v) => { dst[i] = v < lo ? lo : v > hi ? hi : Math.floor(v + 0.5); };
}

export const RANGES = new Map<unknown, [number, number]>([
  [Uint8Array, [0, 255]], [Int8Array, [-128, 127]], [Uint16Array, [0, 65535]], [Int16Array, [-32768, 32767]],
  [Uint32Array, [0, 4294967295]], [Int32Array, [-2147483648, 2147483647]],
]);
