/**
 * reduceRows at a ratio of exactly 2 (overview-resample.ts's fast paths) against the definition of
 * GDAL's average: the valid pixels of each 2×2 cell summed in scan order and divided by their count,
 * rounded half up for integers, nodata where none is valid; the mask valid where any pixel is. With a
 * mask, an alpha band, nodata and NaN as nodata, in rows that start past the source's first row.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reduceRows, type ReduceOptions, type Rows } from '../lib/optimize/overview-resample.ts';
import type { TypedArray } from '../lib/raster/index.ts';

const W = 37 * 2, H = 12; // source rows 6..17 of a 48-row level: destination rows 3..8 of 24

function rand(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

function expected(src: Rows, b: number, o: ReduceOptions, dw: number, j0: number, rows: number, fill: number): { out: number[]; mask: number[] } {
  const out: number[] = [], mask: number[] = [];
  const alpha = o.alpha !== undefined && !src.mask ? src.bands[o.alpha] : undefined;
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < dw; i++) {
      let sum = 0, n = 0, any = 0;
      for (const k of [0, 1].flatMap((dy) => [0, 1].map((dx) => (2 * (j0 + j) + dy - src.y0) * src.width + 2 * i + dx))) {
        const v = src.bands[b][k];
        any |= src.mask?.[k] ?? 0;
        const ok = (src.mask ? src.mask[k] !== 0 : true) && (alpha ? alpha[k] !== 0 : true)
          && (o.nodata === null ? true : Number.isNaN(o.nodata) ? v === v : v !== o.nodata);
        if (ok) { sum += v; n++; }
      }
      out.push(n === 0 ? fill : o.integer ? Math.floor(sum / n + 0.5) : sum / n);
      mask.push(any ? 255 : 0);
    }
  }
  return { out, mask };
}

function check(make: () => TypedArray, bands: number, o: ReduceOptions, withMask: boolean, value: (r: () => number) => number): void {
  const r = rand(bands * 7 + (withMask ? 1 : 0));
  const src: Rows = {
    y0: 6, rows: H, width: W,
    bands: Array.from({ length: bands }, () => { const a = make(); for (let i = 0; i < a.length; i++) a[i] = value(r); return a; }),
    mask: withMask ? Uint8Array.from({ length: W * H }, () => (r() < 0.3 ? 0 : 255)) : undefined,
  };
  const dw = W / 2, rows = H / 2, j0 = 3;
  const dst: Rows = { y0: 0, rows: 0, width: dw, bands: Array.from({ length: bands }, () => new (src.bands[0].constructor as new (n: number) => TypedArray)(dw * 8)), mask: withMask ? new Uint8Array(dw * 8) : undefined };
  reduceRows(src, 48, dst, 1, 24, j0, j0 + rows, o);
  for (let b = 0; b < bands; b++) {
    const want = expected(src, b, o, dw, j0, rows, o.nodata ?? 0);
    // as the band's type holds them (float32 rounds the average)
    const held = Array.from(new (src.bands[0].constructor as new (a: number[]) => TypedArray)(want.out));
    assert.deepEqual(Array.from(dst.bands[b].subarray(dw, dw * (1 + rows))), held, `band ${b}`);
    if (withMask) assert.deepEqual(Array.from(dst.mask!.subarray(dw, dw * (1 + rows))), want.mask, 'mask');
  }
}

describe('reduceRows at a ratio of exactly 2', () => {
  const u8 = () => new Uint8Array(W * H), f32 = () => new Float32Array(W * H), i16 = () => new Int16Array(W * H);
  it('a mask, over three bands (RGB with a mask)', () => {
    check(u8, 3, { method: 'average', integer: true, nodata: null }, true, (r) => Math.floor(r() * 256));
  });
  it('an alpha band masks every band, its own included', () => {
    check(u8, 4, { method: 'average', integer: true, nodata: null, alpha: 3 }, false, (r) => (r() < 0.3 ? 0 : Math.floor(r() * 256)));
  });
  it('integer nodata, and NaN as float nodata', () => {
    check(i16, 1, { method: 'average', integer: true, nodata: -9999 }, false, (r) => (r() < 0.4 ? -9999 : Math.floor(r() * 2000 - 1000)));
    check(f32, 1, { method: 'average', integer: false, nodata: NaN }, false, (r) => (r() < 0.4 ? NaN : Math.fround(r() * 1000)));
  });
  it('no invalid pixels at all (the plain halving)', () => {
    check(f32, 2, { method: 'average', integer: false, nodata: null }, false, (r) => Math.fround(r() * 1000));
  });
});

/**
 * Interleaved rows (optimize keeps 8-bit imagery so) must reduce to what band arrays reduce to, on the
 * pixel path (8-bit, average, exactly 2, a mask or nothing) and through band arrays (anything else).
 */
describe('reduceRows over interleaved rows', () => {
  const interleave = (r: Rows): Rows => {
    const spp = r.bands.length, n = r.width * r.rows;
    const one = new (r.bands[0].constructor as new (n: number) => TypedArray)(n * spp);
    for (let i = 0; i < n; i++) for (let b = 0; b < spp; b++) one[i * spp + b] = r.bands[b][i];
    return { ...r, bands: [one], spp };
  };

  function compare(spp: number, srcWidth: number, srcHeight: number, dstWidth: number, dstHeight: number, o: ReduceOptions, withMask: boolean, seed: number): void {
    const r = rand(seed);
    const rows = 12, y0 = 6;
    const src: Rows = {
      y0, rows, width: srcWidth,
      bands: Array.from({ length: spp }, () => Uint8Array.from({ length: srcWidth * rows }, () => (r() < 0.1 ? 0 : Math.floor(r() * 256)))),
      mask: withMask ? Uint8Array.from({ length: srcWidth * rows }, () => (r() < 0.3 ? 0 : 255)) : undefined,
    };
    // destination rows whose sources lie inside the source rows held
    const scale = srcHeight / dstHeight, j0 = Math.ceil(y0 / scale), j1 = Math.floor((y0 + rows) / scale) - 1;
    const make = (interleaved: boolean): Rows => ({
      y0: 0, rows: 0, width: dstWidth, spp: interleaved ? spp : undefined,
      bands: interleaved ? [new Uint8Array(dstWidth * 8 * spp)] : Array.from({ length: spp }, () => new Uint8Array(dstWidth * 8)),
      mask: withMask ? new Uint8Array(dstWidth * 8) : undefined,
    });
    const planar = make(false), chunky = make(true);
    reduceRows(src, srcHeight, planar, 1, dstHeight, j0, j1, o);
    reduceRows(interleave(src), srcHeight, chunky, 1, dstHeight, j0, j1, o);
    const label = `${spp} samples, ${srcWidth}→${dstWidth}, ${o.method}${o.nodata === null ? '' : ` nodata ${o.nodata}`}${withMask ? ', a mask' : ''}`;
    assert.ok(j1 > j0, label);
    assert.deepEqual(Array.from(chunky.bands[0]), Array.from(interleave({ ...planar, rows: 8 }).bands[0]), label);
    if (withMask) assert.deepEqual(Array.from(chunky.mask!), Array.from(planar.mask!), `${label}: mask`);
  }

  const average: ReduceOptions = { method: 'average', integer: true, nodata: null };
  it('exactly 2, with a mask or without (the pixel path), RGB and four samples', () => {
    compare(3, 74, 48, 37, 24, average, true, 1);
    compare(3, 74, 48, 37, 24, average, false, 2);
    compare(4, 74, 48, 37, 24, average, true, 3);
  });
  it('an odd size, nodata or another method: through band arrays', () => {
    compare(3, 75, 49, 38, 25, average, true, 4);
    compare(3, 74, 48, 37, 24, { ...average, nodata: 0 }, false, 5);
    compare(3, 74, 48, 37, 24, { ...average, method: 'nearest' }, true, 6);
    compare(4, 74, 48, 37, 24, { ...average, alpha: 3 }, false, 7);
  });
});
