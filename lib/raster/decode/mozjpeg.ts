/**
 * JPEG through libjpeg compiled to WebAssembly (mozjpeg, a libjpeg-turbo fork; @jsquash/jpeg's
 * Squoosh build): no native module, one .wasm (~165 KB) read by the first JPEG block only, one
 * instance per thread.
 *
 * Why not geotiff's pure-JavaScript decoder (pdf.js-derived), kept in jpeg.ts for the rest: on the
 * 64 512×512 YCbCr tiles of the 4096² RGB bench input, 4:2:0, this decodes in 220–320 ms against
 * 1110–1420 ms (ours with geotiff, YCbCr → RGB included), and as libjpeg is what GDAL reads through,
 * with the same islow IDCT, fancy upsampling and fixed-point YCbCr → RGB, it matched GDAL on every
 * sample (mean |diff| 0, max 0) where geotiff's IDCT was 0.153 mean, 3 max.
 *
 * The decoder always converts to RGBA (JCS_EXT_RGBA) from the colour space libjpeg infers from the
 * stream, so jpeg.ts sends here only what libjpeg infers as TIFF means it: one component (grey),
 * or YCbCr with the component ids 1, 2, 3 that libjpeg writes and reads as YCbCr.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { TiffError } from '../../tiff/index.ts';
import type { RuntimePackage } from '../../util/index.ts';

/** The bundles copy the decoder's .wasm beside index.js (scripts/tools/build.ts reads this). */
export const MOZJPEG_PACKAGE: RuntimePackage = { spec: '@jsquash/jpeg/codec/dec/mozjpeg_dec.js', wasm: 'mozjpeg_dec.wasm' };

interface MozjpegModule {
  /** RGBA pixels (a copy out of WASM memory) or null; libjpeg's fatal errors throw. */
  decode(data: BufferSource, preserveOrientation: boolean): { data: Uint8ClampedArray; width: number; height: number } | null;
}

let loading: Promise<MozjpegModule> | undefined;
/** What libjpeg printed while decoding the current block (its error and warning messages). */
let messages: string[] = [];

/** Where the .wasm is: beside a bundle's index.js, else in node_modules. */
function wasmBytes(): Uint8Array<ArrayBuffer> {
  // a bundle defines import.meta.url as <dir>/lib/api/index.js, so this is <dir>/mozjpeg_dec.wasm there
  const beside = fileURLToPath(new URL(`../../${MOZJPEG_PACKAGE.wasm}`, import.meta.url));
  if (existsSync(beside)) return readFileSync(beside);
  return readFileSync(createRequire(import.meta.url).resolve(`@jsquash/jpeg/codec/dec/${MOZJPEG_PACKAGE.wasm}`));
}

/** The decoder of this thread, loaded once (~10 ms; a failed load is tried again next time). */
function load(): Promise<MozjpegModule> {
  loading ??= (async () => {
    const wasm = new WebAssembly.Module(wasmBytes());
    const factory = (await import('@jsquash/jpeg/codec/dec/mozjpeg_dec.js')).default as unknown as (options: object) => Promise<MozjpegModule>;
    return factory({
      noInitialRun: true,
      print: (m: string) => messages.push(m),
      printErr: (m: string) => messages.push(m),
      instantiateWasm: (imports: WebAssembly.Imports, callback: (instance: WebAssembly.Instance) => void) => {
        const instance = new WebAssembly.Instance(wasm, imports);
        callback(instance);
        return instance.exports;
      },
    });
  })();
  loading.catch(() => { loading = undefined; });
  return loading;
}

/**
 * One TIFF JPEG block to RGBA: an abbreviated stream is preceded by the JPEGTables stream, that is
 * the tables' markers (minus their EOI) then the block's (minus its SOI), as libtiff feeds libjpeg.
 */
export async function mozjpegDecode(block: Uint8Array, tables?: Uint8Array): Promise<{ rgba: Uint8Array; width: number; height: number }> {
  const decoder = await load();
  // a copy the decoder reads from (its input must be a plain ArrayBuffer view, not a Buffer pool's)
  let stream: Uint8Array<ArrayBuffer>;
  if (!tables || tables.length <= 4) stream = new Uint8Array(block);
  else {
    stream = new Uint8Array(tables.length - 2 + block.length - 2);
    stream.set(tables.subarray(0, tables.length - 2));
    stream.set(block.subarray(2), tables.length - 2);
  }
  messages = [];
  let out: ReturnType<MozjpegModule['decode']>;
  try {
    out = decoder.decode(stream, false);
  } catch {
    // libjpeg's error_exit: the message it printed says what (the thrown value is Emscripten's exit status)
    throw new TiffError(`JPEG: corrupt or truncated stream (${messages.at(-1) ?? 'libjpeg failed'})`);
  }
  if (!out) throw new TiffError('JPEG: corrupt or truncated stream (libjpeg returned nothing)');
  return { rgba: new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength), width: out.width, height: out.height };
}
