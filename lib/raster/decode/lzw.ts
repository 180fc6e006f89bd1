import { TiffError } from '../../tiff/index.ts';

/**
 * LZW (TIFF compression 5): MSB-first codes of 9 to 12 bits, 256 = Clear, 257 = EOI, with TIFF's
 * "early change" (the code width grows one code before the table needs it).
 *
 * Why not geotiff's LZW decoder: it collects output in a plain JS array with no bound (an LZW bomb of
 * a few MB can ask for GBs before anything can stop it, and no wrapper can stop it either), it is
 * 6–7× slower (30–40 ms against ~5.6 ms for a 512×512 uint16 tile), and on a truncated stream it
 * console.warns and returns short data. This one writes into a typed array of exactly the expected
 * size, stops when it is full (libtiff ignores trailing codes too), and throws on truncated or
 * invalid streams. The tests check it on GDAL-made blocks and against geotiff's on LZW streams with
 * table resets and KwKwK codes.
 */
const CLEAR = 256;
const EOI = 257;
const TABLE = 4096;

export function lzwDecode(src: Uint8Array, expected: number): Uint8Array {
  if (src.length >= 2 && src[0] === 0 && (src[1] & 1) !== 0) {
    throw new TiffError('LZW: old-style (pre-TIFF 6, LSB-first) LZW streams are not supported');
  }
  const out = new Uint8Array(expected);
  // Every table entry's string already sits in the output: entry k = (where it starts, its length).
  // A new entry is the previous code's string plus one byte, i.e. the output from where the previous
  // code was written, one byte longer. So decoding a code is a copy within `out`.
  const pos = new Int32Array(TABLE);
  const length = new Uint16Array(TABLE);
  const n = src.length;
  const totalBits = n * 8;
  let bitPos = 0;
  let nbits = 9;
  let mask = 511;
  let next = 258;
  let prevPos = -1; // output position of the previous code's string; -1 right after a Clear
  let prevLen = 0;
  let op = 0;

  while (op < expected) {
    if (bitPos + nbits > totalBits) {
      throw new TiffError(`LZW: stream ends after ${op} of ${expected} bytes (truncated or missing data)`);
    }
    // A code spans at most 3 bytes; bytes past the end read as 0.
    const i = bitPos >>> 3;
    const window = i + 2 < n
      ? (src[i] << 16) | (src[i + 1] << 8) | src[i + 2]
      : (src[i] << 16) | (i + 1 < n ? src[i + 1] << 8 : 0);
    const code = (window >>> (24 - (bitPos & 7) - nbits)) & mask;
    bitPos += nbits;

    let from: number;
    let len: number;
    if (code < 256) {
      out[op] = code;
      from = -1;
      len = 1;
    } else if (code === EOI) {
      break;
    } else if (code === CLEAR) {
      nbits = 9;
      mask = 511;
      next = 258;
      prevPos = -1;
      continue;
    } else if (prevPos < 0) {
      throw new TiffError(`LZW: corrupt stream: code ${code} right after a Clear code`);
    } else if (code < next) {
      from = pos[code];
      len = length[code];
    } else if (code === next) {
      // KwKwK: the previous string plus its own first byte, which the forward copy reproduces.
      from = prevPos;
      len = prevLen + 1;
    } else {
      throw new TiffError(`LZW: corrupt stream: code ${code} is past the table's ${next} entries`);
    }
    if (from >= 0) {
      if (op + len > expected) {
        // The last string overflows the block: keep what fits (libtiff does the same) and stop.
        for (let k = 0; op + k < expected; k++) out[op + k] = out[from + k];
        op = expected;
        break;
      }
      for (let k = 0; k < len; k++) out[op + k] = out[from + k];
    }
    if (prevPos >= 0 && next < TABLE) {
      pos[next] = prevPos;
      length[next++] = prevLen + 1;
      if (next === mask && nbits < 12) {
        nbits++;
        mask = (1 << nbits) - 1;
      }
    }
    prevPos = op;
    prevLen = len;
    op += len;
  }
  if (op < expected) {
    throw new TiffError(`LZW: output size mismatch: stream ends (EOI) after ${op} of ${expected} bytes`);
  }
  return out;
}
