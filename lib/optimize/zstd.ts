/**
 * ZSTD tile encoder (TIFF Compression 50000): libzstd built to WASM (@bokuweb/zstd-wasm), as Node 20's
 * zlib has no zstd. The package loads on first use (dynamic import), so nothing that never writes
 * ZSTD parses it or reads its .wasm; each thread that encodes loads its own instance.
 *
 * One compression context per thread, reused: `compress()` makes and frees one per call, which at
 * level 9 measured 10.6 ms per 512×512 uint16 tile against 4.4 ms reusing it (same bytes out).
 * The package reuses a context only through its dictionary call, so that is given an empty dictionary.
 */
import type * as ZstdWasm from '@bokuweb/zstd-wasm';
import type { RuntimePackage } from '../util/index.ts';

/** GDAL's ZSTD_LEVEL range and default (COG and GTiff drivers). */
/** The encoder's package: it reads zstd.wasm from beside its main file. */
export const ZSTD_PACKAGE: RuntimePackage = { spec: '@bokuweb/zstd-wasm', wasm: 'zstd.wasm' };

export const ZSTD_LEVELS = { min: 1, max: 22, default: 9 } as const;

const NO_DICTIONARY = new Uint8Array(0);
let loading: Promise<void> | undefined;
let zstd: { wasm: typeof ZstdWasm; cctx: number } | undefined;

/** Loads the encoder in this thread (once; a failed load is tried again on the next call). */
export function loadZstd(): Promise<void> {
  loading ??= (async () => {
    const wasm = await import('@bokuweb/zstd-wasm');
    await wasm.init();
    const cctx = wasm.createCCtx();
    if (!cctx) throw new Error('cannot allocate a compression context');
    zstd = { wasm, cctx };
  })().catch((e: Error) => {
    loading = undefined;
    throw new Error(`ZSTD encoder (@bokuweb/zstd-wasm) failed to load: ${e.message}`, { cause: e });
  });
  return loading;
}

/** One zstd frame of `data` at `level`; loadZstd() must have resolved in this thread. */
export function zstdEncode(data: Uint8Array, level: number): Uint8Array {
  if (!Number.isInteger(level) || level < ZSTD_LEVELS.min || level > ZSTD_LEVELS.max) {
    throw new Error(`ZSTD level ${level}: expected ${ZSTD_LEVELS.min} to ${ZSTD_LEVELS.max}`);
  }
  if (!zstd) throw new Error('ZSTD encoder not loaded in this thread (await loadZstd() first)');
  return zstd.wasm.compressUsingDict(zstd.cctx, data, NO_DICTIONARY, level);
}
