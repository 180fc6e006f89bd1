/**
 * Overview resampling, matching GDAL's COG driver (measured against GDAL 3.6): each overview is made
 * from the previous one, not from full resolution; `average` weights source pixels by how much of
 * each the destination pixel covers (the ratio is not exactly 2 when a size is odd) and rounds half
 * up for integers; `nearest` takes source pixel floor(i × ratio + 0.5).
 */
import { asWords, copyStrided, type TypedArray } from '../raster/index.ts';

export type Resampling = 'average' | 'nearest' | 'mode';

/**
 * Consecutive rows of one level: band arrays of width × rows, plus the 0/255 mask if the file has one.
 * With `spp`, interleaved: one array of width × rows × spp, a pixel's samples together.
 */
export interface Rows {
  y0: number;
  rows: number;
  width: number;
  bands: TypedArray[];
  mask?: Uint8Array;
  spp?: number;
}

/** Samples a row of `r` holds in each of its arrays. */
export const rowLength = (r: Rows): number => r.width * (r.spp ?? 1);

export interface ReduceOptions {
  method: Resampling;
  /** Integer output rounds the average; float keeps it. */
  integer: boolean;
  /** As the pixels hold it (nodataAs), compared exactly: a float32 pixel never equals -3.4e38 itself. */
  nodata: number | null;
  /** Sample index of an alpha band: other bands ignore pixels where it is 0. */
  alpha?: number;
}

/** The source span [start, end) of destination index i, and the weight of each source index in it. */
export interface Span { start: number; end: number; weights: number[] }

export function spanOf(i: number, srcSize: number, dstSize: number, method: Resampling): Span {
  const r = srcSize / dstSize;
  if (method === 'nearest') {
    const s = Math.min(srcSize - 1, Math.floor(i * r + 0.5));
    return { start: s, end: s + 1, weights: [1] };
  }
  const x0 = i * r, x1 = (i + 1) * r;
  const start = Math.floor(x0 + 1e-8);
  const end = Math.max(start + 1, Math.min(srcSize, Math.ceil(x1 - 1e-8)));
  const weights: number[] = [];
  for (let s = start; s < end; s++) weights.push(Math.max(0, Math.min(x1, s + 1) - Math.max(x0, s)));
  return { start, end, weights };
}

/**
 * Destination rows [j0, j1) from source rows `src` (which must cover their spans), written into
 * `dst` (same bands, width dstWidth) from its row `at`: the caller owns, and reuses, the arrays.
 * Pixels with no valid source get nodata (or 0) and, when there is a mask, mask 0.
 */
export function reduceRows(src: Rows, srcHeight: number, dst: Rows, at: number, dstHeight: number, j0: number, j1: number, o: ReduceOptions): void {
  if (src.spp !== undefined) return reduceInterleaved(src, srcHeight, dst, at, dstHeight, j0, j1, o);
  const sw = src.width;
  const dstWidth = dst.width;
  const rows = j1 - j0;
  const exact = sw === 2 * dstWidth && srcHeight === 2 * dstHeight;
  let spans: { xs: Span[]; ys: Span[] } | undefined;
  const spansOf = () => spans ??= {
    xs: Array.from({ length: dstWidth }, (_, i) => spanOf(i, sw, dstWidth, o.method)),
    ys: Array.from({ length: rows }, (_, j) => spanOf(j0 + j, srcHeight, dstHeight, o.method)),
  };
  const fill = o.nodata ?? 0;
  const alpha = o.alpha !== undefined && !src.mask ? src.bands[o.alpha] : undefined;
  // Without nodata, which pixels count is the same for every band: worked out once, not per band
  // (a mask alone is its own answer: 0 or 255).
  const shared = o.method === 'nearest' || o.nodata !== null ? undefined : src.mask && !alpha ? src.mask : validity(src, src.bands[0], alpha, null);
  src.bands.forEach((band, b) => {
    const out = dst.bands[b].subarray(at * dstWidth, (at + rows) * dstWidth);
    // Nearest takes the value whatever it is, as GDAL does; the mask says whether it is valid. Alpha
    // masks every band, its own included: GDAL averages only its non-zero values.
    const valid = o.method === 'nearest' ? undefined : o.nodata === null ? shared : validity(src, band, alpha, o.nodata);
    if (o.method === 'average' && exact) {
      if (valid) halveValid(band, valid, src.y0, sw, out, j0, rows, dstWidth, o.integer, fill);
      else halve(band, src.y0, sw, out, j0, rows, dstWidth, o.integer);
      return;
    }
    const { xs, ys } = spansOf();
    for (let j = 0; j < rows; j++) {
      const y = ys[j];
      for (let i = 0; i < dstWidth; i++) {
        const v = o.method === 'mode' ? modeOf(band, valid, src.y0, sw, xs[i], y) : averageOf(band, valid, src.y0, sw, xs[i], y);
        out[j * dstWidth + i] = v === undefined ? fill : o.integer ? Math.floor(v + 0.5) : v;
      }
    }
  });
  if (src.mask && dst.mask) {
    // A destination pixel is valid when any of its source pixels is, as GDAL's averaged mask reads back.
    const mask = dst.mask.subarray(at * dstWidth, (at + rows) * dstWidth);
    if (exact && o.method !== 'nearest') {
      halveMask(src.mask, src.y0, sw, mask, j0, rows, dstWidth);
      return;
    }
    const { xs, ys } = spansOf();
    for (let j = 0; j < rows; j++) {
      for (let i = 0; i < dstWidth; i++) {
        const x = xs[i], y = ys[j];
        let any = 0;
        for (let sy = y.start; sy < y.end && !any; sy++) {
          const row = (sy - src.y0) * sw;
          for (let sx = x.start; sx < x.end; sx++) any |= src.mask[row + sx];
        }
        mask[j * dstWidth + i] = any ? 255 : 0;
      }
    }
  }
}

/**
 * `average` when the ratio is exactly 2 and every pixel counts: the general path's arithmetic (each
 * weight 1, summed in the same order) without its spans, for the largest levels, which cost the most.
 */
function halve(band: TypedArray, y0: number, sw: number, out: TypedArray, j0: number, rows: number, dw: number, integer: boolean): void {
  for (let j = 0; j < rows; j++) {
    const r0 = (2 * (j0 + j) - y0) * sw, r1 = r0 + sw;
    const o = j * dw;
    if (integer) {
      for (let i = 0, s = 0; i < dw; i++, s += 2) out[o + i] = Math.floor((band[r0 + s] + band[r0 + s + 1] + band[r1 + s] + band[r1 + s + 1]) / 4 + 0.5);
    } else {
      for (let i = 0, s = 0; i < dw; i++, s += 2) out[o + i] = (0 + band[r0 + s] + band[r0 + s + 1] + band[r1 + s] + band[r1 + s + 1]) / 4;
    }
  }
}

/**
 * `average` at a ratio of exactly 2 where some pixels do not count (a mask, alpha or nodata): the
 * general path's arithmetic (weights 1, valid pixels summed in the same order, then divided by their
 * count) without its spans. On the 4096² RGB bench input with its mask, the general path was the
 * reading thread's largest cost (2.5 s of CPU profile, validity included).
 */
function halveValid(band: TypedArray, valid: Uint8Array, y0: number, sw: number, out: TypedArray, j0: number, rows: number, dw: number, integer: boolean, fill: number): void {
  if (band instanceof Uint8Array && out instanceof Uint8Array) return halveValid8(band, valid, y0, sw, out, j0, rows, dw, fill);
  for (let j = 0; j < rows; j++) {
    const r0 = (2 * (j0 + j) - y0) * sw, r1 = r0 + sw;
    const o = j * dw;
    for (let i = 0, s = 0; i < dw; i++, s += 2) {
      let sum = 0, n = 0;
      if (valid[r0 + s]) { sum += band[r0 + s]; n++; }
      if (valid[r0 + s + 1]) { sum += band[r0 + s + 1]; n++; }
      if (valid[r1 + s]) { sum += band[r1 + s]; n++; }
      if (valid[r1 + s + 1]) { sum += band[r1 + s + 1]; n++; }
      out[o + i] = n === 0 ? fill : integer ? Math.floor(sum / n + 0.5) : sum / n;
    }
  }
}

/**
 * halveValid over 8-bit samples (imagery with a mask or alpha), one array type for V8 to compile.
 * Four valid pixels, the common case, round half up as (sum + 2) >> 2 = floor(sum / 4 + 0.5); where
 * rows and output start on words, four output pixels whose eight source pixels are all valid are
 * averaged as words: each row's pixel pairs summed in 16-bit lanes, the two rows added, rounded and
 * shifted, four bytes packed. 4096×512 source pixels of a band: 2.9 ms per pixel generically,
 * 0.9 ms over bytes, 0.35 ms as words (node 20).
 */
function halveValid8(band: Uint8Array, valid: Uint8Array, y0: number, sw: number, out: Uint8Array, j0: number, rows: number, dw: number, fill: number): void {
  const words = (sw & 3) === 0 && ((band.byteOffset | valid.byteOffset | out.byteOffset | dw) & 3) === 0;
  const B = words ? new Uint32Array(band.buffer, band.byteOffset, band.length >> 2) : undefined;
  const V = words ? new Uint32Array(valid.buffer, valid.byteOffset, valid.length >> 2) : undefined;
  const O = words ? new Uint32Array(out.buffer, out.byteOffset, out.length >> 2) : undefined;
  for (let j = 0; j < rows; j++) {
    const r0 = (2 * (j0 + j) - y0) * sw, r1 = r0 + sw;
    const o = j * dw;
    if (!B || !V || !O) {
      halveValidPixels8(band, valid, r0, r1, out, o, 0, dw, fill);
      continue;
    }
    for (let k = 0, w0 = r0 >> 2, w1 = r1 >> 2; k < dw >> 2; k++, w0 += 2, w1 += 2) {
      if (allNonZero(V[w0]) && allNonZero(V[w0 + 1]) && allNonZero(V[w1]) && allNonZero(V[w1 + 1])) {
        const s0 = pairSums(B[w0]) + pairSums(B[w1]) + 0x00020002;
        const s1 = pairSums(B[w0 + 1]) + pairSums(B[w1 + 1]) + 0x00020002;
        const q0 = (s0 >>> 2) & 0x00ff00ff, q1 = (s1 >>> 2) & 0x00ff00ff;
        O[(o >> 2) + k] = (q0 & 0xff) | ((q0 >>> 16) << 8) | ((q1 & 0xff) << 16) | ((q1 >>> 16) << 24);
      } else {
        halveValidPixels8(band, valid, r0, r1, out, o, 4 * k, 4 * k + 4, fill);
      }
    }
  }
}

/** Output pixels [i0, i1) of the row at `o` from the source rows at r0 and r1, pixel by pixel. */
function halveValidPixels8(band: Uint8Array, valid: Uint8Array, r0: number, r1: number, out: Uint8Array, o: number, i0: number, i1: number, fill: number): void {
  for (let i = i0, s = 2 * i0; i < i1; i++, s += 2) {
    const a = valid[r0 + s], b = valid[r0 + s + 1], c = valid[r1 + s], d = valid[r1 + s + 1];
    if (a && b && c && d) {
      out[o + i] = (band[r0 + s] + band[r0 + s + 1] + band[r1 + s] + band[r1 + s + 1] + 2) >> 2;
      continue;
    }
    let sum = 0, n = 0;
    if (a) { sum += band[r0 + s]; n++; }
    if (b) { sum += band[r0 + s + 1]; n++; }
    if (c) { sum += band[r1 + s]; n++; }
    if (d) { sum += band[r1 + s + 1]; n++; }
    out[o + i] = n === 0 ? fill : Math.floor(sum / n + 0.5);
  }
}

/** Whether no byte of a word is 0 (each byte's top bit set by adding 0x7f to its low seven bits, or its own). */
function allNonZero(w: number): boolean {
  return ((((w & 0x7f7f7f7f) + 0x7f7f7f7f) | w) & 0x80808080) === (0x80808080 | 0);
}

/** A word's bytes p0…p3 → 16-bit lanes p0 + p1 (low) and p2 + p3 (high). */
function pairSums(w: number): number {
  return (w & 0x00ff00ff) + ((w >>> 8) & 0x00ff00ff);
}

/**
 * The mask at a ratio of exactly 2: valid where any of the four source pixels is. Where rows start on
 * words, four output pixels at once when their first source row is all valid, or both rows all not.
 */
function halveMask(mask: Uint8Array, y0: number, sw: number, out: Uint8Array, j0: number, rows: number, dw: number): void {
  const words = (sw & 3) === 0 && ((mask.byteOffset | out.byteOffset | dw) & 3) === 0;
  const M = words ? new Uint32Array(mask.buffer, mask.byteOffset, mask.length >> 2) : undefined;
  const O = words ? new Uint32Array(out.buffer, out.byteOffset, out.length >> 2) : undefined;
  for (let j = 0; j < rows; j++) {
    const r0 = (2 * (j0 + j) - y0) * sw, r1 = r0 + sw;
    const o = j * dw;
    for (let i = 0, s = 0; i < dw; i++, s += 2) {
      if (M && O && (i & 3) === 0) {
        const w0 = (r0 + s) >> 2, w1 = (r1 + s) >> 2;
        const a = M[w0], b = M[w0 + 1];
        if (allNonZero(a) && allNonZero(b)) {
          O[(o + i) >> 2] = -1;
          i += 3;
          s += 6;
          continue;
        }
        if ((a | b | M[w1] | M[w1 + 1]) === 0) {
          O[(o + i) >> 2] = 0;
          i += 3;
          s += 6;
          continue;
        }
      }
      out[o + i] = mask[r0 + s] | mask[r0 + s + 1] | mask[r1 + s] | mask[r1 + s + 1] ? 255 : 0;
    }
  }
}

/**
 * 1 where a source pixel may contribute, or undefined when every pixel may (the fast path). NaN is
 * skipped only when it is the nodata value: otherwise GDAL lets it propagate into the average.
 */
function validity(src: Rows, band: TypedArray, alpha: TypedArray | undefined, nodata: number | null): Uint8Array | undefined {
  if (!src.mask && !alpha && nodata === null) return undefined;
  const nanIsNodata = nodata !== null && Number.isNaN(nodata);
  const n = src.width * src.rows;
  const ok = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = band[i];
    ok[i] = (src.mask ? src.mask[i] !== 0 : true) && (alpha ? alpha[i] !== 0 : true) && (nanIsNodata ? v === v : v !== nodata) ? 1 : 0;
  }
  return ok;
}

function averageOf(band: TypedArray, valid: Uint8Array | undefined, y0: number, sw: number, x: Span, y: Span): number | undefined {
  let sum = 0, weight = 0;
  for (let sy = y.start; sy < y.end; sy++) {
    const wy = y.weights[sy - y.start];
    const row = (sy - y0) * sw;
    for (let sx = x.start; sx < x.end; sx++) {
      const k = row + sx;
      if (valid && !valid[k]) continue;
      const w = wy * x.weights[sx - x.start];
      sum += band[k] * w;
      weight += w;
    }
  }
  return weight > 0 ? sum / weight : undefined;
}

/**
 * The most frequent valid value, as GDAL counts it: in scan order, a value becomes the answer when its
 * running count passes the answer's, so of two equally frequent values the first to reach that count
 * wins. For classes, where averages mean nothing.
 */
function modeOf(band: TypedArray, valid: Uint8Array | undefined, y0: number, sw: number, x: Span, y: Span): number | undefined {
  const values: number[] = [], counts: number[] = [];
  let best = -1;
  for (let sy = y.start; sy < y.end; sy++) {
    const row = (sy - y0) * sw;
    for (let sx = x.start; sx < x.end; sx++) {
      if (valid && !valid[row + sx]) continue;
      const v = band[row + sx];
      let k = values.indexOf(v);
      if (k < 0) { k = values.push(v) - 1; counts.push(0); }
      counts[k]++;
      if (best < 0 || counts[k] > counts[best]) best = k;
    }
  }
  return best < 0 ? undefined : values[best];
}

/**
 * reduceRows over interleaved rows (into interleaved ones). The common case, 8-bit samples averaged
 * at exactly 2 with every pixel counting or a mask saying which do, goes pixel by pixel with the
 * mask read once for all samples (halveInterleaved8); anything else through band arrays.
 */
function reduceInterleaved(src: Rows, srcHeight: number, dst: Rows, at: number, dstHeight: number, j0: number, j1: number, o: ReduceOptions): void {
  const spp = src.spp!, rows = j1 - j0, dw = dst.width;
  const exact = src.width === 2 * dw && srcHeight === 2 * dstHeight;
  const band = src.bands[0], out = dst.bands[0];
  if (o.method === 'average' && exact && o.nodata === null && (o.alpha === undefined || src.mask) && band instanceof Uint8Array && out instanceof Uint8Array) {
    halveInterleaved8(band, src.mask, src.y0, src.width, spp, out.subarray(at * dw * spp, (at + rows) * dw * spp), j0, rows, dw);
    if (src.mask && dst.mask) halveMask(src.mask, src.y0, src.width, dst.mask.subarray(at * dw, (at + rows) * dw), j0, rows, dw);
    return;
  }
  const planes = (r: Rows, n: number): Rows => ({ ...r, spp: undefined, bands: Array.from({ length: spp }, () => new (r.bands[0].constructor as new (n: number) => TypedArray)(n)) });
  const from = planes(src, src.width * src.rows);
  for (let b = 0; b < spp; b++) copyStrided(asWords(from.bands[b]), 0, 1, asWords(band), b, spp, src.width * src.rows);
  const to = { ...planes(dst, dw * rows), y0: 0, rows, mask: dst.mask?.subarray(at * dw, (at + rows) * dw) };
  reduceRows(from, srcHeight, to, 0, dstHeight, j0, j1, o);
  for (let b = 0; b < spp; b++) copyStrided(asWords(out), at * dw * spp + b, spp, asWords(to.bands[b]), 0, 1, dw * rows);
}

/**
 * halve / halveValid8 over interleaved 8-bit pixels: the same arithmetic sample by sample (a pixel
 * with four valid sources: (sum + 2) >> 2; fewer: floor(sum / n + 0.5); none: 0). RGB and RGBA go
 * four output pixels a step where the mask's words say all their sources count, as halveValid8 does
 * per band; other pixels one by one. A 4096×512 RGB strip with a collar: 6.0–6.9 ms, against
 * 6.6–7.7 for halveValid8 over its three bands and 10–12 ms pixel by pixel (node 20).
 */
function halveInterleaved8(band: Uint8Array, valid: Uint8Array | undefined, y0: number, sw: number, spp: number, out: Uint8Array, j0: number, rows: number, dw: number): void {
  sw |= 0;
  spp |= 0;
  dw |= 0;
  // a row's mask as words: its rows start on words when the width is a multiple of 4
  const M = valid && (sw & 3) === 0 && (valid.byteOffset & 3) === 0 ? new Uint32Array(valid.buffer, valid.byteOffset, valid.length >> 2) : undefined;
  const fours = spp === 3 || spp === 4 ? (valid === undefined || M !== undefined ? dw & ~3 : 0) : 0;
  for (let j = 0; j < rows; j++) {
    const p0 = (2 * (j0 + j) - y0) * sw, p1 = p0 + sw, o = j * dw * spp;
    for (let i = 0; i < fours; i += 4) {
      const w0 = (p0 + 2 * i) >> 2, w1 = (p1 + 2 * i) >> 2;
      if (M && !(allNonZero(M[w0]) && allNonZero(M[w0 + 1]) && allNonZero(M[w1]) && allNonZero(M[w1 + 1]))) {
        pixelsInterleaved8(band, valid!, p0, p1, spp, out, o, i, i + 4);
        continue;
      }
      if (spp === 3) four3(band, (p0 + 2 * i) * 3, (p1 + 2 * i) * 3, out, o + i * 3);
      else four4(band, (p0 + 2 * i) * 4, (p1 + 2 * i) * 4, out, o + i * 4);
    }
    pixelsInterleaved8(band, valid, p0, p1, spp, out, o, fours, dw);
  }
}

/** Four RGB output pixels from eight source pixels of each row, every one valid. */
function four3(band: Uint8Array, s0: number, s1: number, out: Uint8Array, o: number): void {
  for (let k = 0; k < 4; k++, s0 += 6, s1 += 6, o += 3) {
    out[o] = (band[s0] + band[s0 + 3] + band[s1] + band[s1 + 3] + 2) >> 2;
    out[o + 1] = (band[s0 + 1] + band[s0 + 4] + band[s1 + 1] + band[s1 + 4] + 2) >> 2;
    out[o + 2] = (band[s0 + 2] + band[s0 + 5] + band[s1 + 2] + band[s1 + 5] + 2) >> 2;
  }
}

/** four3 for four samples a pixel. */
function four4(band: Uint8Array, s0: number, s1: number, out: Uint8Array, o: number): void {
  for (let k = 0; k < 4; k++, s0 += 8, s1 += 8, o += 4) {
    out[o] = (band[s0] + band[s0 + 4] + band[s1] + band[s1 + 4] + 2) >> 2;
    out[o + 1] = (band[s0 + 1] + band[s0 + 5] + band[s1 + 1] + band[s1 + 5] + 2) >> 2;
    out[o + 2] = (band[s0 + 2] + band[s0 + 6] + band[s1 + 2] + band[s1 + 6] + 2) >> 2;
    out[o + 3] = (band[s0 + 3] + band[s0 + 7] + band[s1 + 3] + band[s1 + 7] + 2) >> 2;
  }
}

/** Output pixels [i0, i1) of the row at `o` (in pixels: source rows p0 and p1), one by one. */
function pixelsInterleaved8(band: Uint8Array, valid: Uint8Array | undefined, p0: number, p1: number, spp: number, out: Uint8Array, o: number, i0: number, i1: number): void {
  for (let i = i0; i < i1; i++) {
    const p = p0 + 2 * i, q = p1 + 2 * i, s0 = p * spp, s1 = q * spp, d = o + i * spp;
    const a = valid ? valid[p] : 1, b = valid ? valid[p + 1] : 1, c = valid ? valid[q] : 1, e = valid ? valid[q + 1] : 1;
    if (a && b && c && e) {
      for (let k = 0; k < spp; k++) out[d + k] = (band[s0 + k] + band[s0 + spp + k] + band[s1 + k] + band[s1 + spp + k] + 2) >> 2;
      continue;
    }
    const n = (a ? 1 : 0) + (b ? 1 : 0) + (c ? 1 : 0) + (e ? 1 : 0);
    for (let k = 0; k < spp; k++) {
      const sum = (a ? band[s0 + k] : 0) + (b ? band[s0 + spp + k] : 0) + (c ? band[s1 + k] : 0) + (e ? band[s1 + spp + k] : 0);
      out[d + k] = n === 0 ? 0 : Math.floor(sum / n + 0.5);
    }
  }
}
