import { TiffError } from '../../tiff/index.ts';
import type * as BaselineModule from './jpeg-baseline.ts';
import { mozjpegDecode } from './mozjpeg.ts';

/**
 * JPEG (TIFF compression 7): grey and YCbCr blocks (what GDAL writes) through libjpeg as WASM
 * (mozjpeg.ts: 4–5× faster, and exactly what GDAL reads); the rest (Photometric RGB, CMYK, unusual
 * component ids) with geotiff's decoder (jpeg-baseline.ts), loaded only when such a block comes:
 * geotiff's module took 35–45 ms to load, which every first JPEG block waited for (optimize's first
 * rows, a function's first JPEG tile).
 */
export interface JpegBlockParams {
  width: number;
  height: number;
  /** The most rows the frame may declare (BlockParams.maxRows); by default exactly `height`. */
  maxRows?: number;
  samples: number;
  photometric: number;
  jpegTables?: Uint8Array;
}

export interface FrameInfo {
  width: number;
  height: number;
  precision: number;
  /** Component ids, then sampling factors per component, in frame order. */
  ids: number[];
  h: number[];
  v: number[];
}

export const PHOTOMETRIC_YCBCR = 6;

/** `loadBaseline` brings jpeg-baseline.ts: decode/index.ts's loader (optimize's TypeScript worker threads require it). */
export async function jpegDecode(src: Uint8Array, p: JpegBlockParams, loadBaseline: () => Promise<typeof BaselineModule>): Promise<Uint8Array> {
  const frame = readFrameHeader(src);
  if (frame.precision !== 8) throw new TiffError(`JPEG: ${frame.precision}-bit JPEG is not supported (8-bit only)`);
  const comps = frame.h.length;
  if (comps !== p.samples) {
    throw new TiffError(`JPEG: the stream has ${comps} component(s), the block has ${p.samples} sample(s) per pixel`);
  }
  // Decoding costs the frame's area, not the stream's length: a 700-byte tile declaring 128×60000
  // took 1.6 s to fail. So the frame is the block, as libtiff requires, or a last strip cut short.
  if (frame.width !== p.width || frame.height < p.height || frame.height > (p.maxRows ?? p.height)) {
    throw new TiffError(`JPEG: output size mismatch: frame is ${frame.width}×${frame.height}, the block is ${p.width}×${p.height}`);
  }

  if (comps === 1 || (comps === 3 && p.photometric === PHOTOMETRIC_YCBCR && frame.ids.join() === '1,2,3')) {
    return fromRgba(await mozjpegDecode(src, p.jpegTables), frame, p, comps);
  }
  return (await loadBaseline()).baselineDecode(src, frame, p);
}

/** libjpeg's RGBA (grey repeated in R, G and B) → the block's `comps` samples per pixel, its rows only. */
function fromRgba(d: { rgba: Uint8Array; width: number; height: number }, frame: FrameInfo, p: JpegBlockParams, comps: number): Uint8Array {
  if (d.width !== frame.width || d.height !== frame.height) {
    throw new TiffError(`JPEG: output size mismatch: decoded ${d.width}×${d.height}, the frame is ${frame.width}×${frame.height}`);
  }
  const n = p.width * p.height;
  const out = new Uint8Array(n * comps);
  const { rgba } = d;
  if (comps === 1) {
    for (let i = 0, q = 0; i < n; i++, q += 4) out[i] = rgba[q];
  } else {
    rgbaToRgb(rgba, out, n);
  }
  return out;
}

/**
 * RGBA → RGB, four pixels as four words in and three out where both are word-aligned (a 512² block:
 * 0.7 → 0.3 ms, node 20); byte by byte otherwise.
 */
function rgbaToRgb(rgba: Uint8Array, out: Uint8Array, n: number): void {
  let i = 0;
  if ((rgba.byteOffset & 3) === 0 && (out.byteOffset & 3) === 0) {
    const groups = n >> 2;
    const w = new Uint32Array(rgba.buffer, rgba.byteOffset, groups * 4);
    const o = new Uint32Array(out.buffer, out.byteOffset, groups * 3);
    for (let k = 0, q = 0, p = 0; k < groups; k++, q += 4, p += 3) {
      const a = w[q], b = w[q + 1], c = w[q + 2], d = w[q + 3];
      o[p] = (a & 0xffffff) | (b << 24);
      o[p + 1] = ((b >>> 8) & 0xffff) | (c << 16);
      o[p + 2] = ((c >>> 16) & 0xff) | (d << 8);
    }
    i = groups * 4;
  }
  for (let o = i * 3, q = i * 4; i < n; i++, o += 3, q += 4) {
    out[o] = rgba[q];
    out[o + 1] = rgba[q + 1];
    out[o + 2] = rgba[q + 2];
  }
}

/** The first SOF marker segment of a JPEG stream (the tile's, in abbreviated TIFF streams). */
export function readFrameHeader(s: Uint8Array): FrameInfo {
  if (s.length < 4 || s[0] !== 0xff || s[1] !== 0xd8) throw new TiffError('JPEG: corrupt stream: no SOI marker at the start');
  let i = 2;
  while (i + 4 <= s.length) {
    if (s[i] !== 0xff) throw new TiffError(`JPEG: corrupt stream: expected a marker at byte ${i}`);
    const m = s[i + 1];
    if (m === 0xff) { i++; continue; } // fill byte
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) { i += 2; continue; }
    if (m === 0xd9 || m === 0xda) break;
    const len = (s[i + 2] << 8) | s[i + 3];
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (m !== 0xc0 && m !== 0xc1 && m !== 0xc2) {
        throw new TiffError(`JPEG: unsupported coding process (SOF marker 0x${m.toString(16)}: lossless, hierarchical or arithmetic)`);
      }
      if (i + 2 + len > s.length || len < 8) throw new TiffError('JPEG: truncated frame header');
      const n = s[i + 9];
      if (len < 8 + 3 * n || n === 0) throw new TiffError('JPEG: corrupt frame header');
      const ids: number[] = [];
      const h: number[] = [];
      const v: number[] = [];
      for (let k = 0; k < n; k++) {
        ids.push(s[i + 10 + 3 * k]);
        const hv = s[i + 11 + 3 * k];
        h.push(hv >> 4);
        v.push(hv & 15);
      }
      if (h.some((x) => x < 1 || x > 4) || v.some((x) => x < 1 || x > 4)) throw new TiffError('JPEG: corrupt sampling factors');
      return { precision: s[i + 4], height: (s[i + 5] << 8) | s[i + 6], width: (s[i + 7] << 8) | s[i + 8], ids, h, v };
    }
    i += 2 + len;
  }
  throw new TiffError('JPEG: corrupt or truncated stream: no frame header (SOF) before the scan');
}
