/**
 * WebP tiles through libwebp compiled to WebAssembly (@jsquash/webp, Squoosh's build): no native
 * module, one .wasm (~280 KB) read on the first WebP request only. Lossless (VP8L) for palette
 * tiles with transparency, lossy (VP8 + alpha) with a quality for rgb.
 *
 * Chosen by `npm run bench -- webp` (scripts/tools/bench/webp.ts) over the PNG encoder; the README
 * gives the figures. Method 0 (libwebp's fastest) for lossless and method 2 for lossy: higher
 * methods cost 5–20× the CPU for a few percent fewer bytes on map tiles.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { RuntimePackage } from '../util/index.ts';

/** The bundles copy the encoder's .wasm beside index.js (scripts/tools/build.ts reads this). */
export const WEBP_PACKAGE: RuntimePackage = { spec: '@jsquash/webp/codec/enc/webp_enc.js', wasm: 'webp_enc.wasm' };

interface WebpModule {
  encode(data: BufferSource, width: number, height: number, options: Record<string, number>): Uint8Array | null;
}

/** libwebp's WebPConfig defaults (what @jsquash/webp's meta.js holds), which its encode() wants in full. */
const CONFIG = {
  quality: 75, target_size: 0, target_PSNR: 0, method: 4, sns_strength: 50, filter_strength: 60, filter_sharpness: 0,
  filter_type: 1, partitions: 0, segments: 4, pass: 1, show_compressed: 0, preprocessing: 0, autofilter: 0,
  partition_limit: 0, alpha_compression: 1, alpha_filtering: 1, alpha_quality: 100, lossless: 0, exact: 0,
  image_hint: 0, emulate_jpeg_size: 0, thread_level: 0, low_memory: 0, near_lossless: 100, use_delta_palette: 0, use_sharp_yuv: 0,
};

let loading: Promise<WebpModule> | undefined;
let encoder: WebpModule | undefined;

/** Where the .wasm is: beside a bundle's index.js, else in node_modules. */
function wasmBytes(): Uint8Array<ArrayBuffer> {
  // a bundle defines import.meta.url as <dir>/lib/api/index.js, so this is <dir>/webp_enc.wasm there
  const beside = fileURLToPath(new URL(`../../${WEBP_PACKAGE.wasm}`, import.meta.url));
  if (existsSync(beside)) return readFileSync(beside);
  return readFileSync(createRequire(import.meta.url).resolve(`@jsquash/webp/codec/enc/${WEBP_PACKAGE.wasm}`));
}

/** Loads the encoder once per process (~20 ms); encodeWebp needs it loaded. */
export function loadWebpEncoder(): Promise<void> {
  loading ??= (async () => {
    const wasm = new WebAssembly.Module(wasmBytes());
    const factory = (await import('@jsquash/webp/codec/enc/webp_enc.js')).default as unknown as (options: object) => Promise<WebpModule>;
    encoder = await factory({
      noInitialRun: true,
      instantiateWasm: (imports: WebAssembly.Imports, callback: (instance: WebAssembly.Instance) => void) => {
        const instance = new WebAssembly.Instance(wasm, imports);
        callback(instance);
        return instance.exports;
      },
    });
    return encoder;
  })();
  loading.catch(() => { loading = undefined; });
  return loading.then(() => undefined);
}

export interface WebpOptions {
  /** Lossless (default) keeps every colour exactly; lossy takes `quality`. */
  lossless?: boolean;
  /** 1–100 for lossy (default 75). */
  quality?: number;
  /** libwebp's effort 0–6 (default 0 lossless, 2 lossy): for the benchmark that chose them. */
  method?: number;
}

/** RGBA (width × height × 4) → WebP bytes; alpha 0 stays fully transparent. */
export function encodeWebp(rgba: Uint8Array, width: number, height: number, options: WebpOptions = {}): Uint8Array {
  if (!encoder) throw new Error('the WebP encoder is not loaded: await loadWebpEncoder() first');
  if (rgba.length !== width * height * 4) throw new RangeError(`${rgba.length} samples for a ${width}×${height} RGBA image`);
  const lossless = options.lossless ?? true;
  const config = lossless
    // exact: keep the RGB under alpha 0 as given (terrain encodings, and what PNG keeps)
    ? { ...CONFIG, lossless: 1, method: options.method ?? 0, quality: 0, exact: 1 }
    : { ...CONFIG, method: options.method ?? 2, quality: options.quality ?? 75 };
  const out = encoder.encode(rgba as Uint8Array<ArrayBuffer>, width, height, config);
  if (!out) throw new Error(`libwebp could not encode a ${width}×${height} image`);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** A palette image (indices into RGBA entries) as RGBA, for WebP, which has no indexed mode of its own. */
export function paletteToRgba(indices: Uint8Array, palette: Uint8Array): Uint8Array {
  const rgba = new Uint8Array(indices.length * 4);
  const words = new Uint32Array(rgba.buffer), entries = new Uint32Array(256);
  const view = new Uint32Array(palette.buffer.slice(palette.byteOffset, palette.byteOffset + palette.byteLength));
  entries.set(view.subarray(0, 256));
  for (let i = 0; i < indices.length; i++) words[i] = entries[indices[i]];
  return rgba;
}
