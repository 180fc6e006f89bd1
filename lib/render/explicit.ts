import { RenderInputError } from './errors.ts';
import type { Band } from './stretch.ts';

/**
 * Explicit (categorical) colormaps: Terracotta's `colormap=explicit&explicit_color_map={…}`.
 * Each listed value gets its own palette index, 1.. in the order given (as terracotta.image.label
 * numbers them); pixels whose value is not listed, and invalid pixels, get index 0 — transparent.
 */

/** A colour as Terracotta takes it: [r, g, b] or [r, g, b, a] in 0..255, or '#rrggbb' (also '#rrggbbaa'). */
export type ColorSpec = readonly number[] | string;

/** The parsed JSON object (keys are the values, as strings) or a Map from value to colour. */
export type ExplicitColormapInput = ReadonlyMap<number, ColorSpec> | Readonly<Record<string, ColorSpec>>;

export interface ExplicitColormap {
  /** The category values, in palette order: values[k] is palette index k + 1. */
  readonly values: Float64Array;
  /** 256×RGBA; index 0 transparent, unused indices transparent too. */
  readonly palette: Uint8Array;
}

const PARAM = 'explicit_color_map';

export function isExplicitColormap(x: unknown): x is ExplicitColormap {
  return typeof x === 'object' && x !== null && (x as ExplicitColormap).values instanceof Float64Array &&
    (x as ExplicitColormap).palette instanceof Uint8Array;
}

export function parseExplicitColormap(input: ExplicitColormapInput): ExplicitColormap {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new RenderInputError(PARAM, 'must be an object mapping values to colours, e.g. {"1": [255, 0, 0], "2": "#00ff00"}');
  }
  const entries: [unknown, unknown][] = input instanceof Map ? [...input.entries()] : Object.entries(input);
  if (entries.length === 0) throw new RenderInputError(PARAM, 'must list at least one value');
  if (entries.length > 255) throw new RenderInputError(PARAM, `has ${entries.length} values; at most 255 fit in a palette PNG`);
  const values = new Float64Array(entries.length);
  const palette = new Uint8Array(256 * 4);
  entries.forEach(([key, color], k) => {
    const value = typeof key === 'number' ? key : typeof key === 'string' && key.trim() !== '' ? Number(key) : NaN;
    if (!Number.isFinite(value)) throw new RenderInputError(PARAM, `key ${JSON.stringify(key)} is not a finite number`);
    values[k] = value;
    palette.set(parseColor(color, value), (k + 1) * 4);
  });
  return { values, palette };
}

function parseColor(color: unknown, value: number): number[] {
  if (typeof color === 'string') {
    const m = /^#?([0-9a-f]{6}|[0-9a-f]{8})$/i.exec(color.trim());
    if (!m) throw new RenderInputError(PARAM, `colour ${JSON.stringify(color)} for ${value} is not a hex string like "#1f77b4"`);
    const hex = m[1].length === 6 ? `${m[1]}ff` : m[1];
    return [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16));
  }
  const ok = Array.isArray(color) && (color.length === 3 || color.length === 4) &&
    color.every((c) => typeof c === 'number' && c >= 0 && c <= 255);
  if (!ok) {
    throw new RenderInputError(PARAM, `colour for ${value} must be [r, g, b] or [r, g, b, a] with components in 0..255, got ${JSON.stringify(color)}`);
  }
  // Fractions truncate, as Terracotta's cast to uint8 does.
  const rgba = (color as number[]).map(Math.trunc);
  return rgba.length === 3 ? [...rgba, 255] : rgba;
}

/**
 * Palette indices for a categorical band. Values compare in the band's own precision, as NumPy
 * compares a float32 array with a Python float: {"0.1": …} matches float32 0.1.
 */
export function labelExplicit(band: Band, mask: Uint8Array | undefined, cmap: ExplicitColormap, out?: Uint8Array): Uint8Array {
  const n = band.length;
  const result = out ?? new Uint8Array(n);
  const single = band instanceof Float32Array;
  const lookup = new Map<number, number>();
  cmap.values.forEach((v, k) => lookup.set(single ? Math.fround(v) : v, k + 1));
  for (let i = 0; i < n; i++) {
    result[i] = mask !== undefined && mask[i] === 0 ? 0 : (lookup.get(band[i]) ?? 0);
  }
  return result;
}
