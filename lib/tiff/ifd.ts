import { FIELD_TYPE_SIZE, WANTED_TAGS } from './tags.ts';
import { TiffError, type HeaderReader } from './reader.ts';

/** Hostile-file bounds: real GeoTIFFs stay far below these. */
export const LIMITS = {
  maxIfds: 512,
  maxEntriesPerIfd: 1024,
  /** Bytes of one tag's value (a 1M-tile offset array in BigTIFF is 8 MB). */
  maxTagBytes: 32 * 1024 * 1024,
};

export type TagValue = number[] | string | Uint8Array;

export interface RawIfd {
  offset: number;
  tags: Map<number, TagValue>;
  next: number;
}

interface Entry {
  tag: number;
  type: number;
  count: number;
  /** Where the value is: inline in the entry, or at an offset in the file. */
  valueOffset: number;
}

/** Parse the IFD at `offset`, fetching the values of the tags we use (and only those). */
export async function readIfd(r: HeaderReader, offset: number, bigTiff: boolean, index: number): Promise<RawIfd> {
  const where = `IFD ${index} at byte ${offset}`;
  const countSize = bigTiff ? 8 : 2;
  const entrySize = bigTiff ? 20 : 12;
  const pointerSize = bigTiff ? 8 : 4;
  await r.ensure(offset, countSize, where);
  const n = bigTiff ? r.u64(offset) : r.u16(offset);
  if (n === 0) throw new TiffError(`${where} has no entries`);
  if (n > LIMITS.maxEntriesPerIfd) throw new TiffError(`${where} claims ${n} entries (limit ${LIMITS.maxEntriesPerIfd})`);
  await r.ensure(offset + countSize, n * entrySize + pointerSize, `${where} entries`);

  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) {
    const e = offset + countSize + i * entrySize;
    const tag = r.u16(e);
    const type = r.u16(e + 2);
    const count = bigTiff ? r.u64(e + 4) : r.u32(e + 4);
    const size = FIELD_TYPE_SIZE[type];
    if (!WANTED_TAGS.has(tag)) continue;
    if (size === undefined) throw new TiffError(`${where}: tag ${tag} has unknown field type ${type}`);
    const bytes = size * count;
    if (bytes > LIMITS.maxTagBytes) throw new TiffError(`${where}: tag ${tag} claims ${count} values (${bytes} bytes, limit ${LIMITS.maxTagBytes})`);
    const inline = bytes <= pointerSize;
    const valueOffset = inline ? e + (bigTiff ? 12 : 8) : bigTiff ? r.u64(e + 12) : r.u32(e + 8);
    entries.push({ tag, type, count, valueOffset });
  }
  const next = bigTiff ? r.u64(offset + countSize + n * entrySize) : r.u32(offset + countSize + n * entrySize);

  // Fetch out-of-line values in file order so a growing prefix read covers them in few requests.
  const outOfLine = [...entries].sort((a, b) => a.valueOffset - b.valueOffset);
  const tags = new Map<number, TagValue>();
  for (const entry of outOfLine) {
    const bytes = FIELD_TYPE_SIZE[entry.type] * entry.count;
    await r.ensure(entry.valueOffset, bytes, `${where}: value of tag ${entry.tag}`);
    tags.set(entry.tag, decodeValue(r, entry));
  }
  return { offset, tags, next };
}

function decodeValue(r: HeaderReader, { type, count, valueOffset: o }: Entry): TagValue {
  if (type === 2) {
    const raw = r.bytes(o, count);
    const end = raw.indexOf(0);
    return new TextDecoder('latin1').decode(end >= 0 ? raw.subarray(0, end) : raw);
  }
  if (type === 7) return r.bytes(o, count).slice();
  const out = new Array<number>(count);
  const size = FIELD_TYPE_SIZE[type];
  for (let i = 0; i < count; i++) {
    const p = o + i * size;
    switch (type) {
      case 1: out[i] = r.u8(p); break;
      case 6: out[i] = r.i8(p); break;
      case 3: out[i] = r.u16(p); break;
      case 8: out[i] = r.i16(p); break;
      case 4: case 13: out[i] = r.u32(p); break;
      case 9: out[i] = r.i32(p); break;
      case 5: out[i] = r.u32(p) / r.u32(p + 4); break;
      case 10: out[i] = r.i32(p) / r.i32(p + 4); break;
      case 11: out[i] = r.f32(p); break;
      case 12: out[i] = r.f64(p); break;
      case 16: case 18: out[i] = r.u64(p); break;
      case 17: out[i] = r.i64(p); break;
    }
  }
  return out;
}

export function num(ifd: RawIfd, tag: number, fallback?: number): number {
  const v = ifd.tags.get(tag);
  if (v === undefined) {
    if (fallback === undefined) throw new TiffError(`IFD at byte ${ifd.offset} is missing required tag ${tag}`);
    return fallback;
  }
  if (!Array.isArray(v) || v.length === 0) throw new TiffError(`IFD at byte ${ifd.offset}: tag ${tag} is not numeric`);
  return v[0];
}

export function nums(ifd: RawIfd, tag: number): number[] | undefined {
  const v = ifd.tags.get(tag);
  if (v === undefined) return undefined;
  if (v instanceof Uint8Array) return Array.from(v);
  if (!Array.isArray(v)) throw new TiffError(`IFD at byte ${ifd.offset}: tag ${tag} is not numeric`);
  return v;
}

export function str(ifd: RawIfd, tag: number): string | undefined {
  const v = ifd.tags.get(tag);
  return typeof v === 'string' ? v : undefined;
}
