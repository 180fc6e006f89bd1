/** One band, stretched and coloured as Terracotta draws it (../singleband.ts): a palette PNG. */
import { InputError } from '../../errors/index.ts';
import { RenderInputError } from '../errors.ts';
import type { ExplicitColormapInput } from '../explicit.ts';
import { resolveStretchRange, type StretchBound } from '../stretch.ts';
import { needStats } from './stats.ts';
import { bandImage, type Style } from './style.ts';

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
      return bandImage({ band: input!.band, mask: input!.mask, width, height, stretch, colormap: style.colormap }, format);
    };
  },
};

