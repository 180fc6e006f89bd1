/** Three inputs as red, green and blue (../rgb.ts): RGBA PNG, or JPEG with invalid pixels black. */
import { InputError } from '../../errors/index.ts';
import { RenderInputError } from '../errors.ts';
import { renderRgb, type Range } from '../rgb.ts';
import { resolveStretchRange, type StretchBound } from '../stretch.ts';
import { needStats } from './stats.ts';
import type { Style } from './style.ts';

export interface RgbStyle {
  kind: 'rgb';
  ranges?: readonly (readonly [StretchBound, StretchBound] | null | undefined)[];
}

export const rgb: Style<RgbStyle> = {
  prepare(style, { width, height, format, quality, stats }) {
    if (stats.length !== 3) throw new InputError(`rgb takes 3 input(s), got ${stats.length}`);
    if (format === 'png' && quality !== undefined) throw new RenderInputError('quality', 'applies to lossy tiles (.jpg, .webp); PNG is lossless');
    return (inputs) => {
      // a pixel is valid where all three inputs have data
      const mask = new Uint8Array(width * height).fill(255);
      for (const input of inputs) {
        if (!input) { mask.fill(0); break; }
        const m = input.mask;
        for (let i = 0; i < mask.length; i++) if (m[i] === 0) mask[i] = 0;
      }
      const bands = inputs.map((input) => input?.band ?? new Float32Array(width * height));
      const ranges = stats.map((s, c) => resolveStretchRange(style.ranges?.[c], needStats(s, style.ranges?.[c]))) as unknown as [Range, Range, Range];
      const bytes = renderRgb({ r: bands[0], g: bands[1], b: bands[2], mask, width, height, ranges, format, quality });
      return { bytes, contentType: `image/${format}` };
    };
  },
};
