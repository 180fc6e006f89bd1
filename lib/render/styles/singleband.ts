/** One band, stretched and coloured as Terracotta draws it (../singleband.ts): a palette PNG. */
import { InputError } from '../../errors/index.ts';
import { RenderInputError } from '../errors.ts';
import type { ExplicitColormapInput } from '../explicit.ts';
import { singlebandPalette } from '../singleband.ts';
import { resolveStretchRange, type StretchBound } from '../stretch.ts';
import { needStats } from './stats.ts';
import { paletteImage, type Style } from './style.ts';

export interface SinglebandStyle {
  kind: 'singleband';
  stretch?: readonly [StretchBound, StretchBound] | null;
  colormap?: string | ExplicitColormapInput | null;
}

export const singleband: Style<SinglebandStyle> = {
  prepare(style, { width, height, format, quality, stats }) {
    if (stats.length !== 1) throw new InputError(`singleband takes 1 input(s), got ${stats.length}`);
    if (format === 'jpeg') throw new RenderInputError('format', 'JPEG output is for rgb tiles; singleband and compute tiles need transparency: .png or .webp');
    if (quality !== undefined) throw new RenderInputError('quality', 'applies to lossy rgb tiles (.jpg, .webp); singleband WebP is lossless');
    return ([input]) => {
      const explicit = style.colormap !== null && typeof style.colormap === 'object';
      const stretch = explicit ? undefined : resolveStretchRange(style.stretch, needStats(stats[0], style.stretch));
      const indices = explicit ? undefined : keptIndices(width * height);
      return paletteImage(singlebandPalette({ band: input!.band, mask: input!.mask, width, height, stretch, colormap: style.colormap }, indices), width, height, format);
    };
  },
};

/**
 * The stretched indices live only until paletteImage has encoded them, synchronously: one buffer
 * kept here serves every tile instead of 64 KiB allocated per 256² tile (V8's full collections
 * follow the ArrayBuffer bytes allocated).
 */
let indicesScratch = new Uint8Array(0);
const KEEP_INDICES = 1 << 20;

function keptIndices(n: number): Uint8Array | undefined {
  if (n > KEEP_INDICES) return undefined;
  if (indicesScratch.length < n) indicesScratch = new Uint8Array(Math.max(n, 65536));
  return indicesScratch.subarray(0, n);
}
