/**
 * Mapzen / AWS Terrarium: height = R·256 + G + B/256 − 32768 (1/256 m steps), what MapLibre GL JS
 * decodes with `encoding: 'terrarium'`.
 */
import type { Algorithm } from './algorithm.ts';
import { unbuffer } from './algorithm.ts';

export const terrarium: Algorithm = {
  title: 'Terrarium',
  description: 'Heights encoded as Terrarium for 3D terrain in MapLibre GL (encoding "terrarium").',
  params: {},
  buffer: 0,
  output: 'rgba',
  run(input, _p, frame) {
    const { band, mask } = unbuffer(input, frame);
    const rgba = new Uint8Array(frame.width * frame.height * 4);
    for (let i = 0; i < band.length; i++) {
      const h = band[i];
      if (!mask[i] || !Number.isFinite(h)) continue;
      const v = Math.min(65535 + 255 / 256, Math.max(0, Math.round((h + 32768) * 256) / 256));
      const whole = Math.floor(v);
      rgba.set([whole >> 8, whole & 255, Math.round((v - whole) * 256), 255], i * 4);
    }
    return { kind: 'rgba', rgba };
  },
};
