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
