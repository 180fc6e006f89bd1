// Static, so bundlers keep only geotiff's decoders: a dynamic import('geotiff') put all of geotiff in
// the function bundles (index.js 1,039 → 1,365 KB). This file loads on the first JPEG block libjpeg
// does not take (jpeg.ts).
import { getDecoder } from 'geotiff';
import type { BaseDecoder } from 'geotiff';
import { TiffError } from '../../tiff/index.ts';
import { PHOTOMETRIC_YCBCR, type FrameInfo, type JpegBlockParams } from './jpeg.ts';

/**
 * The JPEG blocks libjpeg's WASM build is not given (Photometric RGB, CMYK, unusual component ids),
 * through geotiff's JPEG decoder (a pdf.js-derived baseline/progressive Huffman decoder) and the
 * TIFF's JPEGTables.
 *
 * geotiff's decoder returns the JPEG's components as they are coded, chroma upsampled by pixel
 * repetition, and applies no colour transform at all: it ignores the JFIF/Adobe markers (fine: in
 * TIFF the Photometric tag, not the markers, says what the components are, as in libtiff). So for
 * Photometric = YCbCr we convert here, the way libjpeg does when GDAL/libtiff read the same tile:
 * chroma recovered at its coded resolution, upsampled with libjpeg's "fancy" (triangular) filter for
 * 2×1, 1×2 and 2×2 subsampling, then libjpeg's fixed-point YCbCr→RGB. The remaining difference from
 * GDAL is the IDCT's rounding (≤ 1–2 DN here and there).
 */
export async function baselineDecode(src: Uint8Array, frame: FrameInfo, p: JpegBlockParams): Promise<Uint8Array> {
  const comps = frame.h.length;
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
