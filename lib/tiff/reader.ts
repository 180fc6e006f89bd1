import { InputError } from '../errors/index.ts';
import type { ByteRangeReader, ObjectVersion, RangeReadOptions } from './bytes.ts';

/** A malformed, truncated or hostile TIFF. The message names the problem and where it is. */
export class TiffError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'TiffError';
  }
}

interface Chunk {
  offset: number;
  bytes: Uint8Array;
  view: DataView;
}

/**
 * Random access to the start of a TIFF over a ByteRangeReader (a Source), fetching as little as possible: the first read
 * takes a prefix large enough for a whole COG header; later reads extend it (doubling, so a long
 * IFD chain costs O(log n) requests) or, for data far away (a non-COG's trailing IFDs), fetch a
 * separate chunk.
 */
export class HeaderReader {
  private chunks: Chunk[] = [];
  info: ObjectVersion | undefined;
  requests = 0;
  littleEndian = true;
  /** The furthest byte the parser needed: the header's extent in the file. */
  extent = 0;

  constructor(
    private readonly source: ByteRangeReader,
    private readonly options: RangeReadOptions & { initialLength?: number; maxHeaderBytes?: number } = {},
  ) {}

  get size(): number {
    if (!this.info) throw new Error('HeaderReader: size unknown before the first read');
    return this.info.size;
  }

  /** Bytes fetched so far (the header's cost in transfer). */
  get bytesRead(): number {
    return this.chunks.reduce((n, c) => n + c.bytes.length, 0);
  }

  /** The furthest byte of the prefix chunk that starts at 0. */
  get prefixLength(): number {
    const first = this.chunks.find((c) => c.offset === 0);
    return first ? first.bytes.length : 0;
  }

  async ensure(offset: number, length: number, what: string): Promise<void> {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new TiffError(`${what}: invalid offset ${offset} or length ${length}`);
    }
    if (this.info && offset + length > this.info.size) {
      throw new TiffError(`${what} lies past the end of the file (bytes ${offset}–${offset + length}, file is ${this.info.size} bytes)`);
    }
    this.extent = Math.max(this.extent, offset + length);
    if (this.find(offset, length)) return;
    const max = this.options.maxHeaderBytes ?? 64 * 1024 * 1024;
    if (this.bytesRead + length > max) {
      throw new TiffError(`${what}: header data would exceed ${max} bytes; refusing to read more (hostile or corrupt file?)`);
    }
    const initial = this.options.initialLength ?? 64 * 1024;
    const prefix = this.prefixLength;
    let start: number;
    let end: number;
    if (this.chunks.length === 0) {
      start = 0;
      end = Math.max(initial, offset + length);
    } else if (offset <= prefix * 2 + initial) {
      // Near the prefix: grow it, at least doubling, so a COG's header never takes many requests.
      start = prefix;
      end = Math.max(offset + length, prefix * 2);
    } else {
      start = offset;
      end = offset + Math.max(length, 16 * 1024);
    }
    if (this.info) end = Math.min(end, this.info.size);
    await this.fetch(start, end - start);
    if (!this.find(offset, length)) {
      throw new TiffError(`${what} lies past the end of the file (bytes ${offset}–${offset + length}, file is ${this.size} bytes)`);
    }
  }

  private async fetch(start: number, length: number): Promise<void> {
    const { bytes, info } = await this.source.read(start, length, this.options);
    this.requests++;
    this.info = info;
    const prefix = this.chunks.find((c) => c.offset === 0);
    if (prefix && start === prefix.bytes.length) {
      const merged = new Uint8Array(prefix.bytes.length + bytes.length);
      merged.set(prefix.bytes);
      merged.set(bytes, prefix.bytes.length);
      prefix.bytes = merged;
      prefix.view = new DataView(merged.buffer);
    } else {
      this.chunks.push({ offset: start, bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
    }
  }

  private find(offset: number, length: number): Chunk | undefined {
    return this.chunks.find((c) => offset >= c.offset && offset + length <= c.offset + c.bytes.length);
  }

  /** The loaded bytes at `offset` as a view and the index there (ensure them first): for decoding arrays. */
  at(offset: number, length: number): [DataView, number] {
    const c = this.find(offset, length);
    if (!c) throw new Error(`HeaderReader: bytes ${offset}+${length} not loaded (call ensure first)`);
    return [c.view, offset - c.offset];
  }

  bytes(offset: number, length: number): Uint8Array {
    const c = this.find(offset, length);
    if (!c) throw new Error(`HeaderReader: bytes ${offset}+${length} not loaded (call ensure first)`);
    return c.bytes.subarray(offset - c.offset, offset - c.offset + length);
  }

  u8(o: number): number { const [v, i] = this.at(o, 1); return v.getUint8(i); }
  i8(o: number): number { const [v, i] = this.at(o, 1); return v.getInt8(i); }
  u16(o: number): number { const [v, i] = this.at(o, 2); return v.getUint16(i, this.littleEndian); }
  i16(o: number): number { const [v, i] = this.at(o, 2); return v.getInt16(i, this.littleEndian); }
  u32(o: number): number { const [v, i] = this.at(o, 4); return v.getUint32(i, this.littleEndian); }
  i32(o: number): number { const [v, i] = this.at(o, 4); return v.getInt32(i, this.littleEndian); }
  f32(o: number): number { const [v, i] = this.at(o, 4); return v.getFloat32(i, this.littleEndian); }
  f64(o: number): number { const [v, i] = this.at(o, 8); return v.getFloat64(i, this.littleEndian); }
  /** A 64-bit unsigned integer; offsets beyond 2^53 cannot address any real object, so refuse them. */
  u64(o: number): number {
    const [v, i] = this.at(o, 8);
    const big = v.getBigUint64(i, this.littleEndian);
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new TiffError(`64-bit value ${big} at byte ${o} is too large to be an offset or count`);
    return Number(big);
  }
  i64(o: number): number {
    const [v, i] = this.at(o, 8);
    const big = v.getBigInt64(i, this.littleEndian);
    if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) throw new TiffError(`64-bit value ${big} at byte ${o} is too large to be an offset or count`);
    return Number(big);
  }
}
