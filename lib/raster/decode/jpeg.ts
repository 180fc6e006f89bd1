// Static, so bundlers keep only geotiff's decoders: a dynamic import('geotiff') put all of geotiff in
// the function bundles (index.js 1,039 → 1,365 KB). jpeg.ts itself loads on the first JPEG block.
import { getDecoder } from 'geotiff';
import type { BaseDecoder } from 'geotiff';
import { TiffError } from '../../tiff/index.ts';
import { mozjpegDecode } from './mozjpeg.ts';

/**
 * JPEG (TIFF compression 7): grey and YCbCr blocks (what GDAL writes) through libjpeg as WASM
 * (mozjpeg.ts: 4–5× faster, and exactly what GDAL reads); the rest (Photometric RGB, CMYK, unusual
 * component ids) with geotiff's JPEG decoder (a pdf.js-derived baseline/progressive Huffman
 * decoder) and the TIFF's JPEGTables, as follows.
 *
 * geotiff's decoder returns the JPEG's components as they are coded, chroma upsampled by pixel
 * repetition, and applies no colour transform at all: it ignores the JFIF/Adobe markers (fine: in
 * TIFF the Photometric tag, not the markers, says what the components are, as in libtiff). So for
 * Photometric = YCbCr (GDAL's default for 3-band JPEG) we convert here, the way libjpeg does when
 * GDAL/libtiff read the same tile: chroma recovered at its coded resolution, upsampled with libjpeg's
 * "fancy" (triangular) filter for 2×1, 1×2 and 2×2 subsampling, then libjpeg's fixed-point
 * YCbCr→RGB. The remaining difference from GDAL is the IDCT's rounding (≤ 1–2 DN here and there).
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

interface FrameInfo {
  width: number;
  height: number;
  precision: number;
  /** Component ids, then sampling factors per component, in frame order. */
  ids: number[];
  h: number[];
  v: number[];
}

const PHOTOMETRIC_YCBCR = 6;

const byTables = new WeakMap<Uint8Array, BaseDecoder>();
let noTables: BaseDecoder | undefined;

async function decoderFor(tables: Uint8Array | undefined): Promise<BaseDecoder> {
  const cached = tables ? byTables.get(tables) : noTables;
  if (cached) return cached;
  const params = { tileWidth: 0, tileHeight: 0, planarConfiguration: 1, bitsPerSample: 8, predictor: 1, JPEGTables: tables };
  let dec: BaseDecoder;
  try {
    dec = await getDecoder(7, params);
  } catch (err) {
    throw new TiffError(`JPEG: corrupt JPEGTables (${(err as Error).message})`);
  }
  if (tables) byTables.set(tables, dec);
  else noTables = dec;
  return dec;
}

export async function jpegDecode(src: Uint8Array, p: JpegBlockParams): Promise<Uint8Array> {
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
  const dec = await decoderFor(p.jpegTables);
  let raw: Uint8Array;
  try {
    const buf = src.buffer.slice(src.byteOffset, src.byteOffset + src.byteLength);
    raw = new Uint8Array(await dec.decodeBlock(buf));
  } catch (err) {
    throw new TiffError(`JPEG: corrupt or truncated stream (${(err as Error).message})`);
  }
  const need = p.width * p.height * comps;
  if (raw.length < need) {
    throw new TiffError(`JPEG: output size mismatch: decoded ${raw.length} bytes, the block needs ${need}`);
  }
  if (p.photometric === PHOTOMETRIC_YCBCR && comps === 3) {
    return ycbcrToRgb(raw, frame, p.height);
  }
  return raw.length === need ? raw : raw.slice(0, need);
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

// libjpeg's jdcolor.c tables: 16-bit fixed point, rounded as libjpeg rounds.
const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CR_G = new Int32Array(256);
const CB_G = new Int32Array(256);
{
  const fix = (x: number) => Math.round(x * 65536);
  for (let i = 0; i < 256; i++) {
    const x = i - 128;
    CR_R[i] = (fix(1.402) * x + 32768) >> 16;
    CB_B[i] = (fix(1.772) * x + 32768) >> 16;
    CR_G[i] = -fix(0.71414) * x;
    CB_G[i] = -fix(0.34414) * x + 32768;
  }
}

function ycbcrToRgb(raw: Uint8Array, f: FrameInfo, rows: number): Uint8Array {
  const W = f.width;
  const H = f.height;
  const maxH = Math.max(...f.h);
  const maxV = Math.max(...f.v);
  const cb = chromaPlane(raw, 1, f.h[1], f.v[1], maxH, maxV, W, H);
  const cr = chromaPlane(raw, 2, f.h[2], f.v[2], maxH, maxV, W, H);
  const out = new Uint8Array(W * rows * 3);
  for (let i = 0, o = 0, n = W * rows; i < n; i++, o += 3) {
    const y = raw[o];
    const b = cb[i];
    const r = cr[i];
    const R = y + CR_R[r];
    const G = y + ((CB_G[b] + CR_G[r]) >> 16);
    const B = y + CB_B[b];
    out[o] = R < 0 ? 0 : R > 255 ? 255 : R;
    out[o + 1] = G < 0 ? 0 : G > 255 ? 255 : G;
    out[o + 2] = B < 0 ? 0 : B > 255 ? 255 : B;
  }
  return out;
}

/**
 * One chroma component at full resolution. geotiff's output repeats each coded chroma sample over
 * its fx×fy cell, so sample (i, j) of the coded plane is the output pixel (i·fx, j·fy).
 */
function chromaPlane(raw: Uint8Array, c: number, h: number, v: number, maxH: number, maxV: number, W: number, H: number): Uint8Array {
  const fx = maxH / h;
  const fy = maxV / v;
  if ((fx !== 1 && fx !== 2) || (fy !== 1 && fy !== 2)) {
    const full = new Uint8Array(W * H);
    // Unusual ratios: libjpeg also falls back to replication (int_upsample) for these.
    for (let i = 0, o = c; i < W * H; i++, o += 3) full[i] = raw[o];
    return full;
  }
  const cw = Math.ceil(W / fx);
  const ch = Math.ceil(H / fy);
  const plane = new Uint8Array(cw * ch);
  for (let j = 0; j < ch; j++) {
    const rowBase = j * fy * W;
    for (let i = 0; i < cw; i++) plane[j * cw + i] = raw[(rowBase + i * fx) * 3 + c];
  }
  if (fx === 1 && fy === 1) return plane;
  const full = new Uint8Array(W * H);

  // libjpeg's h2v1 / h1v2 / h2v2 fancy upsampling (jdsample.c): each output sample is 3/4 of the
  // nearer coded sample and 1/4 of the next one out, per direction; edges replicate the last sample.
  const colsum = new Int32Array(cw);
  for (let y = 0; y < H; y++) {
    const o = y * W;
    const a = (fy === 2 ? y >> 1 : y) * cw;
    if (fy === 2) {
      const j = y >> 1;
      const b = (y & 1 ? Math.min(j + 1, ch - 1) : Math.max(j - 1, 0)) * cw;
      for (let i = 0; i < cw; i++) colsum[i] = plane[a + i] * 3 + plane[b + i];
      if (fx === 1) {
        // h1v2
        const bias = y & 1 ? 2 : 1;
        for (let i = 0; i < cw; i++) full[o + i] = (colsum[i] + bias) >> 2;
        continue;
      }
      // h2v2: column sums carry a factor 4, hence >> 4
      for (let i = 0; i < cw; i++) {
        const t = colsum[i] * 3;
        full[o + 2 * i] = (t + colsum[i > 0 ? i - 1 : 0] + 8) >> 4;
        if (2 * i + 1 < W) full[o + 2 * i + 1] = (t + colsum[i < cw - 1 ? i + 1 : i] + 7) >> 4;
      }
    } else {
      // h2v1
      for (let i = 0; i < cw; i++) {
        const t = plane[a + i] * 3;
        full[o + 2 * i] = (t + plane[a + (i > 0 ? i - 1 : 0)] + 1) >> 2;
        if (2 * i + 1 < W) full[o + 2 * i + 1] = (t + plane[a + (i < cw - 1 ? i + 1 : i)] + 2) >> 2;
      }
    }
  }
  return full;
}
