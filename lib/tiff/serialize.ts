import { TaoguanError } from '../errors/index.ts';
import { HEADER_VERSION, type CogHeader, type TiffImage } from './header.ts';
import { LIMITS } from './ifd.ts';
import { TiffError } from './reader.ts';

/**
 * CogHeader ⇄ a compact JSON string, the form the catalog stores. Block offsets and byte counts
 * dominate a header's size, so they travel as zigzag-delta varints in base64: a COG's offsets grow
 * by about one block each, which takes 2–3 bytes instead of ~10 JSON characters. NaN nodata and
 * JPEG tables, which JSON cannot carry as they are, get tagged encodings. Everything round-trips exactly.
 */
export function serializeHeader(header: CogHeader): string {
  const text = JSON.stringify(header, (key, value) => {
    if (key === 'offsets' || key === 'byteCounts') return packIntegers(value as number[]);
    if (key === 'jpegTables') return Buffer.from(value as Uint8Array).toString('base64');
    if (key === 'nodata' && typeof value === 'number' && !Number.isFinite(value)) return String(value);
    return value;
  });
  // A catalog row holds the header whole, and every cold tile request reads and parses it.
  const bytes = Buffer.byteLength(text);
  if (bytes > LIMITS.maxSerializedHeaderBytes) {
    throw new TiffError(`the header serialises to ${bytes} bytes, more than the cap of ${LIMITS.maxSerializedHeaderBytes} bytes on a stored header (too many blocks, or too much metadata)`);
  }
  return text;
}

export class HeaderVersionError extends TaoguanError {
  constructor(found: unknown) {
    super('unavailable', `stored COG header has version ${String(found)}, this taoguan reads version ${HEADER_VERSION}: re-ingest the dataset (or run \`taoguan catalog migrate\`)`);
    this.name = 'HeaderVersionError';
  }
}

export function deserializeHeader(text: string): CogHeader {
  const parsed = JSON.parse(text) as CogHeader & { nodata: number | string | null };
  if (parsed.version !== HEADER_VERSION) throw new HeaderVersionError(parsed.version);
  const fixImage = (im: TiffImage) => {
    im.offsets = unpackIntegers(im.offsets as unknown as string);
    im.byteCounts = unpackIntegers(im.byteCounts as unknown as string);
    const tables: unknown = im.jpegTables;
    if (typeof tables === 'string') im.jpegTables = new Uint8Array(Buffer.from(tables, 'base64'));
  };
  for (const level of parsed.levels) {
    fixImage(level.image);
    if (level.mask) fixImage(level.mask);
  }
  if (typeof parsed.nodata === 'string') parsed.nodata = Number(parsed.nodata);
  return parsed as CogHeader;
}

/**
 * Zigzag-delta LEB128 varints, base64. Offsets reach 2^53, so a doubled delta can pass 2^53 where
 * doubles lose integers: such rare values take the BigInt path.
 */
export function packIntegers(values: number[]): string {
  // A delta below 2^53 zigzags into at most 54 bits: 8 bytes of 7; the BigInt path's up to 9.
  const out = Buffer.allocUnsafe(values.length * 9);
  let n = 0;
  let prev = 0;
  for (const v of values) {
    const d = v - prev;
    prev = v;
    if (Math.abs(d) < 2 ** 52) {
      let z = d >= 0 ? d * 2 : -d * 2 - 1;
      while (z >= 128) {
        out[n++] = (z % 128) + 128;
        z = Math.floor(z / 128);
      }
      out[n++] = z;
    } else {
      const big = BigInt(d);
      let z = big >= 0n ? big * 2n : -big * 2n - 1n;
      while (z >= 128n) {
        out[n++] = Number(z % 128n) + 128;
        z /= 128n;
      }
      out[n++] = Number(z);
    }
  }
  return out.toString('base64', 0, n);
}

export function unpackIntegers(text: string): number[] {
  const bytes = Buffer.from(text, 'base64');
  const values: number[] = [];
  let prev = 0;
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] & 128) continue;
    if (i - start < 7) {
      // up to 49 bits: exact in a double
      let z = 0;
      for (let k = i; k >= start; k--) z = z * 128 + (bytes[k] & 127);
      prev += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    } else {
      let z = 0n;
      for (let k = i; k >= start; k--) z = z * 128n + BigInt(bytes[k] & 127);
      prev += Number(z % 2n === 0n ? z / 2n : -(z + 1n) / 2n);
    }
    start = i + 1;
    values.push(prev);
  }
  return values;
}
