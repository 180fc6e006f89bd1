import { readFileSync } from 'node:fs';

export { MemorySource } from '../lib/source/memory.ts';

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
