/**
 * Crafted TIFFs for the header-hardening tests: a TIFF/BigTIFF writer whose entries may carry any
 * field type (so a test can declare ImageWidth as DOUBLE, or TileOffsets as RATIONAL), and the two
 * files the tests need: a small valid COG with chosen field types, and an IFD bomb — hundreds of
 * chained IFDs whose TileOffsets/TileByteCounts all point at one shared blob.
 *
 * Run directly to write a file for gdalinfo or `taoguan info`:
 *   node --import tsx test/tiff-craft.ts bomb out.tif [ifds] [values] [type]
 *   node --import tsx test/tiff-craft.ts cog out.tif [tag=type ...]
 */
import { writeFileSync } from 'node:fs';

export const T = { BYTE: 1, ASCII: 2, SHORT: 3, LONG: 4, RATIONAL: 5, SBYTE: 6, UNDEFINED: 7, SSHORT: 8, SLONG: 9, SRATIONAL: 10, FLOAT: 11, DOUBLE: 12, IFD: 13, LONG8: 16, SLONG8: 17, IFD8: 18 } as const;
const SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8 };

/** An entry with its values (encoded as `type`), or one that only declares `count` values at byte `at`. */
export type CraftEntry = { tag: number; type: number; values: number[] | string } | { tag: number; type: number; count: number; at: number };

export interface CraftOptions {
  bigTiff?: boolean;
  /** Bytes placed after the IFDs; `place` gets their offset, so entries can point into them. */
  tail?: Uint8Array;
}

const entryCount = (e: CraftEntry) => ('values' in e ? (typeof e.values === 'string' ? e.values.length + 1 : e.values.length) : e.count);

/**
 * A little-endian TIFF (or BigTIFF): header, then each IFD followed by its out-of-line values, chained
 * in order, then `tail`. `build(tailOffset)` makes the IFDs once the tail's offset is known (the IFD
 * area's size depends only on types and counts, which build must keep the same for any offset).
 */
export function writeTiff(build: (tailOffset: number) => CraftEntry[][], options: CraftOptions = {}): Uint8Array {
  const big = options.bigTiff ?? false;
  const [head, countSize, entrySize, ptr] = big ? [16, 8, 20, 8] : [8, 2, 12, 4];
  const outOfLine = (e: CraftEntry) => ('values' in e && SIZE[e.type] * entryCount(e) > ptr ? even(SIZE[e.type] * entryCount(e)) : 0);
  const areaOf = (ifds: CraftEntry[][]) => ifds.reduce((n, entries) => n + countSize + entries.length * entrySize + ptr + entries.reduce((m, e) => m + outOfLine(e), 0), 0);
  const tailOffset = head + areaOf(build(0));
  const ifds = build(tailOffset);
  const tail = options.tail ?? new Uint8Array(0);
  const buf = new Uint8Array(tailOffset + tail.length);
  const v = new DataView(buf.buffer);
  const setPtr = (at: number, value: number) => (big ? v.setBigUint64(at, BigInt(value), true) : v.setUint32(at, value, true));
  v.setUint16(0, 0x4949);
  v.setUint16(2, big ? 43 : 42, true);
  if (big) { v.setUint16(4, 8, true); v.setUint16(6, 0, true); }
  setPtr(big ? 8 : 4, head);
  let at = head;
  ifds.forEach((entries, i) => {
    const sorted = [...entries].sort((a, b) => a.tag - b.tag);
    const ifd = at;
    if (big) v.setBigUint64(ifd, BigInt(sorted.length), true);
    else v.setUint16(ifd, sorted.length, true);
    let values = ifd + countSize + sorted.length * entrySize + ptr;
    sorted.forEach((e, k) => {
      const p = ifd + countSize + k * entrySize;
      const count = entryCount(e);
      v.setUint16(p, e.tag, true);
      v.setUint16(p + 2, e.type, true);
      setPtr(p + 4, count);
      const field = p + 4 + ptr;
      if (!('values' in e)) { setPtr(field, e.at); return; }
      const bytes = SIZE[e.type] * count;
      const where = bytes <= ptr ? field : values;
      if (bytes > ptr) { setPtr(field, values); values += even(bytes); }
      encode(v, where, e.type, e.values);
    });
    at = values;
    setPtr(ifd + countSize + sorted.length * entrySize, i + 1 < ifds.length ? at : 0);
  });
  if (at !== tailOffset) throw new Error(`writeTiff: IFD area is ${at - head} bytes, expected ${tailOffset - head} (build changed a count?)`);
  buf.set(tail, tailOffset);
  return buf;
}

const even = (n: number) => n + (n % 2);

function encode(v: DataView, at: number, type: number, values: number[] | string): void {
  if (typeof values === 'string') {
    for (let i = 0; i < values.length; i++) v.setUint8(at + i, values.charCodeAt(i));
    v.setUint8(at + values.length, 0);
    return;
  }
  const size = SIZE[type];
  values.forEach((x, i) => {
    const p = at + i * size;
    switch (type) {
      case T.BYTE: case T.UNDEFINED: case T.ASCII: v.setUint8(p, x); break;
      case T.SBYTE: v.setInt8(p, x); break;
      case T.SHORT: v.setUint16(p, x, true); break;
      case T.SSHORT: v.setInt16(p, x, true); break;
      case T.LONG: case T.IFD: v.setUint32(p, x, true); break;
      case T.SLONG: v.setInt32(p, x, true); break;
      case T.RATIONAL: v.setUint32(p, x, true); v.setUint32(p + 4, 1, true); break;
      case T.SRATIONAL: v.setInt32(p, x, true); v.setInt32(p + 4, 1, true); break;
      case T.FLOAT: v.setFloat32(p, x, true); break;
      case T.DOUBLE: v.setFloat64(p, x, true); break;
      case T.LONG8: case T.IFD8: v.setBigUint64(p, BigInt(x), true); break;
      case T.SLONG8: v.setBigInt64(p, BigInt(x), true); break;
      default: throw new Error(`encode: type ${type}`);
    }
  });
}

/** Tag ids the crafted files use. */
export const TAG = {
  NewSubfileType: 254, ImageWidth: 256, ImageLength: 257, BitsPerSample: 258, Compression: 259, Photometric: 262,
  SamplesPerPixel: 277, PlanarConfiguration: 284, TileWidth: 322, TileLength: 323, TileOffsets: 324, TileByteCounts: 325,
  SampleFormat: 339, ModelPixelScale: 33550, ModelTiepoint: 33922, GeoKeyDirectory: 34735,
} as const;

/**
 * A valid uint8 COG (IFDs first, overview data before full resolution, as GDAL lays it out) of
 * `size`² pixels in 128² uncompressed tiles, with one overview, in EPSG:4326 over eastern China.
 * `types` overrides the field type of any of its tags, keeping the values (encoded in that type).
 */
export function craftCog(options: { size?: number; types?: Partial<Record<number, number>>; bigTiff?: boolean } = {}): Uint8Array {
  const size = options.size ?? 256;
  const tile = 128;
  const levels = [size, size / 2];
  const tilesOf = (w: number) => Math.ceil(w / tile) ** 2;
  const tileBytes = tile * tile;
  const pixels = (w: number, level: number) => {
    // A gradient, so a blank tile is told from a real one; each level's pixel (x, y) holds the same value.
    const out = new Uint8Array(tilesOf(w) * tileBytes);
    const across = Math.ceil(w / tile);
    for (let t = 0; t < tilesOf(w); t++) {
      for (let y = 0; y < tile; y++) for (let x = 0; x < tile; x++) {
        const px = (t % across) * tile + x, py = Math.floor(t / across) * tile + y;
        out[t * tileBytes + y * tile + x] = px < w && py < w ? 1 + ((px + py) << level) % 250 : 0;
      }
    }
    return out;
  };
  // Smallest level's data first, as a COG has it.
  const data = levels.map((w, i) => pixels(w, i)).reverse();
  const tail = new Uint8Array(data.reduce((n, d) => n + d.length, 0));
  data.reduce((at, d) => (tail.set(d, at), at + d.length), 0);
  const type = (tag: number, fallback: number) => options.types?.[tag] ?? fallback;
  const big = options.bigTiff ?? false;
  return writeTiff((tailOffset) => {
    let dataAt = tailOffset + tail.length;
    return levels.map((w, level) => {
      const n = tilesOf(w);
      dataAt -= n * tileBytes;
      const offsets = Array.from({ length: n }, (_, i) => dataAt + i * tileBytes);
      const entries: CraftEntry[] = [
        { tag: TAG.ImageWidth, type: type(TAG.ImageWidth, T.SHORT), values: [w] },
        { tag: TAG.ImageLength, type: type(TAG.ImageLength, T.SHORT), values: [w] },
        { tag: TAG.BitsPerSample, type: type(TAG.BitsPerSample, T.SHORT), values: [8] },
        { tag: TAG.Compression, type: type(TAG.Compression, T.SHORT), values: [1] },
        { tag: TAG.Photometric, type: T.SHORT, values: [1] },
        { tag: TAG.SamplesPerPixel, type: type(TAG.SamplesPerPixel, T.SHORT), values: [1] },
        { tag: TAG.PlanarConfiguration, type: type(TAG.PlanarConfiguration, T.SHORT), values: [1] },
        { tag: TAG.TileWidth, type: type(TAG.TileWidth, T.SHORT), values: [tile] },
        { tag: TAG.TileLength, type: type(TAG.TileLength, T.SHORT), values: [tile] },
        { tag: TAG.TileOffsets, type: type(TAG.TileOffsets, big ? T.LONG8 : T.LONG), values: offsets },
        { tag: TAG.TileByteCounts, type: type(TAG.TileByteCounts, T.LONG), values: offsets.map(() => tileBytes) },
        { tag: TAG.SampleFormat, type: type(TAG.SampleFormat, T.SHORT), values: [1] },
      ];
      if (level > 0) entries.push({ tag: TAG.NewSubfileType, type: T.LONG, values: [1] });
      else {
        const pixel = 0.01 * (256 / size);
        entries.push(
          { tag: TAG.ModelPixelScale, type: T.DOUBLE, values: [pixel, pixel, 0] },
          { tag: TAG.ModelTiepoint, type: T.DOUBLE, values: [0, 0, 0, 120, 31, 0] },
          // GeoTIFF 1.0, geographic (2), PixelIsArea (1), EPSG:4326
          { tag: TAG.GeoKeyDirectory, type: T.SHORT, values: [1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326] },
        );
      }
      return entries;
    });
  }, { tail, bigTiff: big });
}

/**
 * The IFD bomb: `ifds` chained tiled IFDs, each declaring `values` TileOffsets and TileByteCounts of
 * `type`, all pointing at one shared blob of `values × size(type)` bytes. The file stays small while
 * a parser that decodes every declared value materialises ifds × values × 2 numbers.
 */
export function craftIfdBomb(options: { ifds?: number; values?: number; type?: number } = {}): Uint8Array {
  const ifds = options.ifds ?? 450;
  const values = options.values ?? 1024 * 1024;
  const type = options.type ?? T.BYTE;
  // Every value 1 (little-endian): blocks of 1 byte at byte 1, inside the file, so only the caps refuse it.
  const tail = new Uint8Array(values * SIZE[type]);
  for (let i = 0; i < tail.length; i += SIZE[type]) tail[i] = 1;
  // 1024 × 1024 tiles of 16 × 16 px: exactly `values` blocks for the default.
  const side = Math.round(Math.sqrt(values));
  return writeTiff((blob) => Array.from({ length: ifds }, (_, i) => [
    { tag: TAG.NewSubfileType, type: T.LONG, values: [i === 0 ? 0 : 1] },
    { tag: TAG.ImageWidth, type: T.LONG, values: [side * 16] },
    { tag: TAG.ImageLength, type: T.LONG, values: [side * 16] },
    { tag: TAG.BitsPerSample, type: T.SHORT, values: [8] },
    { tag: TAG.TileWidth, type: T.SHORT, values: [16] },
    { tag: TAG.TileLength, type: T.SHORT, values: [16] },
    { tag: TAG.TileOffsets, type, count: values, at: blob },
    { tag: TAG.TileByteCounts, type, count: values, at: blob },
  ]), { tail });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [kind, out, ...rest] = process.argv.slice(2);
  if (kind === 'bomb') {
    const [ifds, values, type] = rest.map(Number);
    writeFileSync(out, craftIfdBomb({ ifds: ifds || undefined, values: values || undefined, type: type || undefined }));
  } else if (kind === 'cog') {
    const types = Object.fromEntries(rest.map((kv) => kv.split('=').map(Number)));
    writeFileSync(out, craftCog({ types }));
  } else {
    console.error('usage: tiff-craft.ts bomb|cog OUT [...]');
    process.exit(2);
  }
}
