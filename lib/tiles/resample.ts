import type { TypedArray } from '../raster/typed.ts';
import type { WarpPlan, WarpChunk } from './warp.ts';

/** The pixels readWindow returned for plan.window at plan.level (its RasterWindow fits). */
export interface SourceWindow {
  bands: TypedArray[];
  /** 255 valid, 0 not. */
  mask: Uint8Array;
  width: number;
  height: number;
}

/** width × height pixels per band (the plan's), in the source's sample type; mask 255 where there is data, 0 not. */
export interface WarpedTile {
  width: number;
  height: number;
  bands: TypedArray[];
  mask: Uint8Array;
}

/**
 * Run a tile plan over the source window: GDAL's warp kernels (alg/gdalwarpkernel.cpp) in plain loops.
 * - nearest: the source pixel floor(x), floor(y) (GWKNearest), invalid where it is.
 * - bilinear: a tent filter from pixel centres, weights renormalised over the valid in-window taps,
 *   widened by 1 / scale when the tile downsamples (GWKResample with dfXScale < 1; 4 taps when both
 *   scales are ≥ 0.95); valid when the source pixel under the centre is valid (GDAL drops the output
 *   pixel otherwise) and the valid taps carry any weight.
 * - average: the mean of the source pixels under the output pixel's footprint, partial pixels
 *   weighted by their overlap along each axis (GWKAverageOrMode, GDAL ≥ 3.1).
 * Integer results are rounded half up and clamped, as GDAL stores them.
 */
export function warpWindow(plan: WarpPlan, src: SourceWindow): WarpedTile {
  const { window } = plan;
  if (src.width !== window.width || src.height !== window.height || src.mask.length !== src.width * src.height) {
    throw new RangeError(`source window is ${src.width}×${src.height}, the plan needs ${window.width}×${window.height}`);
  }
  const { width: w, height: h } = plan;
  const bands = src.bands.map((b) => new (b.constructor as new (n: number) => TypedArray)(w * h));
  const out: WarpedTile = { width: w, height: h, bands, mask: new Uint8Array(w * h) };
  const kernel = plan.resampling === 'nearest' ? nearest : plan.resampling === 'bilinear' ? bilinear : average;
  for (const chunk of plan.chunks) kernel(plan, chunk, src, out);
  return out;
}

function nearest(plan: WarpPlan, c: WarpChunk, src: SourceWindow, out: WarpedTile): void {
  const { srcX, srcY, width: n } = plan;
  const w = src.width, nb = src.bands.length, sm = src.mask, om = out.mask;
  const sb0 = src.bands[0], ob0 = out.bands[0];
  if (nb === 1 && sm.indexOf(0) < 0) {
    // the usual single band with no invalid source pixel: a plain gather
    for (let row = c.y; row < c.y + c.height; row++) {
      for (let i = row * n + c.x, end = i + c.width; i < end; i++) {
        const sx = srcX[i];
        if (sx !== sx) continue;
        om[i] = 255;
        ob0[i] = sb0[((srcY[i] + 1e-10) | 0) * w + ((sx + 1e-10) | 0)];
      }
    }
    return;
  }
  for (let row = c.y; row < c.y + c.height; row++) {
    for (let i = row * n + c.x, end = i + c.width; i < end; i++) {
      const sx = srcX[i];
      if (sx !== sx) continue;
      // planning checked that floor(x + 1e-10) lies in the chunk's window, so x ≥ 0: | 0 is floor
      const k = ((srcY[i] + 1e-10) | 0) * w + ((sx + 1e-10) | 0);
      if (sm[k] === 0) continue;
      om[i] = 255;
      ob0[i] = sb0[k];
      for (let b = 1; b < nb; b++) out.bands[b][i] = src.bands[b][k];
    }
  }
}

function bilinear(plan: WarpPlan, c: WarpChunk, src: SourceWindow, out: WarpedTile): void {
  const { srcX, srcY, width: n } = plan;
  const four = c.scaleX >= 0.95 && c.scaleY >= 0.95;
  if (four && src.bands.length === 1) return bilinear4(plan, c, src, out);
  const kx = four ? 1 : Math.min(c.scaleX, 1), ky = four ? 1 : Math.min(c.scaleY, 1);
  const [rx, ry] = kernelRadius([c.scaleX, c.scaleY]);
  // GWKBilinearResample4Sample rejects < 1e-9 of weight, GWKResample < 1e-6
  const minWeight = four ? 1e-9 : 1e-6;
  const w = src.width, nb = src.bands.length, sm = src.mask, om = out.mask;
  const x0 = c.src.x, y0 = c.src.y, x1 = x0 + c.src.width, y1 = y0 + c.src.height;
  // the taps of one output pixel: source offsets and weights, then summed band by band
  const taps = new Int32Array(4 * rx * ry), weights = new Float64Array(4 * rx * ry);
  const wx = new Float64Array(2 * rx);
  const stores = out.bands.map(storer);
  for (let row = c.y; row < c.y + c.height; row++) {
    for (let i = row * n + c.x, end = i + c.width; i < end; i++) {
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
  const { srcX, srcY, width: n } = plan;
  const w = src.width, sm = src.mask, om = out.mask, sb = src.bands[0], ob = out.bands[0];
  const x0 = c.src.x, y0 = c.src.y, x1 = x0 + c.src.width - 1, y1 = y0 + c.src.height - 1;
  const [lo, hi] = RANGES.get(ob.constructor) ?? [NaN, NaN];
  const round = lo === lo;
  for (let row = c.y; row < c.y + c.height; row++) {
    for (let i = row * n + c.x, end = i + c.width; i < end; i++) {
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

function average(plan: WarpPlan, c: WarpChunk, src: SourceWindow, out: WarpedTile): void {
  const { srcX, srcY, width: n } = plan;
  const srcX2 = plan.srcX2!, srcY2 = plan.srcY2!;
  const w = src.width, nb = src.bands.length;
  const cx = c.src.x, cy = c.src.y, cw = c.src.width, ch = c.src.height;
  const eps = 1e-10;
  const acc = new Float64Array(nb);
  const stores = out.bands.map(storer);
  for (let row = c.y; row < c.y + c.height; row++) {
    for (let i = row * n + c.x, end = i + c.width; i < end; i++) {
      // the footprint relative to the chunk's window, as GDAL sees it
      let x0 = srcX[i] - cx, y0 = srcY[i] - cy, x1 = srcX2[i] - cx, y1 = srcY2[i] - cy;
      if (x0 !== x0 || x1 !== x1 || y0 !== y0 || y1 !== y1) continue;
      if (x0 > x1) [x0, x1] = [x1, x0];
      if (y0 > y1) [y0, y1] = [y1, y0];
      // No intersection test, as in GDAL 3.6: the clamped range is widened to one pixel when empty,
      // so a footprint less than a pixel above or left of the window takes the edge pixel.
      const ix0 = Math.max(Math.floor(x0 + eps), 0), iy0 = Math.max(Math.floor(y0 + eps), 0);
      let ix1 = Math.min(Math.ceil(x1 - eps), cw), iy1 = Math.min(Math.ceil(y1 - eps), ch);
      if (ix0 === ix1 && ix1 < cw) ix1++;
      if (iy0 === iy1 && iy1 < ch) iy1++;
      let total = 0;
      acc.fill(0);
      for (let yy = iy0; yy < iy1; yy++) {
        // GDAL's COMPUTE_WEIGHT_Y / COMPUTE_WEIGHT: the first and last pixels count by coverage
        const wy = yy === iy0 ? (iy0 + 1 === iy1 ? 1 : 1 - (y0 - iy0)) : yy + 1 === iy1 ? 1 - (iy1 - y1) : 1;
        for (let xx = ix0; xx < ix1; xx++) {
          const p = (yy + cy) * w + xx + cx;
          if (src.mask[p] === 0) continue;
          const wgt = xx === ix0 ? (ix0 + 1 === ix1 ? wy : wy * (1 - (x0 - ix0))) : xx + 1 === ix1 ? wy * (1 - (ix1 - x1)) : wy;
          if (!(wgt > 0)) continue;
          total += wgt;
          // the weighted incremental mean GDAL uses
          for (let b = 0; b < nb; b++) acc[b] += (wgt / total) * (src.bands[b][p] - acc[b]);
        }
      }
      if (!(total > 0)) continue;
      out.mask[i] = 255;
      for (let b = 0; b < nb; b++) stores[b](i, acc[b]);
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

/** Writes a value into `dst` the way GDAL's GWKSetPixelValue stores it in the sample type. */
function storer(dst: TypedArray): (i: number, v: number) => void {
  if (dst instanceof Float32Array || dst instanceof Float64Array) return (i, v) => { dst[i] = v; };
  const [lo, hi] = RANGES.get(dst.constructor) ?? [-Infinity, Infinity];
  return (i, v) => { dst[i] = v < lo ? lo : v > hi ? hi : Math.floor(v + 0.5); };
}

const RANGES = new Map<unknown, [number, number]>([
  [Uint8Array, [0, 255]], [Int8Array, [-128, 127]], [Uint16Array, [0, 65535]], [Int16Array, [-32768, 32767]],
  [Uint32Array, [0, 4294967295]], [Int32Array, [-2147483648, 2147483647]],
]);
