/**
 * The streaming pyramid: full-resolution rows go in a strip at a time; each level cuts full tile rows
 * into tiles for the encoder pool and hands them down to make the next overview's rows. Each level
 * holds at most about one tile row (plus the few source rows an odd-sized reduction straddles), so
 * memory is bounded by the image width, never its height.
 */
import type { FileHandle } from 'node:fs/promises';
import type { TypedArray } from '../raster/typed.ts';
import { packMask, type Codec } from './encode.ts';
import type { LevelData, OutputPlan } from './layout.ts';
import type { EncodePool } from './pool.ts';
import { reduceRows, spanOf, type ReduceOptions, type Rows } from './resample.ts';

export interface PyramidOptions {
  plan: OutputPlan;
  pool: EncodePool;
  /** One temporary file per level: its blocks, leaders and trailers, in final order. */
  files: FileHandle[];
  reduce: ReduceOptions;
  codec: Codec;
  zlevel: number;
}

interface LevelState {
  /** Rows of this level not yet cut into tiles. */
  strip?: Rows;
  /** Rows of the level above not yet reduced into this one. */
  source?: Rows;
  nextRow: number;
  /** Writes happen in tile order, though tiles finish encoding in any order. */
  chain: Promise<void>;
  position: number;
  data: LevelData;
}

export class Pyramid {
  private readonly levels: LevelState[];

  constructor(private readonly o: PyramidOptions) {
    this.levels = o.plan.levels.map(() => ({
      nextRow: 0, chain: Promise.resolve(), position: 0,
      data: { imageOffsets: [], imageCounts: [], maskOffsets: [], maskCounts: [], size: 0 },
    }));
  }

  /** Add rows of `level` (in order, no gaps). */
  push(level: number, rows: Rows): void {
    const st = this.levels[level];
    const { height } = this.o.plan.levels[level];
    const T = this.o.plan.tileSize;
    st.strip = concatRows(st.strip, rows);
    while (st.strip && (st.strip.rows >= T || st.strip.y0 + st.strip.rows === height)) {
      const take = Math.min(T, st.strip.rows);
      const chunk = sliceRows(st.strip, 0, take);
      st.strip = take < st.strip.rows ? sliceRows(st.strip, take, st.strip.rows) : undefined;
      this.emitTiles(level, chunk);
      if (level + 1 < this.levels.length) this.feed(level + 1, chunk);
    }
  }

  /** Wait for every tile to be written; returns where each level's blocks are in its file. */
  async finish(): Promise<LevelData[]> {
    for (const st of this.levels) await st.chain;
    return this.levels.map((st) => ({ ...st.data, size: st.position }));
  }

  private feed(level: number, rows: Rows): void {
    const st = this.levels[level];
    const src = this.o.plan.levels[level - 1];
    const dst = this.o.plan.levels[level];
    st.source = concatRows(st.source, rows);
    const have = st.source.y0 + st.source.rows;
    let j1 = st.nextRow;
    while (j1 < dst.height && spanOf(j1, src.height, dst.height, this.o.reduce.method).end <= have) j1++;
    if (j1 === st.nextRow) return;
    const out = reduceRows(st.source, src.height, dst.width, dst.height, st.nextRow, j1, this.o.reduce);
    st.nextRow = j1;
    // Keep only the source rows the next destination row still needs.
    const keepFrom = j1 < dst.height ? spanOf(j1, src.height, dst.height, this.o.reduce.method).start : have;
    st.source = keepFrom < have ? sliceRows(st.source, keepFrom - st.source.y0, st.source.rows) : undefined;
    this.push(level, out);
  }

  private emitTiles(level: number, chunk: Rows): void {
    const { plan, pool, codec, zlevel } = this.o;
    const T = plan.tileSize;
    const spp = plan.samplesPerPixel;
    const bps = plan.bitsPerSample / 8;
    const fill = this.o.reduce.nodata ?? 0;
    const lv = plan.levels[level];
    const st = this.levels[level];
    for (let tx = 0; tx < lv.across; tx++) {
      const x0 = tx * T;
      const w = Math.min(T, lv.width - x0);
      const tile = new (chunk.bands[0].constructor as new (n: number) => TypedArray)(T * T * spp);
      if (fill !== 0) tile.fill(fill); // padding beyond the image edge reads as nodata, as GDAL pads
      for (let y = 0; y < chunk.rows; y++) {
        const src = y * chunk.width + x0;
        if (spp === 1) {
          tile.set(chunk.bands[0].subarray(src, src + w), y * T);
          continue;
        }
        for (let b = 0; b < spp; b++) {
          const band = chunk.bands[b];
          for (let x = 0, d = y * T * spp + b; x < w; x++, d += spp) tile[d] = band[src + x];
        }
      }
      const image = pool.encode({
        data: new Uint8Array(tile.buffer), width: T, height: T, samplesPerPixel: spp,
        bytesPerSample: bps, predictor: plan.predictor, codec, level: zlevel,
      });
      let mask: Promise<Uint8Array> | undefined;
      if (chunk.mask) {
        const m = new Uint8Array(T * T);
        for (let y = 0; y < chunk.rows; y++) m.set(chunk.mask.subarray(y * chunk.width + x0, y * chunk.width + x0 + w), y * T);
        mask = pool.encode({ data: packMask(m, T, T), width: T, height: T, samplesPerPixel: 1, bytesPerSample: 1, predictor: 1, codec, level: zlevel });
      }
      // Failures surface from finish(); these handlers only keep Node from calling them unhandled first.
      image.catch(() => {});
      mask?.catch(() => {});
      st.chain = st.chain.then(async () => {
        await this.writeBlock(level, await image, false);
        if (mask) await this.writeBlock(level, await mask, true);
      });
      st.chain.catch(() => {});
    }
  }

  /** Leader (size as uint32), block, trailer (its last 4 bytes again): GDAL's block framing. */
  private async writeBlock(level: number, bytes: Uint8Array, isMask: boolean): Promise<void> {
    const st = this.levels[level];
    const leader = Buffer.alloc(4);
    leader.writeUInt32LE(bytes.length);
    const trailer = Buffer.from(bytes.subarray(Math.max(0, bytes.length - 4)));
    await this.o.files[level].writev([leader, bytes, trailer], st.position);
    (isMask ? st.data.maskOffsets : st.data.imageOffsets).push(st.position + 4);
    (isMask ? st.data.maskCounts : st.data.imageCounts).push(bytes.length);
    st.position += 4 + bytes.length + trailer.length;
  }
}

function concatRows(a: Rows | undefined, b: Rows): Rows {
  if (!a || a.rows === 0) return b;
  const n = (a.rows + b.rows) * a.width;
  const join = <T extends TypedArray>(x: T, y: T): T => {
    const out = new (x.constructor as new (n: number) => T)(n);
    out.set(x);
    out.set(y, x.length);
    return out;
  };
  return {
    y0: a.y0, rows: a.rows + b.rows, width: a.width,
    bands: a.bands.map((band, i) => join(band, b.bands[i])),
    mask: a.mask && b.mask ? join(a.mask, b.mask) : undefined,
  };
}

function sliceRows(r: Rows, from: number, to: number): Rows {
  const s = from * r.width, e = to * r.width;
  return { y0: r.y0 + from, rows: to - from, width: r.width, bands: r.bands.map((b) => b.subarray(s, e)), mask: r.mask?.subarray(s, e) };
}
