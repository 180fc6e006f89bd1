/**
 * Tile encoding: the predictor, then the codec (deflate, LZW, ZSTD or none). Pure functions over
 * bytes, so the same code runs in the worker threads and inline (workers: 0). Samples arrive
 * little-endian and chunky. ZSTD is WASM loaded on first use: the thread awaits loadZstd() first.
 */
import { constants, deflateSync, type ZlibOptions } from 'node:zlib';
import { deflateInto } from '../util/index.ts';
import { lzwEncode } from './lzw.ts';
import { zstdEncode } from './zstd.ts';

export type Codec = 'deflate' | 'lzw' | 'zstd' | 'none';

export interface EncodeJob {
  /** Chunky samples of one tile (or 1-bit packed mask rows), little-endian. */
  data: Uint8Array;
  width: number;
  height: number;
  samplesPerPixel: number;
  bytesPerSample: number;
  /** 1 none, 2 horizontal differencing (integers), 3 floating point (byte planes, then differencing). */
  predictor: 1 | 2 | 3;
  codec: Codec;
  /** The codec's level: deflate's 1–9 (1 runs only, 2–9 zlib's; default DEFAULT_ZLEVEL) or zstd's 1–22 (ZSTD_LEVEL, default 9). */
  level: number;
}

/**
 * Deflate's default level: 1, which codes runs only (zlib's Z_RLE strategy, "designed to be almost
 * as fast as Z_HUFFMAN_ONLY, but give better compression for PNG image data" — predicted tiles are
 * that). Searching for longer matches is where zlib spends its time on imagery and buys little there:
 * per 512² tile of the bench inputs (compiled package, this 2-core box), level 4 → 1: the float32 DEM
 * 11.0 → 4.9 ms for 6% more bytes, the RGB JPEG input 14.7 → 6.6 ms (+11%), the 10980² uint16 band
 * 8.5 → 3.3 ms (+5%); a land-cover class raster came out 5% smaller. Every output stays smaller than
 * GDAL's default (0.76–0.94×: GDAL leaves the predictor off). Levels 2–9 are zlib's own (4 was the
 * default before: GDAL's libdeflate level 6 costs about what zlib's 4 does).
 */
export const DEFAULT_ZLEVEL = 1;

/** TIFF Compression tag value of a codec; its keys, in this order, are the codecs the CLI lists. */
export const COMPRESSION_TAG: Record<Codec, number> = { deflate: 8, lzw: 5, zstd: 50000, none: 1 };

export function encodeTile(job: EncodeJob): Uint8Array {
  const runs = predict(job);
  if (job.codec === 'none') return job.data;
  if (job.codec === 'lzw') return lzwEncode(job.data);
  if (job.codec === 'zstd') return zstdEncode(job.data, job.level);
  return deflateKept(job.data, deflateOptions(job, runs));
}

/**
 * deflateSync(data, options)'s bytes, through lib/util's kept deflate handle: no stream or zlib state
 * (~400 KB at memLevel 9) built for the call.
 */
export function deflateKept(data: Uint8Array, options: ZlibOptions): Uint8Array {
  // past deflateBound for any input: stored blocks add 5 bytes a 16 KiB, the zlib wrapper 6
  const out = new Uint8Array(data.byteLength + (data.byteLength >> 11) + 64);
  const n = deflateInto(data, options, out);
  if (n !== undefined) return out.slice(0, n);
  const o = deflateSync(data, options);
  return new Uint8Array(o.buffer, o.byteOffset, o.byteLength);
}

/**
 * Below this share of words that are four equal bytes after the predictor, a level-1 tile of 8-bit
 * samples is Huffman coded only (Z_HUFFMAN_ONLY): with no runs the two strategies write the same
 * bytes, and with so few RLE gains next to nothing, while looking for them cost it 6.6 against
 * 4.6 ms a 512² tile of the RGB bench input. That input: 1.06 → 1.02 s (6 alternating runs), 1.41
 * → 1.32 s of CPU, 0.3% more bytes (its collar's tiles keep RLE).
 */
const FEW_RUNS = 1 / 64;

/**
 * memLevel 9 (zlib's default is 8): a larger hash, measured faster and a little smaller on imagery.
 * `runs`: predict()'s share of run words, where it counted them.
 */
export function deflateOptions(job: EncodeJob, runs?: number): ZlibOptions {
  // level 1 is runs only (DEFAULT_ZLEVEL says why), or Huffman codes only where there are no runs
  if (job.level === 1) return { level: 1, memLevel: 9, strategy: runs !== undefined && runs < FEW_RUNS ? constants.Z_HUFFMAN_ONLY : constants.Z_RLE };
  return { level: job.level, memLevel: 9 };
}

/**
 * The job's predictor, applied in place. For 8-bit samples it also returns the share of words that
 * came out as four equal bytes (runs deflate's RLE can code), which deflateOptions reads.
 */
export function predict(job: EncodeJob): number | undefined {
  if (job.predictor === 2) return horizontalDifference(job);
  if (job.predictor === 3) floatingPointDifference(job);
  return undefined;
}

/** Predictor 2, in place: each sample minus the same sample of the pixel to its left, modulo 2^bits. */
function horizontalDifference({ data, width, height, samplesPerPixel: spp, bytesPerSample }: EncodeJob): number | undefined {
  const n = (data.byteLength / bytesPerSample) | 0;
  const row = width * spp;
  // One loop per sample width, each over one array type: through a union of types V8 compiled the
  // loads and stores generically, 3.4 ms a 512² RGB tile on the reading thread against 1.0 (node 20).
  if (bytesPerSample === 1) return differences8(data, row, height, spp);
  else if (bytesPerSample === 2) differences16(new Uint16Array(data.buffer, data.byteOffset, n), row, height, spp);
  else differences32(new Uint32Array(data.buffer, data.byteOffset, n), row, height, spp);
}

const HIGH_BITS = 0x80808080 | 0;

// Right to left, so each difference uses the original left neighbour; typed arrays wrap the result.
function differences8(a: Uint8Array, row: number, height: number, spp: number): number | undefined {
  if (spp <= 4 && (row & 3) === 0 && (a.byteOffset & 3) === 0) return differencesSwar8(a, row, height, spp);
  for (let y = 0; y < height; y++) {
    const start = y * row;
    for (let i = start + row - 1; i >= start + spp; i--) a[i] = a[i] - a[i - spp];
  }
}

/**
 * differences8 four bytes at a time: each word minus the bytes spp to its left (the word's own shifted
 * up, the previous word's top bytes shifted in), subtracted bytewise without borrows crossing bytes
 * (Hacker's Delight 2-18). Rows start on a word and a row's first pixel has 0 to its left. A 512² RGB
 * tile: 1.15 → 0.45 ms (node 20).
 */
function differencesSwar8(a: Uint8Array, row: number, height: number, spp: number): number {
  const w = new Uint32Array(a.buffer, a.byteOffset, (row * height) >> 2);
  const shift = spp * 8, words = row >> 2;
  let runs = 0;
  for (let y = 0; y < height; y++) {
    let prev = 0;
    for (let k = y * words, end = k + words; k < end; k++) {
      const x = w[k];
      const left = shift === 32 ? prev : (prev >>> (32 - shift)) | (x << shift);
      const d = ((x | HIGH_BITS) - (left & ~HIGH_BITS)) ^ ((x ^ ~left) & HIGH_BITS);
      w[k] = d;
      // four equal bytes: the word equals itself shifted a byte, but for the byte shifted in
      if (((d ^ (d >>> 8)) & 0xffffff) === 0) runs++;
      prev = x;
    }
  }
  return w.length > 0 ? runs / w.length : 0;
}

function differences16(a: Uint16Array, row: number, height: number, spp: number): void {
  for (let y = 0; y < height; y++) {
    const start = y * row;
    for (let i = start + row - 1; i >= start + spp; i--) a[i] = a[i] - a[i - spp];
  }
}

function differences32(a: Uint32Array, row: number, height: number, spp: number): void {
  for (let y = 0; y < height; y++) {
    const start = y * row;
    for (let i = start + row - 1; i >= start + spp; i--) a[i] = a[i] - a[i - spp];
  }
}

/**
 * Predictor 3 (libtiff's fpDiff), in place: per row, split the samples into byte planes with the most
 * significant byte first (big-endian order, whatever the file's byte order), then difference the bytes.
 */
function floatingPointDifference({ data, width, height, samplesPerPixel: spp, bytesPerSample: bps }: EncodeJob): void {
  const count = width * spp;
  const rowBytes = count * bps;
  const tmp = new Uint8Array(rowBytes);
  for (let y = 0; y < height; y++) {
    const r = y * rowBytes;
    // Shuffle and difference in one pass: shuffled byte k minus shuffled byte k - spp, where the first
    // spp bytes of a plane follow the last ones of the plane before (libtiff differences the whole row).
    for (let b = 0; b < bps; b++) {
      const plane = b * count;
      const src = r + bps - 1 - b; // little-endian input: the MSB is the last byte of each sample
      const head = Math.min(spp, count);
      for (let i = 0; i < head; i++) {
        const cur = data[src + i * bps];
        tmp[plane + i] = b === 0 ? cur : cur - data[src + 1 + (count - spp + i) * bps];
      }
      for (let i = spp, s = src + spp * bps, p = src; i < count; i++, s += bps, p += bps) tmp[plane + i] = data[s] - data[p];
    }
    data.set(tmp, r);
  }
}

/**
 * A tile's mask as GDAL stores masks: 1-bit rows, MSB first, each row padded to a byte, `size` rows
 * of `size` pixels. The tile is columns [x0, x0 + w) of the first `rows` rows of a 0/non-zero mask
 * `stride` pixels wide; pixels beyond them are 0. Eight pixels whose bytes start on a word become one
 * byte through two words: a multiply gathers a word's four byte flags into four bits (0.6 → 0.15 ms a
 * 512² tile, node 20).
 */
export function packMask(mask: Uint8Array, stride: number, x0: number, w: number, rows: number, size: number): Uint8Array {
  const rowBytes = (size + 7) >> 3;
  const out = new Uint8Array(rowBytes * size);
  const words = ((mask.byteOffset | stride | x0) & 3) === 0 ? new Uint32Array(mask.buffer, mask.byteOffset, mask.length >> 2) : undefined;
  for (let y = 0; y < rows; y++) {
    const src = y * stride + x0, dst = y * rowBytes;
    let x = 0;
    if (words) {
      for (let q = src >> 2; x + 8 <= w; x += 8, q += 2) out[dst + (x >> 3)] = (flags4(words[q]) << 4) | flags4(words[q + 1]);
    }
    for (; x < w; x++) if (mask[src + x]) out[dst + (x >> 3)] |= 0x80 >> (x & 7);
  }
  return out;
}

/**
 * A word's four bytes (the first in its low byte) as four bits, the first the highest: 1 for a
 * non-zero byte. Each byte's flag is brought to its lowest bit, and the multiply by 0x08040201 adds
 * the word shifted so that byte k's bit lands on bit 27 − k, with no other term reaching bits 24–27.
 */
function flags4(w: number): number {
  const nonZero = ((((w & 0x7f7f7f7f) + 0x7f7f7f7f) | w) >>> 7) & 0x01010101;
  return (Math.imul(nonZero, 0x08040201) >>> 24) & 0xf;
}
