import { constants, inflateSync } from 'node:zlib';
import { TiffError } from '../../tiff/index.ts';

/** Output allowed past the expected size before we call the stream wrong (libtiff ignores excess). */
const SLACK = 4096;

/**
 * Deflate (TIFF compression 8 and 32946: zlib-wrapped deflate) with node's native zlib. The output is
 * bounded by maxOutputLength, so a decompression bomb fails after about `expected` bytes instead of
 * allocating what it claims. Returns at least `expected` bytes or throws.
 *
 * With `needed` < `expected` (a window that uses only the block's top rows), only a prefix of the
 * stream is inflated: deflate is sequential, and imagery compresses about evenly down a block, so
 * the first needed/expected of the input (plus a margin) yields the first needed bytes. Measured on
 * the bench COG's 512² uint16 blocks: inflate time is proportional to the prefix (2.85 ms whole,
 * 0.26 ms for a tenth, 1.27 ms for half). Should the prefix fall short, the whole block is inflated.
 * Then at least `needed` bytes come back (up to whole rows more); the rest is not inflated.
 */
export function inflate(src: Uint8Array, expected: number, needed = expected): Uint8Array {
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
    // times for a 512² uint16 block and then copied into one buffer, twice the memory at the peak; a
    // chunk larger than the block would be copied again to trim it (0.23 against 0.08 ms a block).
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
