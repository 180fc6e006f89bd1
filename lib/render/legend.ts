import { colormapPalette, greyscalePalette } from './colormaps.ts';
import { RenderInputError } from './errors.ts';
import { stretchValue } from './stretch.ts';

export interface LegendEntry {
  value: number;
  rgba: [number, number, number, number];
}

export interface LegendRequest {
  stretchRange: readonly [number, number];
  /** A colormap name; none for Terracotta's greyscale ramp. */
  colormap?: string | null;
  /** How many evenly spaced values, ends included; Terracotta's default is 255. */
  numValues?: number;
}

/** Bounds a hostile num_values; 1024 is already four times the number of distinct colours. */
export const MAX_LEGEND_VALUES = 1024;

/**
 * What Terracotta's GET /colormap returns (handlers/colormap.py): numValues values spaced as
 * np.linspace(lo, hi, n) spaces them, each with the colour a pixel of that value gets in a tile,
 * i.e. the LUT entry to_uint8(value) - 1. The API wraps the list as {"colormap": [...]}.
 */
export function colormapLegend(request: LegendRequest): LegendEntry[] {
  const [lo, hi] = request.stretchRange;
  const n = request.numValues ?? 255;
  if (!Number.isInteger(n) || n < 1 || n > MAX_LEGEND_VALUES) {
    throw new RenderInputError('num_values', `must be an integer from 1 to ${MAX_LEGEND_VALUES}, got ${n}`);
  }
  const palette = request.colormap ? colormapPalette(request.colormap) : greyscalePalette();
  return linspace(lo, hi, n).map((value) => {
    const k = stretchValue(value, lo, hi) * 4;
    return { value, rgba: [palette[k], palette[k + 1], palette[k + 2], palette[k + 3]] };
  });
}

/** numpy.linspace's arithmetic, so legend values print exactly as Terracotta's do. */
function linspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const div = num - 1;
  const delta = stop - start;
  const step = delta / div;
  const out = Array.from({ length: num }, (_, i) => (step === 0 ? (i / div) * delta : i * step) + start);
  out[num - 1] = stop;
  return out;
}
