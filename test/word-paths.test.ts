/**
 * The hot paths that move bytes a 32-bit word at a time (8-bit RGB split and join, predictor 2 over
 * bytes, 1-bit masks, halving 8-bit bands) against plain per-sample loops written here: every
 * alignment, tail length and samples-per-pixel the fast paths branch on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { packMask, predict } from '../lib/optimize/encode.ts';
import { reduceRows } from '../lib/optimize/overview-resample.ts';
import { expandBits } from '../lib/raster/decode/index.ts';
import { encodePalettePng } from '../lib/render/png.ts';
import { stretchToIndices, stretchValue } from '../lib/render/stretch.ts';
import { joinRgb8, splitRgb8 } from '../lib/raster/index.ts';

function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** `n` bytes at byte offset `at` of a buffer of their own: misaligned views on purpose. */
function at(bytes: Uint8Array, offset: number): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(bytes.length + offset + 8), offset, bytes.length);
  out.set(bytes);
  return out;
}

describe('word-at-a-time paths equal per-sample loops', () => {
  it('splitRgb8 and joinRgb8, for every alignment of source and planes and every tail length', () => {
    for (const n of [0, 1, 3, 4, 5, 8, 517]) {
      for (let so = 0; so < 4; so++) {
        for (let d = 0; d < 4; d++) {
          const src = at(noise(n * 3 + 12, n + so), so);
          const planes = [0, 1, 2].map(() => at(new Uint8Array(n + 8), d));
          splitRgb8(src, 4 - so, planes[0], planes[1], planes[2], 4 - d, n);
          for (let i = 0; i < n; i++) {
            for (let c = 0; c < 3; c++) assert.equal(planes[c][4 - d + i], src[4 - so + 3 * i + c], `split n=${n} offsets ${so},${d} pixel ${i} sample ${c}`);
          }
          const back = at(new Uint8Array(n * 3 + 12), so);
          joinRgb8(back, 4 - so, planes[0], planes[1], planes[2], 4 - d, n);
          assert.deepEqual(back.subarray(4 - so, 4 - so + 3 * n), src.subarray(4 - so, 4 - so + 3 * n), `join n=${n} offsets ${so},${d}`);
          assert.ok(back.subarray(0, 4 - so).every((v) => v === 0) && back.subarray(4 - so + 3 * n).every((v) => v === 0), 'join writes nothing outside its pixels');
        }
      }
    }
  });

  it('predictor 2 over bytes, 1 to 4 samples a pixel, aligned or not, rows of whole words or not', () => {
    for (const spp of [1, 2, 3, 4, 5]) {
      for (const width of [1, 4, 7, 512]) {
        for (const offset of [0, 1]) {
          const height = 3;
          const original = noise(width * spp * height, spp * 1000 + width);
          const data = at(original, offset);
          predict({ data, width, height, samplesPerPixel: spp, bytesPerSample: 1, predictor: 2, codec: 'deflate', level: 1 });
          const row = width * spp;
          for (let i = 0; i < original.length; i++) {
            const x = i % row;
            const want = x < spp ? original[i] : (original[i] - original[i - spp]) & 0xff;
            if (data[i] !== want) assert.fail(`spp ${spp} width ${width} offset ${offset}: byte ${i} is ${data[i]}, expected ${want}`);
          }
        }
      }
    }
  });

  it('expandBits for widths of whole words, whole bytes and neither', () => {
    for (const width of [4, 8, 12, 13, 512]) {
      const height = 5;
      const rowBytes = Math.ceil(width / 8);
      const bits = noise(rowBytes * height, width);
      const out = expandBits(bits, width, height);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const set = (bits[y * rowBytes + (x >> 3)] >> (7 - (x & 7))) & 1;
          assert.equal(out[y * width + x], set ? 255 : 0, `width ${width} pixel ${x},${y}`);
        }
      }
    }
  });

  it('halving 8-bit bands and their mask: the mean of the valid pixels rounded half up (none valid: 0), valid where any is; word-wide rows and not', () => {
    for (const width of [64, 62]) {
      const rows = 8, dw = width / 2;
      const bands = [noise(width * rows, 1), noise(width * rows, 2)];
      // a masked third, a random third (cells of 0 to 4 valid pixels), a valid third
      const coin = noise(width * rows, 3);
      const mask = coin.map((v, k) => ((k % width) < width / 3 ? 0 : (k % width) > (2 * width) / 3 ? 255 : v & 3 ? 255 : 0));
      const dst = { y0: 0, rows: 0, width: dw, bands: [new Uint8Array(dw * rows / 2), new Uint8Array(dw * rows / 2)], mask: new Uint8Array(dw * rows / 2) };
      reduceRows({ y0: 0, rows, width, bands, mask }, rows, dst, 0, rows / 2, 0, rows / 2, { method: 'average', integer: true, nodata: null });
      for (let j = 0; j < rows / 2; j++) {
        for (let i = 0; i < dw; i++) {
          const cell = [2 * j * width + 2 * i, 2 * j * width + 2 * i + 1, (2 * j + 1) * width + 2 * i, (2 * j + 1) * width + 2 * i + 1];
          const n = cell.filter((k) => mask[k]).length;
          assert.equal(dst.mask[j * dw + i], n ? 255 : 0, `width ${width}: mask at ${i},${j}`);
          for (let b = 0; b < 2; b++) {
            const sum = cell.reduce((acc, k) => acc + (mask[k] ? bands[b][k] : 0), 0);
            assert.equal(dst.bands[b][j * dw + i], n ? Math.floor(sum / n + 0.5) : 0, `width ${width}: band ${b} pixel ${i},${j} (${n} valid)`);
          }
        }
      }
    }
  });

  it('packMask: a tile cut from mask rows to 1-bit rows, MSB first, for strides and cuts on words and not', () => {
    for (const [stride, x0, w, rows, size] of [[64, 0, 64, 64, 64], [64, 4, 37, 20, 40], [62, 3, 40, 9, 48], [64, 8, 13, 5, 16]]) {
      const mask = noise(stride * rows, stride + x0).map((v) => (v & 1 ? 255 : v & 2 ? 7 : 0));
      const out = packMask(mask, stride, x0, w, rows, size);
      const rowBytes = (size + 7) >> 3;
      assert.equal(out.length, rowBytes * size);
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const want = y < rows && x < w && mask[y * stride + x0 + x] !== 0 ? 1 : 0;
          assert.equal((out[y * rowBytes + (x >> 3)] >> (7 - (x & 7))) & 1, want, `stride ${stride} x0 ${x0}: bit ${x},${y}`);
        }
      }
    }
  });

  it('palette PNGs: rows filtered Up four samples at a time give the same bytes as sample by sample', () => {
    const palette = new Uint8Array(256 * 4).map((_, i) => (i * 37) & 255);
    for (const [width, height] of [[256, 256], [64, 3], [12, 5]]) {
      // smooth indices with noise, so Up differences wrap both ways
      const indices = noise(width * height, width).map((v, i) => (((i % width) + (i / width) * 2) & 0xff) ^ (v & 3));
      const aligned = encodePalettePng(indices, width, height, palette);
      // the same pixels at byte offset 1: the per-sample path
      const misaligned = encodePalettePng(at(indices, 1), width, height, palette);
      assert.deepEqual(aligned, misaligned, `${width}×${height}`);
    }
  });

  it('palette PNGs: PLTE ends at the highest index used, wherever in a word of four samples it lies', () => {
    const palette = new Uint8Array(256 * 4).map((_, i) => (i * 37) & 255);
    for (let lane = 0; lane < 4; lane++) {
      const indices = noise(64 * 9, lane).map((v) => 1 + (v % 90));
      indices[4 * 77 + lane] = 200;
      for (const px of [indices, at(indices, 1)]) {
        const png = Buffer.from(encodePalettePng(px, 64, 9, palette));
        const plte = png.indexOf('PLTE');
        assert.equal(png.readUInt32BE(plte - 4), 201 * 3, `lane ${lane}, byte offset ${px.byteOffset & 3}`);
      }
    }
  });

  it('stretch through a table: samples read a word at a time (uint8, uint16) give the arithmetic loop\'s indices, at every alignment and tail', () => {
    for (const n of [4096, 4097, 4099, 4102]) {
      for (const bytes of [1, 2]) {
        const raw = noise(n * bytes + 8, n + bytes);
        for (let so = 0; so < 4; so += bytes) {
          for (let d = 0; d < 4; d++) {
            const band = bytes === 1 ? at(raw.subarray(0, n), so) : new Uint16Array(at(raw.subarray(0, n * 2), so).buffer, so, n);
            const mask = new Uint8Array(n).fill(255);
            mask[3] = 0;
            mask[n - 1] = 0;
            const out = at(new Uint8Array(n), d);
            const [lo, hi] = bytes === 1 ? [20, 230] : [9000, 50000];
            stretchToIndices(band, mask, lo, hi, out);
            for (let i = 0; i < n; i++) {
              assert.equal(out[i], mask[i] === 0 ? 0 : stretchValue(band[i], lo, hi), `${bytes * 8}-bit n=${n} sample offset ${so}, output offset ${d}, pixel ${i}`);
            }
          }
        }
      }
    }
  });
});

