/**
 * Mutation fuzzing of the header parser and the window reader, over the fixtures (every codec,
 * BigTIFF, big-endian, band-interleaved, masks, strips). A case is one fixture with 1–4 mutations:
 * - byte: any byte of the header set to any value;
 * - entry: one field of an IFD entry — its tag, field type, count or value/offset — set to a value
 *   near the original, a boundary (0, 1, 2^16-1, 2^31-1, 2^32-1), a multiple of it, or anything;
 * - array: one element of a block offset or byte count array, the same way;
 * - block: a byte of a compressed block the reads below decode;
 * and maybe a cut (the file truncated). Then readHeader, validateCog, a serialise round trip and a
 * window of up to 512² at every level. Each step must succeed or throw one of the library's own
 * errors (lib/errors/index.ts) — TiffError (malformed file), CorruptBlockError (a block that does not
 * decode), ReadLimitError (over a read cap), SourceError (a range past the end of the object) —
 * anything else is a finding, thrown with the case.
 *
 * `npm test` runs a few thousand cases (test/tiff-fuzz.test.ts); `npm run fuzz` runs 100,000 or more
 * in worker threads under a watchdog that also catches hangs and out-of-memory (scripts/tools/fuzz.ts).
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { TaoguanError } from '../lib/errors/index.ts';
import { ReadBudget } from '../lib/raster/budget.ts';
import { readWindow } from '../lib/raster/window.ts';
import { MemorySource } from '../lib/source/memory.ts';
import { deserializeHeader, readHeader, serializeHeader, validateCog } from '../lib/tiff/index.ts';

interface Field {
  /** Byte position and width (2, 4 or 8) of a mutable integer in the file. */
  at: number;
  width: 2 | 4 | 8;
}

export interface Seed {
  name: string;
  bytes: Uint8Array;
  littleEndian: boolean;
  /** Per IFD entry: its tag, type, count and value fields. */
  entries: { tag: Field; type: Field; count: Field; value: Field }[];
  /** Elements of the block offset and byte count arrays. */
  arrays: Field[];
  /** Compressed blocks of every level. */
  blocks: { offset: number; length: number }[];
  headerLength: number;
}

/** A fixture walked once: where its entries, array elements and blocks are. */
export async function loadSeed(path: string): Promise<Seed> {
  const bytes = new Uint8Array(readFileSync(path));
  const { header } = await readHeader(new MemorySource(bytes));
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = header.littleEndian, big = header.bigTiff;
  const read = (at: number, width: number) => (width === 2 ? v.getUint16(at, le) : width === 4 ? v.getUint32(at, le) : Number(v.getBigUint64(at, le)));
  const [countW, entryW, ptrW] = (big ? [8, 20, 8] : [2, 12, 4]) as [2 | 8, number, 4 | 8];
  const sizes: Record<number, number> = { 3: 2, 4: 4, 16: 8 };
  const entries: Seed['entries'] = [];
  const arrays: Field[] = [];
  for (let ifd = read(big ? 8 : 4, ptrW); ifd !== 0;) {
    const n = read(ifd, countW);
    for (let i = 0; i < n; i++) {
      const e = ifd + countW + i * entryW;
      const value: Field = { at: e + 4 + ptrW, width: ptrW };
      entries.push({ tag: { at: e, width: 2 }, type: { at: e + 2, width: 2 }, count: { at: e + 4, width: ptrW }, value });
      const tag = read(e, 2), size = sizes[read(e + 2, 2)], count = read(e + 4, ptrW);
      if ([273, 279, 324, 325].includes(tag) && size) {
        const base = size * count <= ptrW ? value.at : read(value.at, ptrW);
        for (let k = 0; k < count; k++) arrays.push({ at: base + k * size, width: size as 2 | 4 | 8 });
      }
    }
    ifd = read(ifd + countW + n * entryW, ptrW);
  }
  const blocks = header.levels.flatMap((l) => [l.image, ...(l.mask ? [l.mask] : [])])
    .flatMap((im) => im.offsets.map((offset, i) => ({ offset, length: im.byteCounts[i] })))
    .filter((b) => b.length > 0);
  return { name: path.split('/').pop()!, bytes, littleEndian: le, entries, arrays, blocks, headerLength: header.headerLength };
}

const BOUNDARIES = [0, 1, 2, 3, 7, 8, 255, 0xffff, 0x7fffffff, 0xffffffff, 2 ** 53 - 1];
const value = fc.oneof(
  fc.record({ rel: fc.integer({ min: -16, max: 16 }) }),
  fc.record({ abs: fc.constantFrom(...BOUNDARIES) }),
  fc.record({ abs: fc.nat() }),
  fc.record({ times: fc.constantFrom(2, 16, 1024, 65536) }),
);
const type = fc.record({ abs: fc.integer({ min: 0, max: 20 }) });
const mutation = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('byte' as const), pick: fc.nat(), to: fc.nat(255) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('entry' as const), pick: fc.nat(), field: fc.constantFrom('tag' as const, 'count' as const, 'value' as const), to: value }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('entry' as const), pick: fc.nat(), field: fc.constant('type' as const), to: type }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('array' as const), pick: fc.nat(), to: value }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('block' as const), pick: fc.nat(), at: fc.nat(), to: fc.nat(255) }) },
);
export type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;
export interface FuzzCase { seed: number; mutations: Mutation[]; cut?: number }

export const fuzzCase: fc.Arbitrary<FuzzCase> = fc.record({
  seed: fc.nat(),
  mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
  cut: fc.oneof({ arbitrary: fc.constant(undefined), weight: 9 }, { arbitrary: fc.nat(), weight: 1 }),
});

type NewValue = { rel: number } | { abs: number } | { times: number };

/** The case's file: the seed's bytes, mutated. */
export function mutate(seeds: Seed[], c: FuzzCase): Uint8Array {
  const s = seeds[c.seed % seeds.length];
  const bytes = s.bytes.slice();
  const v = new DataView(bytes.buffer);
  const get = (f: Field) => (f.width === 2 ? v.getUint16(f.at, s.littleEndian) : f.width === 4 ? v.getUint32(f.at, s.littleEndian) : Number(v.getBigUint64(f.at, s.littleEndian)));
  const set = (f: Field, to: NewValue) => {
    const old = get(f);
    const n = 'rel' in to ? old + to.rel : 'abs' in to ? to.abs : old * to.times;
    const max = f.width === 8 ? 2 ** 64 : 2 ** (8 * f.width);
    const x = ((Math.floor(n) % max) + max) % max;
    if (f.width === 2) v.setUint16(f.at, x, s.littleEndian);
    else if (f.width === 4) v.setUint32(f.at, x, s.littleEndian);
    else v.setBigUint64(f.at, BigInt(x), s.littleEndian);
  };
  for (const m of c.mutations) {
    if (m.kind === 'byte') bytes[m.pick % s.headerLength] = m.to;
    else if (m.kind === 'entry') set(s.entries[m.pick % s.entries.length][m.field], m.to);
    else if (m.kind === 'array' && s.arrays.length) set(s.arrays[m.pick % s.arrays.length], m.to);
    else if (m.kind === 'block' && s.blocks.length) {
      const b = s.blocks[m.pick % s.blocks.length];
      bytes[b.offset + (m.at % b.length)] = m.to;
    }
  }
  return c.cut === undefined ? bytes : bytes.subarray(0, 1 + (c.cut % bytes.length));
}

/** Per-read caps, as every tile request has (smaller than the server's, so cases stay fast). */
const FUZZ_LIMITS = { maxSourceBytes: 64 * 1024 * 1024, maxDecodedPixels: 16 * 1024 * 1024 };

/**
 * Parse, validate, round-trip and read one file; returns how far it got ("read", or the stage and
 * the typed error that stopped it). Throws anything else.
 */
export async function runCase(bytes: Uint8Array): Promise<string> {
  const source = new MemorySource(bytes);
  let stage = 'header';
  try {
    const { header } = await readHeader(source);
    validateCog(header);
    stage = 'serialise';
    deserializeHeader(serializeHeader(header));
    stage = 'read';
    for (let level = 0; level < header.levels.length; level++) {
      const im = header.levels[level].image;
      const window = { x: 0, y: 0, width: Math.min(im.width, 512), height: Math.min(im.height, 512) };
      await readWindow(header, source, window, { level, budget: new ReadBudget(FUZZ_LIMITS) });
    }
    return 'read';
  } catch (e) {
    // the library's own typed errors (lib/errors/index.ts): a corrupt block is a CorruptBlockError, origin kind
    if (e instanceof TaoguanError && e.kind !== 'internal') return `${stage}: ${e.name}`;
    throw e;
  }
}

/** The fixtures every case starts from. */
export function seedPaths(): string[] {
  const dir = new URL('fixtures/', import.meta.url).pathname;
  const fixtures: { file: string }[] = JSON.parse(readFileSync(new URL('fixtures.json', import.meta.url), 'utf8'));
  return fixtures.map((f) => dir + f.file);
}
