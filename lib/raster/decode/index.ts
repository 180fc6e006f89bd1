/**
 * lib/raster/decode — one TIFF block (tile or strip) from compressed bytes to raw samples.
 *
 * decodeBlock returns the block's samples in HOST (little-endian) byte order, predictor undone,
 * exactly width × height × samplesPerBlockPixel × bitsPerSample / 8 bytes, or whole rows fewer when
 * the caller asked for only its first `rows` and the codec stopped there (1-bit blocks: one byte
 * per pixel, 0 or 255). The result owns its buffer (byteOffset 0, buffer the same length, or longer
 * when it is one the caller lent through `buffer`), so it can be viewed as any typed array. Failures throw a TiffError naming the codec and the problem.
 *
 * One file per codec, registered in CODECS by Compression tag:      deflate.ts (node:zlib, bounded)   lzw.ts (ours, bounded; see its note)
 *   jpeg.ts (libjpeg as WASM in mozjpeg.ts; geotiff for the rest, jpeg-baseline.ts)   packbits.ts   zstd.ts (zstddec WASM)
 *   lerc.ts (Esri `lerc` WASM)   predictor.ts (predictors 2/3, byte swap)   bits.ts (1-bit masks)
 *
 * Measured (node 20, this 2-core machine): decodeBlock end to end, predictor included, on the first
 * tile of GDAL 3.6 COGs of a 1024² DEM-like uint16 raster (smooth + noise). ms per block, best of
 * 80–300 runs (the machine is shared; medians are within 5%):
 *   codec                          512×512 uint16    256×256 uint16
 *   none                               0.05              0.01
 *   Deflate                            1.5               0.27
 *   Deflate + predictor 2              1.45              0.24   (target: ≤ 2 ms at 256×256)
 *   LZW + predictor 2                  5.6               1.4    (geotiff's LZW alone: 30–40 ms at 512)
 *   ZSTD + predictor 2                 1.4               0.36   (zstddec; fzstd: ~4 ms more at 512)
 *   LERC (lossless)                    1.45              0.32
 *   PackBits                           0.25              0.06
 *   float32 Deflate + predictor 3      4.7               1.1
 *   JPEG YCbCr → RGB, 3 × uint8       15                 3.7    (geotiff's JPEG decoding: 10 / 2.6)
 * JPEG is now libjpeg as WASM (mozjpeg.ts): on the 512² 4:2:0 tiles of the 4096² RGB bench input,
 * 7.6 ms per tile end to end against 17–22 ms with geotiff's decoder and our YCbCr → RGB above.
 */
import { inflate } from './deflate.ts';
import { lzwDecode } from './lzw.ts';
import { unpackBits } from './packbits.ts';
import type * as JpegModule from './jpeg.ts';
import type * as JpegBaselineModule from './jpeg-baseline.ts';
import type * as LercModule from './lerc.ts';
import type * as ZstdModule from './zstd.ts';
import { swapBytes, undoFloatingPoint, undoHorizontal } from './predictor.ts';
import { expandBits } from './bits.ts';
import { canDefer, deferPredictor } from './deferred.ts';
import { MOZJPEG_PACKAGE } from './mozjpeg.ts';
import { Compression, TiffError } from '../../tiff/index.ts';
import type { RuntimePackage } from '../../util/index.ts';

type CompressionCode = (typeof Compression)[keyof typeof Compression];

export { expandBits } from './bits.ts';
export { swapBytes, undoFloatingPoint, undoHorizontal } from './predictor.ts';
export { settleRows } from './deferred.ts';

export interface BlockParams {
  compression: number;
  predictor: number;
  bitsPerSample: number;
  sampleFormat: 1 | 2 | 3;
  /** samplesPerPixel for chunky (PlanarConfiguration 1) images, 1 for planar ones. */
  samplesPerBlockPixel: number;
  /** The block's decoded dims: blockWidth × blockHeight (strips: the rows in this strip). */
  width: number;
  height: number;
  /**
   * A strip's RowsPerStrip, when the block is the last strip, cut short: its JPEG frame may still
   * declare the full strip (libtiff crops it). Otherwise frames must be the block's size exactly.
   */
  maxRows?: number;
  /**
   * Rows a reader needs from the top of the block (default all): a codec that decodes sequentially
   * (Deflate) may stop there, and decodeBlock then returns just those rows (or more, up to all).
   */
  rows?: number;
  /**
   * Where a codec that can write into a given buffer (Deflate) puts its samples: `buffer(needed,
   * whole)` gives an array of at least `needed` bytes at byteOffset 0 (a block cache's recycled one,
   * say), and decodeBlock then returns a view of its first bytes. Other codecs allocate their own.
   */
  buffer?: (needed: number, whole: number) => Uint8Array;
  /**
   * Leave predictor 2 of 8- and 16-bit samples to `settleRows` (deferred.ts), which
   * undoes just the rows and columns a reader reaches. For a cache whose only reader settles first.
   */
  deferPredictor?: boolean;
  littleEndian: boolean;
  photometric: number;
  jpegTables?: Uint8Array;
  lercParameters?: number[];
}

/** TIFF compression names, for error messages. */
export const COMPRESSION_NAMES: Record<number, string> = {
  1: 'none', 2: 'CCITT RLE', 3: 'CCITT Group 3 fax', 4: 'CCITT Group 4 fax', 5: 'LZW', 6: 'old-style JPEG',
  7: 'JPEG', 8: 'Deflate', 32766: 'NeXT', 32771: 'CCITT RLEW', 32773: 'PackBits', 32809: 'ThunderScan',
  32946: 'Adobe Deflate', 34661: 'JBIG', 34676: 'SGI LogLuv', 34712: 'JPEG 2000', 34887: 'LERC',
  34925: 'LZMA', 50000: 'ZSTD', 50001: 'WebP', 50002: 'JPEG XL',
};

// WASM / geotiff-backed codecs load on first use: importing geotiff alone costs ~40 ms of cold start.
let jpegModule: Promise<typeof JpegModule> | undefined;
let jpegBaselineModule: Promise<typeof JpegBaselineModule> | undefined;
let lercModule: Promise<typeof LercModule> | undefined;
let zstdModule: Promise<typeof ZstdModule> | undefined;

/**
 * Where the lazily loaded codecs come from instead of import(): optimize's worker threads load
 * TypeScript through tsx's CommonJS hook, under which import() of a .ts file fails, and require them.
 */
export function useCodecLoader(load: (codec: 'jpeg' | 'jpeg-baseline' | 'lerc' | 'zstd') => unknown): void {
  // each on first use: the JPEG fallback's geotiff alone takes 35-45 ms to load
  loadJpegBaseline = () => (jpegBaselineModule ??= Promise.resolve().then(() => load('jpeg-baseline') as typeof JpegBaselineModule));
  jpegModule = Promise.resolve().then(() => load('jpeg') as typeof JpegModule);
  lercModule = Promise.resolve().then(() => load('lerc') as typeof LercModule);
  zstdModule = Promise.resolve().then(() => load('zstd') as typeof ZstdModule);
  for (const m of [jpegModule, lercModule, zstdModule]) m.catch(() => undefined);
}

let loadJpegBaseline = () => (jpegBaselineModule ??= import('./jpeg-baseline.ts'));

/**
 * One compression scheme: bytes in, exactly `rawBytes` of samples out. A codec that hands back final
 * host-order samples (`final`: JPEG, LERC) skips the byte swap and predictor that follow the others.
 */
interface Codec {
  final?: boolean;
  /** `needed` < rawBytes: the reader uses only that many bytes from the start; the codec may stop after them. */
  decode(bytes: Uint8Array, p: BlockParams, rawBytes: number, needed: number): Uint8Array | Promise<Uint8Array>;
}

/**
 * The decoders, keyed by the TIFF Compression tag (tiff/header.ts's Compression). Adding one is a
 * file here and a line below; a compression with no entry is refused naming it.
 */
export const CODECS: Partial<Record<CompressionCode, Codec>> = {
  [Compression.None]: {
    decode(bytes, _p, rawBytes) {
      if (bytes.length < rawBytes) throw new TiffError(`uncompressed block: output size mismatch: ${bytes.length} bytes, the block needs ${rawBytes}`);
      return new Uint8Array(bytes.subarray(0, rawBytes)); // a copy (even of a Buffer): the predictor and swap work in place
    },
  },
  [Compression.Deflate]: { decode: (bytes, p, rawBytes, needed) => inflate(bytes, rawBytes, needed, p.buffer?.(needed, rawBytes)) },
  [Compression.AdobeDeflate]: { decode: (bytes, p, rawBytes, needed) => inflate(bytes, rawBytes, needed, p.buffer?.(needed, rawBytes)) },
  [Compression.LZW]: { decode: (bytes, _p, rawBytes) => lzwDecode(bytes, rawBytes) },
  [Compression.PackBits]: { decode: (bytes, _p, rawBytes) => unpackBits(bytes, rawBytes) },
  [Compression.ZSTD]: { decode: async (bytes, _p, rawBytes) => (await (zstdModule ??= import('./zstd.ts'))).zstdDecode(bytes, rawBytes) },
  [Compression.JPEG]: {
    final: true,
    async decode(bytes, p) {
      if (p.bitsPerSample !== 8) throw new TiffError(`JPEG: ${p.bitsPerSample}-bit samples are not supported (8-bit only)`);
      const { jpegDecode } = await (jpegModule ??= import('./jpeg.ts'));
      return jpegDecode(bytes, { width: p.width, height: p.height, maxRows: p.maxRows, samples: p.samplesPerBlockPixel, photometric: p.photometric, jpegTables: p.jpegTables }, loadJpegBaseline);
    },
  },
  [Compression.LERC]: {
    final: true,
    async decode(bytes, p) {
      if (p.bitsPerSample === 1) throw new TiffError('LERC: 1-bit samples are not supported');
      const { lercDecode } = await (lercModule ??= import('./lerc.ts'));
      return lercDecode(bytes, { width: p.width, height: p.height, samples: p.samplesPerBlockPixel, bitsPerSample: p.bitsPerSample, sampleFormat: p.sampleFormat, lercParameters: p.lercParameters });
    },
  },
};

/** The WebAssembly the lazily loaded codecs read from beside their package (LERC, JPEG); zstddec's is inline. */
export const CODEC_PACKAGES: RuntimePackage[] = [{ spec: 'lerc', wasm: 'lerc-wasm.wasm' }, MOZJPEG_PACKAGE];

/** Declared blocks larger than this are refused before anything is allocated. */
const MAX_BLOCK_BYTES = 512 * 1024 * 1024;

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('lib/raster/decode assumes a little-endian host');
}

export function compressionName(code: number): string {
  const name = COMPRESSION_NAMES[code];
  return name ? `${name} (${code})` : `unknown compression ${code}`;
}

export async function decodeBlock(bytes: Uint8Array, p: BlockParams): Promise<Uint8Array> {
  const { width, height, bitsPerSample: bits, samplesPerBlockPixel: spp, compression } = p;
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0 && Number.isInteger(spp) && spp > 0)) {
    throw new TiffError(`decodeBlock: invalid block shape ${width}×${height}×${spp}`);
  }
  if (bits !== 1 && bits !== 8 && bits !== 16 && bits !== 32 && bits !== 64) {
    throw new TiffError(`decodeBlock: unsupported BitsPerSample ${bits}`);
  }
  if (bits === 1 && (spp !== 1 || p.predictor > 1)) {
    throw new TiffError(`decodeBlock: 1-bit blocks are supported only as single-sample masks without a predictor`);
  }
  const bps = bits / 8;
  // Bytes the codec must produce (1-bit: rows padded to whole bytes) and that decodeBlock returns.
  const rawBytes = bits === 1 ? Math.ceil(width / 8) * height : width * height * spp * bps;
  if (rawBytes > MAX_BLOCK_BYTES) {
    throw new TiffError(`decodeBlock: block ${width}×${height}×${spp} of ${bits}-bit samples is larger than ${MAX_BLOCK_BYTES} bytes`);
  }

  const codec = Object.hasOwn(CODECS, compression) ? CODECS[compression as CompressionCode] : undefined;
  if (!codec) throw new TiffError(`unsupported compression: ${compressionName(compression)}`);
  if (codec.final) return owned(await codec.decode(bytes, p, rawBytes, rawBytes), rawBytes);

  // Predictors and byte swaps work row by row, so a block cut after its first rows is still exact.
  const rowBytes = rawBytes / height;
  const wanted = bits === 1 || p.rows === undefined ? height : Math.max(1, Math.min(height, Math.ceil(p.rows)));
  let raw = await codec.decode(bytes, p, rawBytes, wanted * rowBytes);
  const rows = raw.length >= rawBytes ? height : wanted;
  const outBytes = rows * rowBytes;
  if (raw.length > outBytes) raw = raw.subarray(0, outBytes);
  else if (raw.length < outBytes) {
    throw new TiffError(`${compressionName(compression)}: output size mismatch: ${raw.length} bytes, the block needs ${rawBytes}`);
  }

  if (bits === 1) return expandBits(raw, width, height);

  if (p.predictor === 3) {
    if (p.sampleFormat !== 3) throw new TiffError(`predictor 3 (floating point) on SampleFormat ${p.sampleFormat} data`);
    // Byte planes are MSB first whatever the file's byte order; the result is host order already.
    return undoFloatingPoint(raw, width, rows, spp, bps);
  }
  if (raw.byteOffset % 8 !== 0) raw = new Uint8Array(raw); // typed-array views need alignment
  if (!p.littleEndian && bps > 1) swapBytes(raw, bps);
  if (p.predictor === 2 && p.deferPredictor && canDefer(bps, width * spp)) {
    const out = owned(raw, outBytes, p.buffer !== undefined);
    deferPredictor(out, bps as 1 | 2, width * spp, rows, spp);
    return out;
  }
  if (p.predictor === 2) undoHorizontal(raw, width, rows, spp, bps);
  else if (p.predictor !== 1 && p.predictor !== 0) throw new TiffError(`unsupported predictor ${p.predictor}`);
  return owned(raw, outBytes, p.buffer !== undefined);
}

/**
 * Exactly `n` bytes in an array that owns its whole buffer (copying only when it does not); with
 * `lent`, a view of the start of a longer buffer the caller lent is its own too.
 */
function owned(a: Uint8Array, n: number, lent = false): Uint8Array {
  if (a.length !== n) {
    throw new TiffError(`decodeBlock: output size mismatch: ${a.length} bytes, the block needs ${n}`);
  }
  if (a.byteOffset === 0 && (a.buffer.byteLength === n || lent) && a.buffer instanceof ArrayBuffer) {
    return Buffer.isBuffer(a) ? new Uint8Array(a.buffer, 0, n) : a;
  }
  return new Uint8Array(a);
}
