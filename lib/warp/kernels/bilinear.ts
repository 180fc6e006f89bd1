/**
 * Bilinear (GDAL's GWKBilinearResample4Sample and GWKResample): a tent filter from pixel centres,
 * weights renormalised over the valid in-window taps, widened by 1 / scale when the tile downsamples
 * (4 taps when both scales are ≥ 0.95); valid when the source pixel under the centre is valid (GDAL
 * drops the output pixel otherwise) and the valid taps carry any weight.
 */
import type { WarpChunk, WarpPlan } from '../plan.ts';
import { RANGES, storer, type Kernel, type SourceWindow, type WarpedTile } from './kernel.ts';

export const bilinear: Kernel = { radius: 1, footprint: false, warp: bilinearChunk };

function bilinearChunk(plan: WarpPlan, c: WarpChunk, src: SourceWindow, out: WarpedTile): void {
  const { srcX, srcY } = plan, n = plan.width | 0;
  const four = c.scaleX >= 0.95 && c.scaleY >= 0.95;
  if (four && src.bands.length === 1) return bilinear4(plan, c, src, out);
  const kx = four ? 1 : Math.min(c.scaleX, 1), ky = four ? 1 : Math.min(c.scaleY, 1);
  const [rx, ry] = kernelRadius([c.scaleX, c.scaleY]);
  // GWKBilinearResample4Sample rejects < 1e-9 of weight, GWKResample < 1e-6
  const minWeight = four ? 1e-9 : 1e-6;
  // | 0: sizes may arrive as doubles (see nearest.ts), and index arithmetic on them is slow
  const w = src.width | 0, nb = src.bands.length, sm = src.mask, om = out.mask;
  const x0 = c.src.x | 0, y0 = c.src.y | 0, x1 = x0 + (c.src.width | 0), y1 = y0 + (c.src.height | 0);
  const cx = c.x | 0, cy = c.y | 0, cw = c.width | 0, ch = c.height | 0;
  // the taps of one output pixel: source offsets and weights, then summed band by band
  const taps = new Int32Array(4 * rx * ry), weights = new Float64Array(4 * rx * ry);
  const wx = new Float64Array(2 * rx);
  const stores = out.bands.map(storer);
  for (let row = cy; row < cy + ch; row++) {
    for (let i = row * n + cx, end = i + cw; i < end; i++) {
      const sx = srcX[i], sy = srcY[i];
      if (sx !== sx) continue;
      // GDAL (GWKGeneralCase) drops the pixel when the source pixel under its centre is invalid
      if (sm[((sy + 1e-10) | 0) * w + ((sx + 1e-10) | 0)] === 0) continue;
      const ix = Math.floor(sx - 0.5), iy = Math.floor(sy - 0.5);
      const dx = sx - 0.5 - ix, dy = sy - 0.5 - iy;
      // taps k = 1 − r … r around floor(x − 0.5), weighted by the (possibly widened) tent
      for (let k = 1 - rx; k <= rx; k++) wx[k + rx - 1] = tent((k - dx) * kx);
      let count = 0, total = 0;
      for (let j = 1 - ry; j <= ry; j++) {
        const yy = iy + j;
        if (yy < y0 || yy >= y1) continue;
        const wyj = tent((j - dy) * ky);
        for (let k = 1 - rx; k <= rx; k++) {
          const xx = ix + k;
          if (xx < x0 || xx >= x1) continue;
          const p = yy * w + xx;
          if (sm[p] === 0) continue;
          const wgt = wyj * wx[k + rx - 1];
          taps[count] = p;
          weights[count++] = wgt;
          total += wgt;
        }
      }
      if (total < minWeight) continue;
      om[i] = 255;
      const divide = four ? total !== 1 : total < 0.99999 || total > 1.00001;
      for (let b = 0; b < nb; b++) {
        const band = src.bands[b];
        let acc = 0;
        for (let t = 0; t < count; t++) acc += band[taps[t]] * weights[t];
        stores[b](i, divide ? acc / total : acc);
      }
    }
  }
}

/** bilinear's 4-tap case for one band, unrolled: the usual one when zoomed in. */
function bilinear4(plan: WarpPlan, c: WarpChunk, src: SourceWindow, out: WarpedTile): void {
  const { srcX, srcY } = plan, n = plan.width | 0;
  const w = src.width | 0, sm = src.mask, om = out.mask, sb = src.bands[0], ob = out.bands[0];
  const x0 = c.src.x | 0, y0 = c.src.y | 0, x1 = x0 + (c.src.width | 0) - 1, y1 = y0 + (c.src.height | 0) - 1;
  const cx = c.x | 0, cy = c.y | 0, cw = c.width | 0, ch = c.height | 0;
  const [lo, hi] = RANGES.get(ob.constructor) ?? [NaN, NaN];
  const round = lo === lo;
  for (let row = cy; row < cy + ch; row++) {
    for (let i = row * n + cx, end = i + cw; i < end; i++) {
      const sx = srcX[i], sy = srcY[i];
      if (sx !== sx) continue;
      if (sm[((sy + 1e-10) | 0) * w + ((sx + 1e-10) | 0)] === 0) continue;
      const ix = Math.floor(sx - 0.5), iy = Math.floor(sy - 0.5);
      const dx = sx - 0.5 - ix, dy = sy - 0.5 - iy;
      let total = 0, acc = 0;
      const p = iy * w + ix;
      const left = ix >= x0, right = ix < x1, top = iy >= y0, bottom = iy < y1;
      if (top && left && sm[p] !== 0) { const g = (1 - dx) * (1 - dy); total += g; acc += sb[p] * g; }
      if (top && right && sm[p + 1] !== 0) { const g = dx * (1 - dy); total += g; acc += sb[p + 1] * g; }
      if (bottom && left && sm[p + w] !== 0) { const g = (1 - dx) * dy; total += g; acc += sb[p + w] * g; }
      if (bottom && right && sm[p + w + 1] !== 0) { const g = dx * dy; total += g; acc += sb[p + w + 1] * g; }
      if (total < 1e-9) continue;
      om[i] = 255;
      const v = total !== 1 ? acc / total : acc;
      ob[i] = round ? (v < lo ? lo : v > hi ? hi : Math.floor(v + 0.5)) : v;
    }
  }
}

function tent(x: number): number {
  const a = Math.abs(x);
  return a <= 1 ? 1 - a : 0;
}

/** Taps either side of the centre: 1, or ceil(1 / scale) when the kernel is widened. */
export function kernelRadius(scale: number[]): [number, number] {
  const four = scale[0] >= 0.95 && scale[1] >= 0.95;
  const r = (s: number): number => (four || s >= 1 ? 1 : Math.ceil(1 / s));
  return [r(scale[0]), r(scale[1])];
}

