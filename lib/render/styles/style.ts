import type { Band, StretchMetadata } from '../stretch.ts';

export type ImageFormat = 'png' | 'jpeg';

export interface RenderedImage {
  bytes: Uint8Array;
  contentType: 'image/png' | 'image/jpeg';
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
