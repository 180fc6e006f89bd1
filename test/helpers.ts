import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ObjectInfo, RangeResult, ReadOptions, Source } from '../lib/source/source.ts';

/** A Source over bytes in memory that records each read: for parser and raster tests. */
export class MemorySource implements Source {
  readonly reads: { offset: number; length: number }[] = [];
  constructor(readonly bytes: Uint8Array, readonly location = 'memory', readonly etag = '"m1"') {}

  static async fromFile(path: string): Promise<MemorySource> {
    return new MemorySource(new Uint8Array(await readFile(path)), path);
  }

  async read(offset: number, length: number, _options?: ReadOptions): Promise<RangeResult> {
    if (offset >= this.bytes.length) throw new Error(`read at ${offset} past the end (${this.bytes.length})`);
    this.reads.push({ offset, length });
    return { bytes: this.bytes.subarray(offset, Math.min(offset + length, this.bytes.length)), info: await this.head() };
  }

  async head(): Promise<ObjectInfo> {
    return { size: this.bytes.length, etag: this.etag };
  }
}

export interface Fixture {
  file: string;
  dtype: string;
  bands: number;
  width: number;
  height: number;
  compression: string;
  predictor: number;
  interleave: 'pixel' | 'band';
  tiled: boolean;
  overviews: number;
  mask: boolean;
  nodata: number | 'nan' | null;
  epsg: number | null;
  bigtiff: boolean;
  bigEndian: boolean;
  cog: boolean;
  lossy: boolean;
}

const here = new URL('.', import.meta.url).pathname;
export const fixtures: Fixture[] = JSON.parse(readFileSync(`${here}fixtures.json`, 'utf8'));
export const fixturePath = (file: string): string => `${here}fixtures/${file}`;
