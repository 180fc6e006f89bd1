/**
 * Serialising IFDs, little-endian, classic TIFF or BigTIFF. An IFD's size depends only on its tags'
 * types and counts, never on their values, so the layout can be computed before tile offsets are known.
 */

/** TIFF field types the writer emits. */
export const FieldType = { BYTE: 1, ASCII: 2, SHORT: 3, LONG: 4, DOUBLE: 12, LONG8: 16 } as const;
type FieldTypeId = (typeof FieldType)[keyof typeof FieldType];

const SIZE: Record<FieldTypeId, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 12: 8, 16: 8 };

export interface TagEntry {
  tag: number;
  type: FieldTypeId;
  /** Numbers, or a string for ASCII (the NUL terminator is added here). */
  values: number[] | string;
}

function count(e: TagEntry): number {
  return typeof e.values === 'string' ? Buffer.byteLength(e.values, 'latin1') + 1 : e.values.length;
}

/** Bytes an IFD takes: the directory itself plus its out-of-line values (each word aligned). */
export function ifdByteSize(entries: TagEntry[], bigTiff: boolean): number {
  const inline = bigTiff ? 8 : 4;
  let size = (bigTiff ? 8 : 2) + entries.length * (bigTiff ? 20 : 12) + (bigTiff ? 8 : 4);
  for (const e of entries) {
    const bytes = count(e) * SIZE[e.type];
    if (bytes > inline) size += bytes + (bytes & 1);
  }
  return size;
}

/** Write an IFD at `offset` (its values right after it); `next` is the following IFD's offset or 0. */
export function writeIfd(view: DataView, offset: number, entries: TagEntry[], bigTiff: boolean, next: number): number {
  const sorted = [...entries].sort((a, b) => a.tag - b.tag);
  const inline = bigTiff ? 8 : 4;
  const entrySize = bigTiff ? 20 : 12;
  let p = offset;
  if (bigTiff) { view.setBigUint64(p, BigInt(sorted.length), true); p += 8; } else { view.setUint16(p, sorted.length, true); p += 2; }
  let extra = p + sorted.length * entrySize + inline;
  for (const e of sorted) {
    const n = count(e);
    const bytes = n * SIZE[e.type];
    view.setUint16(p, e.tag, true);
    view.setUint16(p + 2, e.type, true);
    if (bigTiff) view.setBigUint64(p + 4, BigInt(n), true); else view.setUint32(p + 4, n, true);
    const valueField = p + (bigTiff ? 12 : 8);
    let at = valueField;
    if (bytes > inline) {
      at = extra;
      if (bigTiff) view.setBigUint64(valueField, BigInt(extra), true); else view.setUint32(valueField, extra, true);
      extra += bytes + (bytes & 1);
    }
    writeValues(view, at, e);
    p += entrySize;
  }
  if (bigTiff) view.setBigUint64(p, BigInt(next), true); else view.setUint32(p, next, true);
  return extra;
}

function writeValues(view: DataView, at: number, e: TagEntry): void {
  if (typeof e.values === 'string') {
    const bytes = Buffer.from(e.values, 'latin1');
    for (let i = 0; i < bytes.length; i++) view.setUint8(at + i, bytes[i]);
    view.setUint8(at + bytes.length, 0);
    return;
  }
  const size = SIZE[e.type];
  e.values.forEach((v, i) => {
    const o = at + i * size;
    switch (e.type) {
      case FieldType.BYTE: view.setUint8(o, v); break;
      case FieldType.SHORT: view.setUint16(o, v, true); break;
      case FieldType.LONG: view.setUint32(o, v, true); break;
      case FieldType.DOUBLE: view.setFloat64(o, v, true); break;
      case FieldType.LONG8: view.setBigUint64(o, BigInt(v), true); break;
    }
  });
}
