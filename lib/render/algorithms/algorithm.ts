/**
 * What an algorithm is (TiTiler's `algorithm=` / `algorithm_params=`): a named step between the
 * warped band of a singleband tile and its image. Kernel algorithms (hillshade, slope) are handed a
 * band `buffer` pixels larger on every side, read from the source like the tile itself, so a
 * tile's edge pixels see their true neighbours and seams between tiles vanish.
 */
import type { StyleInput } from '../styles/index.ts';

/** A numeric parameter: its default, its range, and other servers' names for it. */
export interface ParamSpec {
  default: number;
  min: number;
  max: number;
  description: string;
  aliases?: readonly string[];
}

/** Vertical exaggeration, shared by the kernel algorithms (TiTiler calls it z_exaggeration). */
export const Z_FACTOR: ParamSpec = { default: 1, min: 0, max: 1e6, description: 'Vertical exaggeration (heights × z_factor); heights are taken to be in metres.', aliases: ['z_exaggeration'] };

/** Where the algorithm runs: the output size, the buffer around it, and the ground size of a pixel. */
export interface AlgorithmFrame {
  width: number;
  height: number;
  /** The input band is (width + 2·buffer) × (height + 2·buffer). */
  buffer: number;
  /** Metres on the ground across one input pixel, per input row (it varies with latitude in Web Mercator). */
  xres: Float64Array;
  /** Metres on the ground down one input pixel, per input row. */
  yres: Float64Array;
}

export type AlgorithmOutput =
  /** A band to stretch and colour like any singleband tile. */
  | { kind: 'band'; band: Float32Array; mask: Uint8Array }
  /** Final colours (terrain encodings): RGBA, width × height × 4, alpha 0 where there is no data. */
  | { kind: 'rgba'; rgba: Uint8Array };

export interface Algorithm {
  title: string;
  description: string;
  params: Readonly<Record<string, ParamSpec>>;
  /** Pixels read around the tile on every side. */
  buffer: number;
  output: 'band' | 'rgba';
  /** For band outputs: the stretch used when the request gives none (hillshade's grey levels, slope's degrees). */
  range?: readonly [number, number];
  run(input: StyleInput, params: Readonly<Record<string, number>>, frame: AlgorithmFrame): AlgorithmOutput;
}

/**
 * Horn's 3×3 gradient (what gdaldem uses by default) at every output pixel: dz/dx eastward and
 * dz/dy northward, in height units per metre, NaN where any of the nine samples is missing (as
 * gdaldem leaves nodata without -compute_edges).
 */
export function hornGradient(input: StyleInput, frame: AlgorithmFrame, each: (o: number, dzdx: number, dzdy: number) => void): Uint8Array {
  const { xres, yres } = frame;
  // | 0: index arithmetic on sizes that arrive as doubles is slow (docs/architecture.md)
  const width = frame.width | 0, height = frame.height | 0, b = frame.buffer | 0;
  const stride = width + 2 * b;
  const z = input.band, m = input.mask;
  const mask = new Uint8Array(width * height);
  for (let j = 0; j < height; j++) {
    const r = j + b;
    const ew = 8 * xres[r], ns = 8 * yres[r];
    for (let i = 0; i < width; i++) {
      const c = r * stride + i + b;
      const n = c - stride, s = c + stride;
      if (!(m[n - 1] && m[n] && m[n + 1] && m[c - 1] && m[c + 1] && m[s - 1] && m[s] && m[s + 1] && m[c])) continue;
      const a = z[n - 1], bb = z[n], cc = z[n + 1], d = z[c - 1], f = z[c + 1], g = z[s - 1], h = z[s], k = z[s + 1];
      const dzdx = ((cc + 2 * f + k) - (a + 2 * d + g)) / ew;
      const dzdy = ((a + 2 * bb + cc) - (g + 2 * h + k)) / ns;
      if (!Number.isFinite(dzdx) || !Number.isFinite(dzdy)) continue;
      const o = j * width + i;
      mask[o] = 255;
      each(o, dzdx, dzdy);
    }
  }
  return mask;
}

/** The centre of a buffered band: width × height samples and their mask. */
export function unbuffer(input: StyleInput, frame: AlgorithmFrame): { band: ArrayLike<number>; mask: Uint8Array } {
  const width = frame.width | 0, height = frame.height | 0, b = frame.buffer | 0;
  if (b === 0) return input;
  const stride = width + 2 * b;
  const band = new Float64Array(width * height), mask = new Uint8Array(width * height);
  for (let j = 0; j < height; j++) {
    for (let i = 0, o = j * width, c = (j + b) * stride + b; i < width; i++, o++, c++) {
      band[o] = input.band[c];
      mask[o] = input.mask[c];
    }
  }
  return { band, mask };
}
