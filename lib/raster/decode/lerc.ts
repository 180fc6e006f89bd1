import { inflateSync } from 'node:zlib';
import { TiffError } from '../../tiff/index.ts';
import * as Lerc from 'lerc';
import { zstdDecodeUpTo } from './zstd.ts';

/**
 * LERC (TIFF compression 34887) as libtiff's tif_lerc.c writes it, decoded with Esri's `lerc`
 * package (WASM; loaded once, on first use). LercParameters = [version, additional compression]:
 * 0 none, 1 deflate, 2 zstd wrap the LERC blob. The result is host-order, pixel-interleaved samples
 * (LERC output is already in host order and TIFF predictors do not apply to it).
 *
 * The layouts libtiff produces, all handled here:
 * - one band with depth = samples per pixel (chunky) or 1 (planar): pixels come back interleaved;
 * - uint8 chunky with an unassociated alpha last sample: depth = samples - 1 and a LERC mask that is
 *   the alpha (0 → 0, valid → 255);
 * - float with NaNs: a mask marks the NaN pixels (set back to NaN here); for chunky float with NaNs in
 *   only some samples, depth 1 and one LERC band per sample, each with its own mask.
 */
let loaded: Promise<void> | undefined;

export interface LercBlockParams {
  width: number;
  height: number;
  samples: number;
  bitsPerSample: number;
  sampleFormat: 1 | 2 | 3;
  lercParameters?: number[];
}

const PIXEL_TYPES: Record<string, string> = {
  '2:8': 'S8', '1:8': 'U8', '2:16': 'S16', '1:16': 'U16', '2:32': 'S32', '1:32': 'U32', '3:32': 'F32', '3:64': 'F64',
};

export async function lercDecode(src: Uint8Array, p: LercBlockParams): Promise<Uint8Array> {
  await (loaded ??= Lerc.load());
  const bytesPerSample = p.bitsPerSample / 8;
  const expected = p.width * p.height * p.samples * bytesPerSample;
  const pixelType = PIXEL_TYPES[`${p.sampleFormat}:${p.bitsPerSample}`];
  if (!pixelType) {
    throw new TiffError(`LERC: unsupported sample type (SampleFormat ${p.sampleFormat}, ${p.bitsPerSample} bits)`);
  }
  // The same bound libtiff allocates for the unwrapped blob.
  const maxBlob = 256 + expected + Math.ceil(expected / 3) + p.width * p.height * p.samples;
  const add = p.lercParameters?.[1] ?? 0;
  let blob: Uint8Array;
  if (add === 0) {
    blob = src;
  } else if (add === 1) {
    try {
      blob = inflateSync(src, { maxOutputLength: maxBlob });
    } catch (err) {
      throw new TiffError(`LERC: corrupt deflate wrapper, or one larger than ${maxBlob} bytes (${(err as Error).message})`);
    }
  } else if (add === 2) {
    blob = await zstdDecodeUpTo(src, maxBlob, 'LERC');
  } else {
    throw new TiffError(`LERC: unknown additional compression ${add} in LercParameters (0 none, 1 deflate, 2 zstd)`);
  }

  let info: Lerc.LercHeaderInfo;
  let data: Lerc.LercData;
  try {
    info = Lerc.getBlobInfo(blob);
    if (info.width !== p.width || info.height !== p.height) {
      throw new TiffError(`blob is ${info.width}×${info.height}, the block is ${p.width}×${p.height}`);
    }
    if (info.depthCount * info.bandCount > p.samples) {
      throw new TiffError(`blob has ${info.bandCount} band(s) of depth ${info.depthCount}, the block ${p.samples} sample(s) per pixel`);
    }
    data = Lerc.decode(blob, { returnInterleaved: true });
  } catch (err) {
    throw new TiffError(`LERC: corrupt or truncated blob (${(err as Error).message})`);
  }
  if (data.pixelType !== pixelType) {
    throw new TiffError(`LERC: blob holds ${data.pixelType} pixels, the TIFF says ${pixelType}`);
  }
  const n = p.width * p.height;
  const depth = data.depthCount;
  const bands = data.pixels.length;

  // Common case: one band holding every sample, no mask to apply.
  if (bands === 1 && depth === p.samples) {
    const px = data.pixels[0];
    if (p.sampleFormat === 3 && data.mask) applyNaNMask(px as Float32Array | Float64Array, data.mask, depth);
    return bytesOf(px, expected);
  }

  // uint8 chunky with alpha carried as the LERC mask.
  if (bands === 1 && depth === p.samples - 1 && pixelType === 'U8') {
    const px = data.pixels[0] as Uint8Array;
    const out = new Uint8Array(expected);
    const mask = data.mask;
    for (let i = 0, s = 0, o = 0; i < n; i++) {
      for (let d = 0; d < depth; d++) out[o++] = px[s++];
      out[o++] = mask ? (mask[i] ? 255 : 0) : 255;
    }
    return out;
  }

  // Float chunky with one band (and mask) per sample.
  if (depth === 1 && bands === p.samples && p.sampleFormat === 3) {
    const Ctor = p.bitsPerSample === 32 ? Float32Array : Float64Array;
    const out = new Ctor(n * bands);
    for (let b = 0; b < bands; b++) {
      const px = data.pixels[b];
      const mask = data.bandMasks?.[b] ?? data.mask;
      for (let i = 0, o = b; i < n; i++, o += bands) {
        out[o] = mask && !mask[i] ? NaN : px[i];
      }
    }
    return new Uint8Array(out.buffer);
  }

  throw new TiffError(`LERC: unexpected layout: ${bands} band(s) of depth ${depth} for a block of ${p.samples} sample(s) per pixel`);
}

function applyNaNMask(px: Float32Array | Float64Array, mask: Uint8Array, depth: number): void {
  for (let i = 0, n = mask.length; i < n; i++) {
    if (!mask[i]) px.fill(NaN, i * depth, (i + 1) * depth);
  }
}

function bytesOf(px: Lerc.PixelTypedArray, expected: number): Uint8Array {
  if (px.byteLength !== expected) {
    throw new TiffError(`LERC: output size mismatch: decoded ${px.byteLength} bytes, the block needs ${expected}`);
  }
  return new Uint8Array(px.buffer, px.byteOffset, px.byteLength);
}
