import * as zlib from 'node:zlib';
import { deflateInto } from '../util/index.ts';

/**
 * PNG encoding straight over node:zlib: the hot path's last step.
 *
 * Chosen against upng-js 2.1.0 with its defaults (UPNG.encode on the RGBA image: ≤256 colours
 * become a palette PNG, filter None; truecolour tries all five filters and keeps the smallest;
 * deflate level 6 in JS) by scripts/tools/bench/render.ts — Node 20, this shared 2-core box, best of
 * five batches, ms per tile including the stretch (and colormap) from uint16 samples:
 *
 *   256² tile, texture          this encoder        upng-js
 *   singleband viridis  mild     1.25 ms  27.0 KB    12.8 ms  47.1 KB
 *                       noisy    1.01 ms  35.4 KB    10.7 ms  55.2 KB
 *                       clean    1.01 ms  17.2 KB     9.9 ms  24.7 KB
 *                       4× zoom  0.63 ms   5.5 KB     8.6 ms   7.3 KB
 *   rgb RGBA            mild     4.46 ms  93.6 KB     312 ms  96.2 KB
 *                       noisy    4.03 ms 121.6 KB     132 ms 130.1 KB
 *                       clean    16.8 ms  42.9 KB     153 ms  43.6 KB
 *                       4× zoom  2.67 ms  11.8 KB    33.1 ms  12.3 KB
 *   (512²: singleband 2.4-3.8 ms vs 33-45 ms at 57-73% of the bytes; rgb 11-73 ms vs 55-346 ms, 84-95%.)
 *
 * So this encoder is on the hot path: 10-70× faster and never larger. Its choices:
 * - every row filtered Up. A stretched raster's palette indices are ordinal, so Up turns smooth
 *   areas into zeros: palettes come out 1.6-4× smaller than with None (upng-js's choice and the
 *   usual advice for palettes). For RGBA, Up takes under half Paeth's time for ≤ 6% more bytes.
 * - deflate with Z_RLE (run-length matches only): 2.5-10× faster than level 6 and within 2% of
 *   its size on textured data. Noise-free smooth images are the exception (RLE 1.3× larger for a
 *   palette, still well under upng-js; 1.9× for RGBA, over it), so truecolour gets a cheap trial
 *   on a strip (see idat) and level 6 where matches pay.
 */

export interface PngEncodeOptions {
  /**
   * 'fast' (default): the choices above. 'small': every filter type × {RLE, level 6}, keeping the
   * smallest — up to 5% smaller than 'fast', 5-17× slower; for previews and cached output.
   */
  effort?: 'fast' | 'small';
}

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
/** PNG row filter types. */
export const Filter = { None: 0, Sub: 1, Up: 2, Average: 3, Paeth: 4 } as const;
export type Filter = (typeof Filter)[keyof typeof Filter];

/**
 * An 8-bit indexed PNG. `palette` is RGBA (4 bytes per entry, up to 256 entries); entries with
 * alpha < 255 go into tRNS, so an index-0-transparent palette makes index 0 transparent.
 * PLTE is cut after the highest index the image uses.
 */
export function encodePalettePng(indices: Uint8Array, width: number, height: number, palette: Uint8Array, options: PngEncodeOptions = {}): Uint8Array {
  checkSize(indices.length, width, height, 1);
  // 'fast': the rows filtered Up and the highest index found in one pass (0.26 ms for a 256² tile
  // here, against 0.26 + 0.18 ms for filterRows and a separate scan)
  const fast = options.effort !== 'small' ? upRows(indices, width, height) : undefined;
  let used = fast?.used ?? 0;
  if (!fast) for (let i = 0; i < indices.length; i++) if (indices[i] > used) used = indices[i];
  const entries = Math.min(used + 1, palette.length >> 2);
  if (used >= entries) throw new RangeError(`index ${used} is past the palette's ${palette.length >> 2} entries`);
  const plte = new Uint8Array(entries * 3);
  let alphaEnd = 0;
  for (let k = 0; k < entries; k++) {
    plte[k * 3] = palette[k * 4];
    plte[k * 3 + 1] = palette[k * 4 + 1];
    plte[k * 3 + 2] = palette[k * 4 + 2];
    if (palette[k * 4 + 3] !== 255) alphaEnd = k + 1;
  }
  const trns = new Uint8Array(alphaEnd);
  for (let k = 0; k < alphaEnd; k++) trns[k] = palette[k * 4 + 3];
  const chunks: [string, Uint8Array][] = [['PLTE', plte]];
  if (alphaEnd > 0) chunks.push(['tRNS', trns]);
  return assemble(width, height, 3, chunks, fast ? deflateRle(fast.rows) : idat(indices, width, height, 1, options));
}

/**
 * Filtered rows, and upWords' word-aligned scratch after them, are written into one buffer kept for
 * the purpose up to this size (deflate reads the rows at once).
 */
const KEEP_ROWS = 2 << 20;
let rowScratch = new Uint8Array(0);
const seen = new Uint8Array(256);

/** One-byte samples as rows filtered Up (filterRows' output), and the highest sample. */
function upRows(px: Uint8Array, width: number, height: number): { rows: Uint8Array; used: number } {
  const stride = width + 1, size = height * stride;
  const words = (width & 3) === 0 && (px.byteOffset & 3) === 0;
  // upWords' scratch: word-aligned, after the rows
  const scratchAt = (size + 3) & ~3, length = words ? scratchAt + width * height : size;
  let whole: Uint8Array;
  if (length <= KEEP_ROWS) {
    if (rowScratch.length < length) rowScratch = new Uint8Array(Math.min(KEEP_ROWS, Math.max(length, 2 * rowScratch.length)));
    whole = rowScratch;
  } else {
    whole = new Uint8Array(length);
  }
  const rows = whole.subarray(0, size);
  if (words) return { rows, used: upWords(px, width, height, whole, scratchAt) };
  // which values occur, by a store per sample rather than a compare and branch
  seen.fill(0);
  rows[0] = Filter.Up;
  for (let x = 0; x < width; x++) {
    const v = px[x];
    rows[1 + x] = v;
    seen[v] = 1;
  }
  for (let y = 1; y < height; y++) {
    const o = y * stride + 1, p = y * width, up = p - width;
    rows[o - 1] = Filter.Up;
    for (let x = 0; x < width; x++) {
      const v = px[p + x];
      rows[o + x] = v - px[up + x];
      seen[v] = 1;
    }
  }
  let used = 255;
  while (used > 0 && seen[used] === 0) used--;
  return { rows, used };
}

const HIGH_BITS = 0x80808080 | 0;

/**
 * upRows' filtering four samples at a time: each word of a row minus the word above it, bytewise
 * without borrows between bytes (Hacker's Delight 2-18), into a word-aligned scratch at
 * whole[scratchAt …], then each row copied behind its filter byte at whole[0 …] (the rows of a PNG
 * are one byte longer, so never word-aligned). One buffer, so copyWithin moves the rows without a
 * view made for each (256 a tile, an eighth of a fresh tile's allocation before).
 * Returns the highest sample, kept per byte lane as the words pass: a separate occurrence scan
 * cost 0.085 ms a 256² tile on its own. 256² samples: 0.145 → 0.09 ms with that scan (node 20).
 */
function upWords(px: Uint8Array, width: number, height: number, whole: Uint8Array, scratchAt: number): number {
  width |= 0;
  height |= 0;
  const words = (width * height) >> 2, across = width >> 2;
  const w = new Uint32Array(px.buffer, px.byteOffset, words);
  const d = new Uint32Array(whole.buffer, whole.byteOffset + scratchAt, words);
  let m0 = 0, m1 = 0, m2 = 0, m3 = 0;
  for (let k = 0; k < words; k++) {
    const x = w[k];
    // lane by lane; the above row's word is 0 for the first row, whose samples are kept as they are
    const up = k < across ? 0 : w[k - across];
    d[k] = ((x | HIGH_BITS) - (up & ~HIGH_BITS)) ^ ((x ^ ~up) & HIGH_BITS);
    const a = x & 255, b = (x >>> 8) & 255, c = (x >>> 16) & 255, e = x >>> 24;
    if (a > m0) m0 = a;
    if (b > m1) m1 = b;
    if (c > m2) m2 = c;
    if (e > m3) m3 = e;
  }
  for (let y = 0, o = 0; y < height; y++, o += width + 1) {
    whole[o] = Filter.Up;
    whole.copyWithin(o + 1, scratchAt + y * width, scratchAt + (y + 1) * width);
  }
  return Math.max(m0, m1, m2, m3);
}

let deflateScratch = new Uint8Array(0);

/**
 * deflateSync(rows, RLE)'s bytes, through a kept zlib handle (lib/util) into a kept output buffer: no
 * zlib state (~270 KB) or stream built per tile. 0.32-0.44 ms for a 256² palette tile here, against
 * 0.48-0.50 ms. The result is valid until the next call; assemble copies it at once.
 */
function deflateRle(rows: Uint8Array): Uint8Array {
  // zlib's deflateBound for these settings, and a margin
  const bound = rows.length + (rows.length >> 12) + (rows.length >> 14) + (rows.length >> 25) + 64;
  if (bound > KEEP_ROWS + 65536) return zlib.deflateSync(rows, RLE);
  if (deflateScratch.length < bound) deflateScratch = new Uint8Array(bound);
  const n = deflateInto(rows, RLE, deflateScratch);
  return n === undefined ? zlib.deflateSync(rows, RLE) : deflateScratch.subarray(0, n);
}

/** An 8-bit RGBA PNG from interleaved RGBA samples. */
export function encodeRgbaPng(rgba: Uint8Array, width: number, height: number, options: PngEncodeOptions = {}): Uint8Array {
  checkSize(rgba.length, width, height, 4);
  return assemble(width, height, 6, [], idat(rgba, width, height, 4, options));
}

const empties = new Map<string, Uint8Array>();

/** A fully transparent tile (a 1-entry palette), as Terracotta answers outside a dataset. Shared; read-only. */
export function emptyPng(width: number, height: number): Uint8Array {
  const key = `${width}x${height}`;
  let png = empties.get(key);
  if (!png) {
    png = encodePalettePng(new Uint8Array(width * height), width, height, new Uint8Array(4), { effort: 'small' });
    if (empties.size < 16) empties.set(key, png);
  }
  return png;
}

function checkSize(length: number, width: number, height: number, bpp: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`bad PNG size ${width}×${height}`);
  }
  if (length !== width * height * bpp) throw new RangeError(`${length} samples for a ${width}×${height}×${bpp} image`);
}

const RLE = { strategy: zlib.constants.Z_RLE };
const LZ = { level: 6 };

function idat(px: Uint8Array, width: number, height: number, bpp: number, options: PngEncodeOptions): Uint8Array {
  if (options.effort === 'small') {
    let best: Uint8Array | undefined;
    for (const filter of [Filter.None, Filter.Sub, Filter.Up, Filter.Average, Filter.Paeth]) {
      const rows = filterRows(px, width, height, bpp, filter);
      for (const z of [zlib.deflateSync(rows, RLE), zlib.deflateSync(rows, LZ)]) if (!best || z.length < best.length) best = z;
    }
    return best!;
  }
  // Up is bytewise, so truecolour rows are filtered as one-byte samples four times as wide: word at a
  // time (upRows). A 256² RGBA tile took 0.83 ms in filterRows' byte loop; encoded whole, a smooth
  // one went 1.12 → 0.38 ms (node 20). The same bytes.
  const rows = upRows(px, width * bpp, height).rows;
  // Truecolour: run-length matching suits textured imagery, real LZ matching smooth imagery
  // (2-3× smaller there, 2-8× slower). A trial on a strip of rows from the middle picks one;
  // its LZ runs at level 1, which already shows whether matches pay, at a sixth of the cost.
  const stride = width * bpp + 1, n = Math.min(height, Math.max(8, height >> 3));
  const first = Math.min(Math.floor((height * 7) / 16), height - n);
  const strip = rows.subarray(first * stride, (first + n) * stride);
  const lzPays = zlib.deflateSync(strip, { level: 1 }).length < deflateRle(strip).length;
  return lzPays ? zlib.deflateSync(rows, LZ) : deflateRle(rows);
}

/** Rows prefixed by their filter byte, the same filter on every row. */
export function filterRows(px: Uint8Array, width: number, height: number, bpp: number, filter: Filter): Uint8Array {
  const stride = width * bpp;
  const out = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const o = y * (stride + 1) + 1, p = y * stride, up = p - stride;
    out[o - 1] = filter;
    if (filter === Filter.None || (y === 0 && filter === Filter.Up)) {
      out.set(px.subarray(p, p + stride), o);
    } else if (filter === Filter.Sub || (y === 0 && filter === Filter.Paeth)) {
      // Paeth with no row above predicts from the left alone: exactly Sub.
      for (let x = 0; x < stride; x++) out[o + x] = px[p + x] - (x >= bpp ? px[p + x - bpp] : 0);
    } else if (filter === Filter.Up) {
      for (let x = 0; x < stride; x++) out[o + x] = px[p + x] - px[up + x];
    } else if (filter === Filter.Average) {
      for (let x = 0; x < stride; x++) {
        out[o + x] = px[p + x] - (((x >= bpp ? px[p + x - bpp] : 0) + (y > 0 ? px[up + x] : 0)) >> 1);
      }
    } else {
      for (let x = 0; x < bpp; x++) out[o + x] = px[p + x] - px[up + x];
      for (let x = bpp; x < stride; x++) {
        const a = px[p + x - bpp], b = px[up + x], c = px[up + x - bpp];
        const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
        out[o + x] = px[p + x] - (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
    }
  }
  return out;
}

function assemble(width: number, height: number, colorType: number, extra: [string, Uint8Array][], data: Uint8Array): Uint8Array {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, colorType, 0, 0, 0], 8); // depth 8, deflate, adaptive filtering, no interlace
  const chunks: [string, Uint8Array][] = [['IHDR', ihdr], ...extra, ['IDAT', data], ['IEND', new Uint8Array(0)]];
  const total = SIGNATURE.length + chunks.reduce((s, [, d]) => s + d.length + 12, 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out.set(SIGNATURE, 0);
  let o = SIGNATURE.length;
  for (const [type, body] of chunks) {
    dv.setUint32(o, body.length);
    for (let i = 0; i < 4; i++) out[o + 4 + i] = type.charCodeAt(i);
    out.set(body, o + 8);
    dv.setUint32(o + 8 + body.length, crc32(out, o + 4, o + 8 + body.length));
    o += body.length + 12;
  }
  return out;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Uint8Array, start: number, end: number): number {
  // zlib.crc32 is native from Node 20.15 / 22.2; the table loop keeps older Nodes working.
  if (typeof zlib.crc32 === 'function') return zlib.crc32(buf.subarray(start, end));
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
