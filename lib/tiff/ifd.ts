import { FIELD_TYPE_NAME, FIELD_TYPE_SIZE, TAG_RULES, tagName, type TagRule } from './tags.ts';
import { TiffError, type HeaderReader } from './reader.ts';

/**
 * Hostile-file bounds: real GeoTIFFs stay far below these. Every one is checked while the IFD chain
 * is walked, from the entries alone, before any tag value is fetched or decoded: a 1 MB file whose
 * 500 IFDs each declare a million TileOffsets in one shared blob fails on its third IFD, in
 * microseconds, instead of materialising a billion numbers.
 */
export const LIMITS = {
  /** IFDs in the chain. A COG of a 2^31-pixel-wide image has 24 levels; masks double that. */
  maxIfds: 128,
  maxEntriesPerIfd: 1024,
  /** Bytes of one tag's value (a 1M-tile offset array in BigTIFF is 8 MB). */
  maxTagBytes: 32 * 1024 * 1024,
  /**
   * Values of the tags the parser reads, summed over every IFD (ASCII characters count one each).
   * Block offsets and byte counts dominate: a level of 1M blocks with its overviews declares 2.7M.
   */
  maxHeaderValues: 4 * 1024 * 1024,
  /**
   * Bytes of the header as the catalog stores it (serializeHeader): a MySQL MEDIUMBLOB holds it even
   * undeflated, and the 32 MiB catalog cache two. A 1M-block level with overviews takes ~11 MB.
   */
  maxSerializedHeaderBytes: 16 * 1024 * 1024,
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
  rule: TagRule;
  /** Where the value is: inline in the entry, or at an offset in the file. */
  valueOffset: number;
}

interface IfdEntries {
  offset: number;
  index: number;
  entries: Entry[];
  next: number;
}

/**
 * Walk the IFD chain from `first`, then fetch the values of the tags we use (and only those). The
 * chain's length, each tag's field type and size, and the values all IFDs declare together are
 * bounded before the first value is fetched.
 */
export async function readIfdChain(r: HeaderReader, first: number, bigTiff: boolean): Promise<RawIfd[]> {
  const chain: IfdEntries[] = [];
  const seen = new Set<number>();
  let values = 0;
  for (let next = first; next !== 0;) {
    if (seen.has(next)) throw new TiffError(`IFD chain loops back to byte ${next}`);
    if (chain.length >= LIMITS.maxIfds) throw new TiffError(`more than ${LIMITS.maxIfds} IFDs (the cap on IFDs per file); refusing to read further`);
    seen.add(next);
    const ifd = await readEntries(r, next, bigTiff, chain.length);
    for (const e of ifd.entries) values += e.count;
    if (values > LIMITS.maxHeaderValues) {
      throw new TiffError(`IFDs 0–${ifd.index} declare ${values} tag values, more than the cap of ${LIMITS.maxHeaderValues} header values; refusing to read them (hostile or corrupt file?)`);
    }
    chain.push(ifd);
    next = ifd.next;
  }
  const out: RawIfd[] = [];
  for (const ifd of chain) out.push(await readValues(r, ifd));
  return out;
}

/** One IFD at `offset`, alone (its chain already read and bounded by readIfdChain). */
export async function readIfd(r: HeaderReader, offset: number, bigTiff: boolean, index: number): Promise<RawIfd> {
  return readValues(r, await readEntries(r, offset, bigTiff, index));
}

/** One IFD's entries for the tags we use, their types and sizes checked; no value is fetched. */
async function readEntries(r: HeaderReader, offset: number, bigTiff: boolean, index: number): Promise<IfdEntries> {
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
    const rule = TAG_RULES[tag];
    if (!rule) continue;
    const type = r.u16(e + 2);
    const count = bigTiff ? r.u64(e + 4) : r.u32(e + 4);
    const size = FIELD_TYPE_SIZE[type];
    if (size === undefined) throw new TiffError(`${where}: ${tagName(tag)} has unknown field type ${type}`);
    if (!rule.types.has(type)) {
      throw new TiffError(`${where}: ${tagName(tag)} has field type ${FIELD_TYPE_NAME[type]} (${type}); it must be ${rule.kind === 'integer' ? `an integer type (${rule.spec})` : rule.spec}`);
    }
    const bytes = size * count;
    if (bytes > LIMITS.maxTagBytes) throw new TiffError(`${where}: ${tagName(tag)} claims ${count} values (${bytes} bytes, limit ${LIMITS.maxTagBytes})`);
    const inline = bytes <= pointerSize;
    const valueOffset = inline ? e + (bigTiff ? 12 : 8) : bigTiff ? r.u64(e + 12) : r.u32(e + 8);
    entries.push({ tag, type, count, rule, valueOffset });
  }
  const next = bigTiff ? r.u64(offset + countSize + n * entrySize) : r.u32(offset + countSize + n * entrySize);
  return { offset, index, entries, next };
}

async function readValues(r: HeaderReader, ifd: IfdEntries): Promise<RawIfd> {
  const where = `IFD ${ifd.index} at byte ${ifd.offset}`;
  // Fetch out-of-line values in file order so a growing prefix read covers them in few requests.
  const ordered = [...ifd.entries].sort((a, b) => a.valueOffset - b.valueOffset);
  const tags = new Map<number, TagValue>();
  for (const entry of ordered) {
    await r.ensure(entry.valueOffset, FIELD_TYPE_SIZE[entry.type] * entry.count, `${where}: value of ${tagName(entry.tag)}`);
    const value = decodeValue(r, entry);
    if (entry.rule.kind === 'integer' && (value as number[]).some((v) => v < 0)) {
      throw new TiffError(`${where}: ${tagName(entry.tag)} holds a negative value (${FIELD_TYPE_NAME[entry.type]} ${(value as number[]).find((v) => v < 0)})`);
    }
    tags.set(entry.tag, value);
  }
  return { offset: ifd.offset, tags, next: ifd.next };
}

function decodeValue(r: HeaderReader, { type, count, rule, valueOffset: o }: Entry): TagValue {
  if (rule.kind === 'text') {
    const raw = r.bytes(o, count);
    const end = raw.indexOf(0);
    return new TextDecoder('latin1').decode(end >= 0 ? raw.subarray(0, end) : raw);
  }
  if (rule.kind === 'bytes') return r.bytes(o, count).slice();
  const size = FIELD_TYPE_SIZE[type];
  const [v, start] = r.at(o, size * count);
  const le = r.littleEndian;
  const out = new Array<number>(count);
  for (let i = 0, p = start; i < count; i++, p += size) {
    switch (type) {
      case 1: out[i] = v.getUint8(p); break;
      case 6: out[i] = v.getInt8(p); break;
      case 3: out[i] = v.getUint16(p, le); break;
      case 8: out[i] = v.getInt16(p, le); break;
      case 4: out[i] = v.getUint32(p, le); break;
      case 9: out[i] = v.getInt32(p, le); break;
      case 5: out[i] = v.getUint32(p, le) / v.getUint32(p + 4, le); break;
      case 10: out[i] = v.getInt32(p, le) / v.getInt32(p + 4, le); break;
      case 11: out[i] = v.getFloat32(p, le); break;
      case 12: out[i] = v.getFloat64(p, le); break;
      case 16: out[i] = r.u64(o + i * size); break;
      case 17: out[i] = r.i64(o + i * size); break;
    }
  }
  return out;
}

export function num(ifd: RawIfd, tag: number, fallback?: number): number {
  const v = ifd.tags.get(tag);
  if (v === undefined) {
    if (fallback === undefined) throw new TiffError(`IFD at byte ${ifd.offset} is missing required tag ${tagName(tag)}`);
    return fallback;
  }
  if (!Array.isArray(v) || v.length === 0) throw new TiffError(`IFD at byte ${ifd.offset}: ${tagName(tag)} is not numeric`);
  return v[0];
}

export function nums(ifd: RawIfd, tag: number): number[] | undefined {
  const v = ifd.tags.get(tag);
  if (v === undefined) return undefined;
  if (v instanceof Uint8Array) return Array.from(v);
  if (!Array.isArray(v)) throw new TiffError(`IFD at byte ${ifd.offset}: ${tagName(tag)} is not numeric`);
  return v;
}

export function str(ifd: RawIfd, tag: number): string | undefined {
  const v = ifd.tags.get(tag);
  return typeof v === 'string' ? v : undefined;
}
