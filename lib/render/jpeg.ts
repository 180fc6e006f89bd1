import jpeg from 'jpeg-js';
import { InputError } from '../errors/index.ts';

/**
 * JPEG for RGB imagery, through jpeg-js (pure JS; no native build or WASM to ship). JPEG has no
 * alpha, so callers blacken invalid pixels first.
 *
 * Cost, scripts/tools/bench/render.ts (same box and tiles as png.ts): 20-24 ms per 256² rgb tile and
 * 29-37 ms per 512², against 2.7-17 ms / 11-73 ms for the RGBA PNG; output 10-13 KB vs 12-122 KB
 * at 256² (35-47 KB vs 44-484 KB at 512²). About 18 ms of each call is jpeg-js rebuilding its
 * Huffman/category tables (it keeps no encoder between calls; a 1×1 image costs the same), so
 * it is opt-in, by the .jpg extension, where bytes matter more than CPU. A JPEG encoder that
 * kept its tables would take ~3-5 ms per 256² tile.
 *
 * WebP (webp.ts) is the other lossy choice: ~3 KB per 256² rgb tile at quality 75 in about
 * the PNG's time; its .wasm sits beside the bundle and loads on the first WebP request only.
 */
export function encodeJpeg(rgba: Uint8Array, width: number, height: number, quality = 85): Uint8Array {
  if (!(quality >= 1 && quality <= 100)) throw new InputError(`JPEG quality ${quality} is not in 1..100`);
  if (rgba.length !== width * height * 4) throw new RangeError(`${rgba.length} samples for a ${width}×${height} RGBA image`);
  const { data } = jpeg.encode({ data: rgba, width, height }, quality);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
