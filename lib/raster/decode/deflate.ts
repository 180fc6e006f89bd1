import { constants, inflateSync } from 'node:zlib';
import { TiffError } from '../../tiff/index.ts';
import { keptZlib, type KeptZlib } from '../../util/index.ts';

/** Output allowed past the expected size before we call the stream wrong (libtiff ignores excess). */
const SLACK = 4096;

/**
 * Deflate (TIFF compression 8 and 32946: zlib-wrapped deflate) with node's native zlib, straight into
 * an output buffer of the size wanted: `expected` bytes (the block), or with `needed` < `expected`
 * (a window that uses only the block's top rows) just `needed` bytes — deflate is sequential, and
 * zlib stops when the output is full, so the rest of the stream is never inflated. A decompression
 * bomb fails after about `expected` bytes instead of allocating what it claims. Returns exactly
 * `needed` bytes (`expected` when whole), in a buffer of that size, or throws.
 *
 * node:zlib's inflateSync cannot stop at a byte count short of an error, builds a stream object and
 * a zlib state per call, and allocates a second output chunk when the first fills exactly. So one
 * inflate handle is kept and reset per block (lib/util's keptZlib). Measured on the bench COG's 512²
 * uint16 blocks, ms a block on this shared 2-core box: whole 2.3-2.5 with inflateSync, 2.3-2.4 so;
 * half the rows 1.29-1.34 → 1.06-1.13; 15% of them 0.415 → 0.36-0.37. Where the binding is not as
 * expected, inflateSync does the work.
 */
export function inflate(src: Uint8Array, expected: number, needed = expected, into?: Uint8Array): Uint8Array {
  const z = keptZlib('inflate');
  return z ? inflateDirect(z, src, expected, Math.min(needed, expected), into) : inflateWithZlib(src, expected, needed);
}

/** Inflates from input[inOff …] into out; a stream error is a TiffError. */
function write(z: KeptZlib, src: Uint8Array, inOff: number, out: Uint8Array, fresh: boolean): number {
  try {
    return z.write(constants.Z_FINISH, src, inOff, out, fresh);
  } catch (e) {
    throw new TiffError(`Deflate: corrupt or truncated stream (${(e as Error).message})`);
  }
}

/** `into` (at least `needed` bytes, byteOffset 0): a buffer to inflate into, returned as a view of its start. */
function inflateDirect(z: KeptZlib, src: Uint8Array, expected: number, needed: number, into?: Uint8Array): Uint8Array {
  // unpooled, byteOffset 0, not zeroed: every byte is written before it is returned
  const out = into && into.byteOffset === 0 && into.length >= needed ? into.subarray(0, needed) : new Uint8Array(Buffer.allocUnsafeSlow(needed).buffer, 0, needed);
  const got = write(z, src, 0, out, true);
  if (got < needed) {
    throw new TiffError(`Deflate: output size mismatch: stream inflates to ${got} bytes, the block needs ${expected}`);
  }
  const left = z.inputLeft;
  if (needed === expected && left > 0) {
    // Input left once the block is full: the stream holds more than the block. A little more is
    // tolerated (libtiff ignores it); past SLACK it is a corrupt stream, a bomb, or a wrong size.
    const extra = new Uint8Array(SLACK + 1);
    if (write(z, src, src.length - left, extra, false) > SLACK) {
      throw new TiffError(`Deflate: stream inflates to more than the block's ${expected} bytes (corrupt stream, decompression bomb, or wrong block size)`);
    }
  }
  return out;
}

/**
 * The same with inflateSync (bounded by maxOutputLength). With `needed` < `expected`, only a prefix
 * of the stream is inflated: imagery compresses about evenly down a block, so the first
 * needed/expected of the input (plus a margin) yields the first needed bytes; should it fall short,
 * the whole block is inflated. Returns at least `needed` bytes.
 */
function inflateWithZlib(src: Uint8Array, expected: number, needed: number): Uint8Array {
  if (needed < expected) {
    const prefix = Math.min(src.length, Math.ceil((src.length * needed * 1.1) / expected) + 2048);
    if (prefix < src.length) {
      try {
        const part = inflateSync(src.subarray(0, prefix), { maxOutputLength: expected + SLACK, chunkSize: Math.max(64, expected), finishFlush: constants.Z_SYNC_FLUSH });
        if (part.length >= needed) return part;
      } catch {
        // the whole stream says what is wrong with it, below
      }
    }
  }
  let out: Uint8Array;
  try {
    // One output chunk of exactly the block's size: zlib's default 16 KB chunks would be allocated 32
    // times for a 512² uint16 block and then copied into one buffer, twice the memory at the peak.
    out = inflateSync(src, { maxOutputLength: expected + SLACK, chunkSize: Math.max(64, expected) });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw new TiffError(`Deflate: stream inflates to more than the block's ${expected} bytes (corrupt stream, decompression bomb, or wrong block size)`);
    }
    throw new TiffError(`Deflate: corrupt or truncated stream (${e.message})`);
  }
  if (out.length < expected) {
    throw new TiffError(`Deflate: output size mismatch: stream inflates to ${out.length} bytes, the block needs ${expected}`);
  }
  return out;
}

/** For tests and benchmarks: inflateSync's path, as where the binding is not as expected. */
export const inflateWithInflateSync = inflateWithZlib;
