import { RenderInputError } from './errors.ts';
import { encodeJpeg } from './jpeg.ts';
import { encodeRgbaPng, type PngEncodeOptions } from './png.ts';
import { encodeWebp } from './webp.ts';
import { stretchToIndices, type Band } from './stretch.ts';

export type Range = readonly [number, number];

export interface RgbRender {
  r: Band;
  g: Band;
  b: Band;
  /** 255 (any non-zero) valid, 0 invalid, shared by the three bands; omitted: finite samples are valid. */
  mask?: Uint8Array;
  width: number;
  height: number;
  /** Resolved [lo, hi] per channel, in r, g, b order. */
  ranges: readonly [Range, Range, Range];
  /** 'png' (default): RGBA, invalid pixels alpha 0. 'webp': lossy with alpha. 'jpeg': invalid pixels black. */
  format?: 'png' | 'jpeg' | 'webp';
  /** For jpeg (default 85) and webp (default 75): 1–100. */
  quality?: number;
  jpegQuality?: number;
  png?: PngEncodeOptions;
}

const RANGE_PARAMS = ['r_range', 'g_range', 'b_range'] as const;

/**
 * An RGB composite as Terracotta's rgb handler makes it: each channel through the same
 * to_uint8 stretch as singleband (so valid samples are 1..255), and a pixel is invalid — here
 * alpha 0 and RGB 0 — when the mask says so or any of its three samples is NaN or infinite.
 */
export function renderRgb(r: RgbRender): Uint8Array {
  const { width, height } = r;
  const n = width * height;
  const bands = [r.r, r.g, r.b];
  bands.forEach((band, c) => {
    if (band.length !== n) throw new RangeError(`${'rgb'[c]} band has ${band.length} samples for ${width}×${height}`);
    const [lo, hi] = r.ranges[c];
    // Terracotta refuses an inverted per-channel range here (singleband allows it).
    if (hi < lo) throw new RenderInputError(RANGE_PARAMS[c], `upper stretch bound ${hi} must not be below the lower bound ${lo}`);
  });
  const [ir, ig, ib] = bands.map((band, c) => stretchToIndices(band, r.mask, r.ranges[c][0], r.ranges[c][1]));
  const rgba = new Uint8Array(n * 4);
  // a pixel is one little-endian word, red in its low byte (the host is little-endian: lib/raster/decode)
  const words = new Uint32Array(rgba.buffer, 0, n);
  for (let i = 0; i < n; i++) {
    const red = ir[i], green = ig[i], blue = ib[i];
    // Every valid sample stretches to ≥ 1, so a 0 anywhere means the pixel is invalid.
    if (red !== 0 && green !== 0 && blue !== 0) words[i] = red | (green << 8) | (blue << 16) | 0xff000000;
  }
  if (r.format === 'webp') return encodeWebp(rgba, width, height, { lossless: false, quality: r.quality });
  return r.format === 'jpeg' ? encodeJpeg(rgba, width, height, r.quality ?? r.jpegQuality) : encodeRgbaPng(rgba, width, height, r.png);
}
