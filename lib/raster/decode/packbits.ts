import { TiffError } from '../../tiff/index.ts';

/**
 * PackBits (TIFF compression 32773): a header byte n, then n+1 literal bytes (n in 0..127) or one
 * byte repeated 1-n times (n in -127..-1); -128 is a no-op. Decoding stops once `expected` bytes are
 * out (libtiff discards the excess the same way), so the output can never exceed `expected`.
 */
export function unpackBits(src: Uint8Array, expected: number): Uint8Array {
  const out = new Uint8Array(expected);
  let ip = 0;
  let op = 0;
  const n = src.length;
  while (op < expected) {
    if (ip >= n) {
      throw new TiffError(`PackBits: stream ends after ${op} of ${expected} bytes (truncated or corrupt)`);
    }
    const h = src[ip++];
    if (h < 128) {
      const count = Math.min(h + 1, expected - op);
      if (ip + count > n) {
        throw new TiffError(`PackBits: literal run of ${h + 1} bytes runs past the end of the ${n}-byte stream`);
      }
      out.set(src.subarray(ip, ip + count), op);
      ip += h + 1;
      op += count;
    } else if (h !== 128) {
      if (ip >= n) throw new TiffError('PackBits: repeat run without its byte at the end of the stream');
      const count = Math.min(257 - h, expected - op);
      out.fill(src[ip++], op, op + count);
      op += count;
    }
  }
  return out;
}
