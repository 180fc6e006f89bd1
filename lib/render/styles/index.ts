/**
 * Styles: how the bands a tile read become an image — one file per style, registered here under the
 * name requests use (`style.kind`, the route). Tiles, previews and the CLI's `tile` all render
 * through prepareStyle, so a style behaves the same everywhere. Preparing checks what can be checked
 * before any pixel is read (the number of inputs, the output format, a band-math expression), so a
 * bad request costs no I/O; the prepared function then turns pixels into bytes.
 */
import { InputError } from '../../errors/index.ts';
import { compute, type ComputeStyle } from './compute.ts';
import { rgb, type RgbStyle } from './rgb.ts';
import { singleband, type SinglebandStyle } from './singleband.ts';
import type { PreparedStyle, Style, StyleFrame } from './style.ts';

export type { ImageFormat, PreparedStyle, RenderedImage, StyleFrame, StyleInput } from './style.ts';
export { emptyImage, encodeRgba } from './style.ts';
export type { ComputeStyle, RgbStyle, SinglebandStyle };
export { compileCompute, toFloat } from './compute.ts';

export const STYLES = { singleband, rgb, compute } as const;

export type StyleKind = keyof typeof STYLES;
export type TileStyle = SinglebandStyle | RgbStyle | ComputeStyle;

/** The style's renderer for this frame, or an input error naming what is wrong with the request. */
export function prepareStyle(style: TileStyle, frame: StyleFrame): PreparedStyle {
  if (!Object.hasOwn(STYLES, style.kind)) throw new InputError(`style "${style.kind}" is not one of ${Object.keys(STYLES).join(', ')}`);
  return (STYLES[style.kind] as Style<TileStyle>).prepare(style, frame);
}
