import { readFile } from 'node:fs/promises';
import { SourceError, type ObjectInfo, type RangeResult, type ReadOptions, type Source } from './source.ts';

/**
 * Bytes already in memory as a Source (a whole object fetched once, a test raster), recording each
 * read so tests and benchmarks can count what a tile asked for.
 */
export class MemorySource implements Source {
  readonly reads: { offset: number; length: number }[] = [];
  constructor(readonly bytes: Uint8Array, readonly location = 'memory', readonly etag = '"m1"') {}

  static async fromFile(path: string): Promise<MemorySource> {
    return new MemorySource(new Uint8Array(await readFile(path)), path);
  }

  async read(offset: number, length: number, _options?: ReadOptions): Promise<RangeResult> {
    if (offset >= this.bytes.length) throw new SourceError(`${this.location}: read at ${offset} past the end (${this.bytes.length} bytes)`, 416);
    this.reads.push({ offset, length });
    return { bytes: this.bytes.subarray(offset, Math.min(offset + length, this.bytes.length)), info: await this.head() };
  }

  async head(): Promise<ObjectInfo> {
    return { size: this.bytes.length, etag: this.etag };
  }
}
