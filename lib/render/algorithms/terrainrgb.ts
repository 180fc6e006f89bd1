/**
 * Mapbox Terrain-RGB: height = baseval + (R·65536 + G·256 + B) · interval, what MapLibre GL JS
 * decodes with `encoding: 'mapbox'` (its defaults are these: -10000 m, 0.1 m).
 */
import type { Algorithm } from './algorithm.ts';
import { unbuffer } from './algorithm.ts';

export const terrainrgb: Algorithm = {
  title: 'Terrain-RGB',
  description: 'Heights encoded as Mapbox Terrain-RGB for 3D terrain in MapLibre / Mapbox GL (encoding "mapbox").',
  params: {
    interval: { default: 0.1, min: 1e-6, max: 1e6, description: 'Metres per step of the 24-bit value.' },
    baseval: { default: -10000, min: -1e9, max: 1e9, description: 'Height of the value 0.' },
  },
  buffer: 0,
  output: 'rgba',
  run(input, p, frame) {
    const { band, mask } = unbuffer(input, frame);
    const rgba = new Uint8Array(frame.width * frame.height * 4);
    for (let i = 0; i < band.length; i++) {
      const h = band[i];
      if (!mask[i] || !Number.isFinite(h)) continue;
      const v = Math.min(0xffffff, Math.max(0, Math.round((h - p.baseval) / p.interval)));
      rgba.set([v >> 16, (v >> 8) & 255, v & 255, 255], i * 4);
    }
    return { kind: 'rgba', rgba };
  },
};
