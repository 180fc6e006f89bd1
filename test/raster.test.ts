import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { BlockCache, planWindow, readWindow, type BlockCacheStats, type TypedArray } from '../lib/raster/index.ts';
import { readHeader } from '../lib/tiff/index.ts';
import type { CogHeader } from '../lib/tiff/header.ts';
import { fixturePath, fixtures, MemorySource } from './helpers.ts';

interface OracleRequest { file: string; level: number; x: number; y: number; width: number; height: number }
interface OracleResult { dtype: string; bands: string[]; mask: string; x: number; y: number; width: number; height: number }

/** GDAL's values for many windows at once (test/oracle.py, python3-gdal's ReadAsArray). */
function oracle(requests: OracleRequest[]): OracleResult[] {
  const out = execFileSync('/usr/bin/python3', [new URL('./oracle.py', import.meta.url).pathname], {
    input: JSON.stringify({ requests }), encoding: 'utf8', maxBuffer: 512 * 1024 * 1024,
  });
  return JSON.parse(out).results;
}

const CTORS: Record<string, new (b: ArrayBuffer) => TypedArray> = {
  uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array, uint32: Uint32Array,
  int32: Int32Array, float32: Float32Array, float64: Float64Array,
};
function decodeB64(b64: string, dtype: string): TypedArray {
  const buf = Buffer.from(b64, 'base64');
  return new CTORS[dtype](buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** Windows that exercise each level: the corner, one straddling blocks, one past the right/bottom edge. */
function windowsFor(header: CogHeader): { level: number; x: number; y: number; width: number; height: number }[] {
  const out = [];
  for (let level = 0; level < header.levels.length; level++) {
    const { width, height } = header.levels[level].image;
    const w = Math.min(100, width), h = Math.min(90, height);
    out.push({ level, x: 0, y: 0, width: w, height: h });
    out.push({ level, x: Math.floor(width / 3), y: Math.floor(height / 3), width: Math.min(130, width - Math.floor(width / 3)), height: Math.min(70, height - Math.floor(height / 3)) });
    out.push({ level, x: Math.max(0, width - 40), y: Math.max(0, height - 30), width: 64, height: 64 });
  }
  return out;
}

describe('window reads equal GDAL on every fixture and level', () => {
  for (const f of fixtures) {
    it(f.file, async () => {
      const source = await MemorySource.fromFile(fixturePath(f.file));
      const { header } = await readHeader(source);
      const windows = windowsFor(header);
      const expected = oracle(windows.map((w) => ({ file: fixturePath(f.file), ...w })));
      for (let k = 0; k < windows.length; k++) {
        const w = windows[k];
        const g = expected[k];
        const all = await readWindow(header, source, w, { level: w.level });
        const band0 = await readWindow(header, source, w, { level: w.level, bands: [0] });
        const where = `${f.file} level ${w.level} window ${w.x},${w.y} ${w.width}×${w.height}`;
        assert.equal(all.bands.length, g.bands.length, `${where}: band count`);
        const gMask = decodeB64(g.mask, 'uint8');
        let diffSum = 0, diffMax = 0, count = 0, maskDiff = 0;
        for (let b = 0; b < g.bands.length; b++) {
          const gv = decodeB64(g.bands[b], g.dtype);
          for (let yy = 0; yy < g.height; yy++) {
            for (let xx = 0; xx < g.width; xx++) {
              const gi = yy * g.width + xx;
              const ti = (g.y - w.y + yy) * w.width + (g.x - w.x + xx);
              const a = all.bands[b][ti], e = gv[gi];
              if (b === 0 && band0.mask[ti] !== gMask[gi]) maskDiff++;
              if (gMask[gi] === 0) continue; // values under the mask are unspecified
              if (Number.isNaN(e) && Number.isNaN(a)) continue;
              const d = Math.abs(a - e);
              diffSum += d; count++;
              diffMax = Math.max(diffMax, d);
            }
          }
        }
        assert.equal(maskDiff, 0, `${where}: ${maskDiff} mask pixels differ from GDAL's`);
        if (f.lossy) {
          assert.ok(count === 0 || diffSum / count <= 2, `${where}: mean abs diff ${(diffSum / count).toFixed(2)} > 2 DN`);
          assert.ok(diffMax <= 24, `${where}: max abs diff ${diffMax} > 24 DN`);
        } else {
          assert.equal(diffMax, 0, `${where}: values differ from GDAL's (max diff ${diffMax})`);
        }
        // Everything outside the image is invalid.
        for (let yy = 0; yy < w.height; yy++) {
          for (let xx = 0; xx < w.width; xx++) {
            const outside = w.x + xx >= header.levels[w.level].image.width || w.y + yy >= header.levels[w.level].image.height;
            if (outside) assert.equal(all.mask[yy * w.width + xx], 0, `${where}: pixel outside the image is valid`);
          }
        }
      }
    });
  }
});

describe('window plans', () => {
  it('touch only the blocks under the window, and the mask blocks with them', async () => {
    const f = fixtures.find((x) => x.mask && x.tiled)!;
    const { header } = await readHeader(await MemorySource.fromFile(fixturePath(f.file)));
    const im = header.levels[0].image;
    const plan = planWindow(header, 0, { x: im.blockWidth - 1, y: 0, width: 2, height: 1 });
    assert.deepEqual(plan.blocks.map((b) => [b.image, b.bx, b.by]), [['data', 0, 0], ['data', 1, 0], ['mask', 0, 0], ['mask', 1, 0]]);
  });

  it('refuse bad windows, levels and bands with a clear error', async () => {
    const { header } = await readHeader(await MemorySource.fromFile(fixturePath(fixtures[0].file)));
    assert.throws(() => planWindow(header, 99, { x: 0, y: 0, width: 1, height: 1 }), /level 99 does not exist/);
    assert.throws(() => planWindow(header, 0, { x: 0, y: 0, width: 0, height: 1 }), /invalid window/);
    assert.throws(() => planWindow(header, 0, { x: 0.5, y: 0, width: 1, height: 1 }), /invalid window/);
    assert.throws(() => planWindow(header, 0, { x: 0, y: 0, width: 100000, height: 100000 }), /exceeds/);
    assert.throws(() => planWindow(header, 0, { x: 0, y: 0, width: 1, height: 1 }, [42]), /band index 42 out of range/);
  });

  it('a window entirely outside the image needs no blocks and is all invalid', async () => {
    const source = await MemorySource.fromFile(fixturePath(fixtures[0].file));
    const { header } = await readHeader(source);
    const before = source.reads.length;
    const win = await readWindow(header, source, { x: -500, y: -500, width: 16, height: 16 });
    assert.equal(source.reads.length, before);
    assert.ok(win.mask.every((m) => m === 0));
  });
});

describe('blocks decoded only down to the rows a window needs', () => {
  // Deflate blocks are inflated only as far as the window reaches; a later window further down the
  // same block must decode it again (a miss), and its pixels must still be GDAL's.
  for (const file of ['u16-4band-deflate-p2-meta-utm50.tif', 'f32-deflate-p3-nan-4490.tif', 'i16-deflate-p2-bigtiff-be-4547.tif']) {
    it(`${file}: through the block cache, top rows first, then the whole block`, async () => {
      const source = await MemorySource.fromFile(fixturePath(file));
      const { header } = await readHeader(source);
      const bh = header.levels[0].image.blockHeight, bw = header.levels[0].image.blockWidth;
      const windows = [
        { level: 0, x: 3, y: 0, width: bw - 6, height: 9 },
        { level: 0, x: 0, y: bh - 20, width: bw, height: 20 },
        { level: 0, x: 5, y: 2, width: 40, height: 5 },
      ];
      const expected = oracle(windows.map((w) => ({ file: fixturePath(file), ...w })));
      const cache = new BlockCache();
      const outcomes: [number, number][] = [];
      for (let k = 0; k < windows.length; k++) {
        const w = windows[k];
        const stats = { hits: 0, misses: 0 };
        const got = await readWindow(header, source, w, { level: 0, cache: cache.loader(stats) });
        outcomes.push([stats.hits, stats.misses]);
        const g = expected[k];
        for (let b = 0; b < g.bands.length; b++) {
          const gv = decodeB64(g.bands[b], g.dtype);
          for (let i = 0; i < gv.length; i++) {
            const a = got.bands[b][i], e = gv[i];
            if (!(Number.isNaN(a) && Number.isNaN(e))) assert.equal(a, e, `window ${k} band ${b} pixel ${i}`);
          }
        }
      }
      // the first window decodes the block's top; the second needs its bottom (decoded again); the third is a hit
      assert.deepEqual(outcomes, [[0, 1], [0, 1], [1, 0]]);
    });
  }
});

describe('short decodes or whole ones, by what windows have been doing', () => {
  it('a block is decoded for its top rows while windows seldom read further down it, and whole at once once they keep doing so', async () => {
    const source = await MemorySource.fromFile(fixturePath('u8-deflate-p2-nodata0-4326.tif'));
    const { header } = await readHeader(source);
    const { blockWidth: bw, blockHeight: bh, width, height } = header.levels[0].image;
    const blocks: { x: number; y: number }[] = [];
    for (let by = 0; by < Math.floor(height / bh); by++) for (let bx = 0; bx < Math.floor(width / bw); bx++) blocks.push({ x: bx * bw, y: by * bh });
    assert.ok(blocks.length >= 8);
    /** Bytes this read inflated: one band of uint8, so 8 rows of a block are 8 × bw. */
    const read = async (cache: BlockCache, x: number, y: number) => {
      const stats: BlockCacheStats = { hits: 0, misses: 0 };
      await readWindow(header, source, { x, y, width: bw, height: 8 }, { level: 0, cache: cache.loader(stats) });
      return stats.decodedBytes ?? 0;
    };
    // random tiles: each block's top alone, every block inflated only that far
    const tops = new BlockCache();
    for (const b of blocks) assert.equal(await read(tops, b.x, b.y), 8 * bw);
    // panning down: each block's top, then its bottom. The first block is inflated twice (short, then
    // whole); once windows have kept reaching below, the next blocks are inflated whole at once.
    const panning = new BlockCache();
    const inflated: [number, number][] = [];
    for (const b of blocks) inflated.push([await read(panning, b.x, b.y), await read(panning, b.x, b.y + bh - 8)]);
    assert.deepEqual(inflated[0], [8 * bw, bw * bh]);
    for (const pair of inflated.slice(2)) assert.deepEqual(pair, [bw * bh, 0]);
  });
});

describe('the block cache reuses evicted blocks\' buffers and undoes predictor 2 as readers reach rows', () => {
  // chunky 4 × uint16, planar 4 × uint16, uint8, int16 (ZSTD), big-endian int16: predictor 2 deferred; float32 (predictor 3): not
  for (const file of ['u16-4band-deflate-p2-meta-utm50.tif', 'u16-4band-lzw-p2-band-3857.tif', 'u8-deflate-p2-nodata0-4326.tif', 'i16-zstd-p2-nodata-4547.tif', 'f32-deflate-p3-nan-4490.tif', 'i16-deflate-p2-bigtiff-be-4547.tif']) {
    it(`${file}: many overlapping windows at once through a cache of two blocks read what an uncached read does`, async () => {
      const plain = await MemorySource.fromFile(fixturePath(file));
      const { header } = await readHeader(plain);
      // reads answer after random delays, so readers interleave: one holds blocks while others evict them
      let seed = 7;
      const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
      const slow = Object.assign(Object.create(plain) as MemorySource, {
        read: async (offset: number, length: number) => {
          await new Promise((r) => setTimeout(r, Math.floor(random() * 4)));
          return plain.read(offset, length);
        },
      });
      const { width, height, blockWidth, blockHeight, samplesPerPixel } = header.levels[0].image;
      const windows = Array.from({ length: 120 }, () => {
        const w = 1 + Math.floor(random() * Math.min(150, width - 1)), h = 1 + Math.floor(random() * Math.min(150, height - 1));
        return { x: Math.floor(random() * (width - w)), y: Math.floor(random() * (height - h)), width: w, height: h };
      });
      const expected = await Promise.all(windows.map((w) => readWindow(header, plain, w, { level: 0 })));
      const cache = new BlockCache(2 * blockWidth * blockHeight * samplesPerPixel * 4 + 1);
      for (let round = 0; round < 3; round++) {
        const got = await Promise.all(windows.map((w) => readWindow(header, slow, w, { level: 0, cache: cache.loader() })));
        for (let k = 0; k < windows.length; k++) {
          for (let b = 0; b < expected[k].bands.length; b++) {
            const bytes = (a: TypedArray) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
            assert.ok(bytes(got[k].bands[b]).equals(bytes(expected[k].bands[b])), `round ${round} window ${k} band ${b}`);
          }
          assert.deepEqual(got[k].mask, expected[k].mask, `round ${round} window ${k} mask`);
        }
      }
      if (header.levels[0].image.compression === 8) assert.ok(cache.reused > 0, `buffers reused: ${cache.reused}`);
    });
  }
});

describe('readWindow interleaved', () => {
  // optimize reads chunky 8-bit imagery so: its samples together as the blocks hold them
  const eligible = fixtures.filter((f) => f.interleave === 'pixel' && f.nodata === null && f.bands > 1);

  it('holds, pixel by pixel, the samples and the mask of the band arrays', async () => {
    assert.ok(eligible.some((f) => f.mask), 'a fixture with an internal mask is among them');
    for (const f of eligible) {
      const source = await MemorySource.fromFile(fixturePath(f.file));
      const { header } = await readHeader(source);
      const spp = header.levels[0].image.samplesPerPixel;
      if (header.levels[0].image.extraSamples?.includes(2) || header.levels[0].image.extraSamples?.includes(1)) continue; // alpha: refused, below
      const bands = Array.from({ length: spp }, (_, i) => i);
      for (const w of windowsFor(header)) {
        const planar = await readWindow(header, source, w, { level: w.level, bands });
        const chunky = await readWindow(header, source, w, { level: w.level, bands, interleaved: true });
        assert.equal(chunky.bands.length, 1, `${f.file}: one array`);
        const n = w.width * w.height;
        const want = new (planar.bands[0].constructor as new (n: number) => TypedArray)(n * spp);
        for (let i = 0; i < n; i++) for (let b = 0; b < spp; b++) want[i * spp + b] = planar.bands[b][i];
        assert.deepEqual(Array.from(chunky.bands[0]), Array.from(want), `${f.file} level ${w.level} ${w.x},${w.y}`);
        assert.deepEqual(Array.from(chunky.mask), Array.from(planar.mask), `${f.file} mask`);
      }
    }
  });

  it('assembled into a lent array that held another window, the same (pixels past the edge 0 again)', async () => {
    const source = await MemorySource.fromFile(fixturePath('rgb-jpeg-ycbcr-mask-3857.tif'));
    const { header } = await readHeader(source);
    const { width, height } = header.levels[0].image;
    const w = { x: width - 40, y: height - 30, width: 64, height: 64 }; // past the right and bottom edges
    const fresh = await readWindow(header, source, w, { interleaved: true });
    const lent = new Uint8Array(64 * 64 * 3 + 100).fill(0xab);
    const reused = await readWindow(header, source, w, { interleaved: true, into: lent });
    assert.equal(reused.bands[0].buffer, lent.buffer, 'assembled in the lent array');
    assert.deepEqual(Array.from(reused.bands[0]), Array.from(fresh.bands[0]));
  });

  it('is refused, naming why, where a band array would be needed', async () => {
    const refused = async (file: string, bands: number[] | undefined, why: RegExp) => {
      const source = await MemorySource.fromFile(fixturePath(file));
      const { header } = await readHeader(source);
      await assert.rejects(readWindow(header, source, { x: 0, y: 0, width: 8, height: 8 }, { bands, interleaved: true }), why);
    };
    await refused('u8-deflate-p2-nodata0-4326.tif', undefined, /nodata value/);
    await refused('u16-4band-lzw-p2-band-3857.tif', undefined, /blocks are planar/);
    await refused('rgb-jpeg-ycbcr-mask-3857.tif', [2, 1, 0], /not every band is asked for, in order/);
  });
});
