import type { Band, StretchMetadata } from '../stretch.ts';

import { releaseBytes, takeBytes } from '../../util/index.ts';
import { emptyPng, encodePalettePng, encodeRgbaPng } from '../png.ts';
import { singlebandPalette, type SinglebandRender } from '../singleband.ts';
import { encodeWebp, paletteToRgba } from '../webp.ts';

/** png and webp keep transparency; jpeg (rgb only) does not. WebP needs loadWebpEncoder() awaited first. */
export type ImageFormat = 'png' | 'jpeg' | 'webp';

export interface RenderedImage {
  bytes: Uint8Array;
  contentType: 'image/png' | 'image/jpeg' | 'image/webp';
}

/** One input's pixels: a band of any sample type and its mask (255 valid, 0 not), row-major. */
export interface StyleInput {
  band: Band;
  mask: Uint8Array;
}

/** What a style is rendered into: the image's size and format, and each input's statistics (for null / "pN" bounds). */
export interface StyleFrame {
  width: number;
  height: number;
  format: ImageFormat;
  /** 1–100 for lossy output (rgb as .jpg or .webp); lossless formats refuse it. */
  quality?: number;
  /** One entry per input, in the style's order (its length is the number of inputs). */
  stats: readonly (StretchMetadata | undefined)[];
}

/** The prepared renderer: inputs (undefined where an input has no data here, but not all of them) → image. */
export type PreparedStyle = (inputs: readonly (StyleInput | undefined)[]) => RenderedImage;

export interface Style<S> {
  /** Checks the style against the frame before any pixel is read; throws an input error naming the parameter. */
  prepare(style: S, frame: StyleFrame): PreparedStyle;
}

export const png = (bytes: Uint8Array): RenderedImage => ({ bytes, contentType: 'image/png' });
export const webp = (bytes: Uint8Array): RenderedImage => ({ bytes, contentType: 'image/webp' });

/** A palette image as a palette PNG, or as lossless WebP (transparency and every colour kept exactly). */
function paletteImage(image: { indices: Uint8Array; palette: Uint8Array }, width: number, height: number, format: ImageFormat): RenderedImage {
  if (format === 'webp') return webp(encodeWebp(paletteToRgba(image.indices, image.palette), width, height, { lossless: true }));
  return png(encodePalettePng(image.indices, width, height, image.palette));
}

/**
 * One band stretched (or labelled) and coloured, as paletteImage makes it. The indices live only until
 * the synchronous encode has read them: they go into a buffer of lib/util's pool, taken back at once,
 * rather than 64 KiB allocated a 256² tile (V8's full collections follow the ArrayBuffer bytes allocated).
 */
export function bandImage(r: Omit<SinglebandRender, 'png'>, format: ImageFormat): RenderedImage {
  const indices = takeBytes(r.width * r.height);
  try {
    return paletteImage(singlebandPalette(r, indices), r.width, r.height, format);
  } finally {
    releaseBytes([indices]);
  }
}

/** Exact colours (terrain encodings): an RGBA PNG, or lossless WebP. */
export function encodeRgba(rgba: Uint8Array, width: number, height: number, format: ImageFormat): RenderedImage {
  if (format === 'webp') return webp(encodeWebp(rgba, width, height, { lossless: true }));
  if (format !== 'png') throw new RangeError(`exact colours need png or webp, not ${format}`);
  return png(encodeRgbaPng(rgba, width, height));
}

const emptyWebps = new Map<string, Uint8Array>();
/** A fully transparent tile in the format asked for. */
export function emptyImage(width: number, height: number, format: ImageFormat): RenderedImage {
  if (format !== 'webp') return png(emptyPng(width, height));
  const key = `${width}x${height}`;
  let bytes = emptyWebps.get(key);
  if (!bytes) {
    bytes = encodeWebp(new Uint8Array(width * height * 4), width, height, { lossless: true });
    if (emptyWebps.size < 16) emptyWebps.set(key, bytes);
  }
  return webp(bytes);
}
