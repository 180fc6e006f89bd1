/**
 * Output codecs: the LZW encoder against our decoder, and byte for byte against libtiff's encoder at
 * the edges that break encoders (the width changes at 511/1023/2047, the table clear at 4094, a last
 * code that widens); the ZSTD encoder's levels and threads; then every codec through optimize(), read
 * back exactly by GDAL and by our reader, validated as COGs.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EncodePool, optimize, type Codec } from '../lib/optimize/index.ts';
import { lzwEncode } from '../lib/optimize/lzw.ts';
import { loadZstd, zstdEncode } from '../lib/optimize/zstd.ts';
import { lzwDecode } from '../lib/raster/decode/lzw.ts';
import { zstdDecode } from '../lib/raster/decode/zstd.ts';
import { readHeader } from '../lib/tiff/parse.ts';
import { FileSource } from '../lib/source/file.ts';
import { fixturePath } from './helpers.ts';
import { gdalinfo, gdalValidate, pyStdin, readFull } from './optimize-gdal.ts';

/** Deterministic bytes: noise (many codes, clears), runs (long strings), and a mix. */
function sample(kind: 'noise' | 'runs' | 'mixed', n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  const rand = () => ((s = Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9 | 0) >>> 0) / 2 ** 32;
  for (let i = 0; i < n; i++) {
    out[i] = kind === 'noise' ? rand() * 256 : kind === 'runs' ? (i >> 9) & 3 : i % 1000 < 500 ? rand() * 16 : (i >> 4) & 0xff;
  }
  return out;
}

describe('LZW encoder', () => {
  const cases: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['one byte', new Uint8Array([7])],
    ['two bytes', new Uint8Array([7, 7])],
    ...[1, 2, 100, 253, 254, 255, 256, 257, 600, 1800, 3836, 3837, 3838, 3839, 5000, 200_000].map((n): [string, Uint8Array] => [`noise ${n}`, sample('noise', n, n)]),
    ['runs 300000', sample('runs', 300_000)],
    ['mixed 262144', sample('mixed', 262_144)],
  ];
  for (const [name, data] of cases) {
    it(`${name}: our decoder gets the bytes back`, () => {
      assert.deepEqual(lzwDecode(lzwEncode(data), data.length), data);
    });
  }

  it('compresses what repeats', () => {
    const runs = sample('runs', 300_000);
    assert.ok(lzwEncode(runs).length < runs.length / 50);
  });

  it("writes libtiff's bytes exactly, at every width change and table clear", async () => {
    // Inputs whose byte pairs hardly repeat make one code per byte, so length n puts the table's end
    // at a chosen code: 511/1023/2047 (width changes, also right at the last code) and 4094 (a clear).
    const specs = [253, 254, 255, 765, 766, 767, 1789, 1790, 1791, 3836, 3837, 3838, 9000]
      .map((n) => ({ name: String(n), data: pairs(n) }))
      .concat([{ name: 'noise', data: sample('noise', 9000) }, { name: 'mixed', data: sample('mixed', 9000) }]);
    // Under 10000 bytes libtiff never clears early for a worsening ratio, which is its own choice.
    const theirs = await libtiffLzw(specs);
    for (const { name, data } of specs) assert.deepEqual(Buffer.from(lzwEncode(data)), theirs[name], name);
  });
});

/** Bytes in which pairs rarely repeat: 0,1,0,2,…,0,255,1,2,1,3,… */
function pairs(n: number): Uint8Array {
  const out: number[] = [];
  for (let a = 0; a < 256 && out.length < n; a++) for (let b = a + 1; b < 256 && out.length < n; b++) out.push(a, b);
  return Uint8Array.from(out.slice(0, n));
}

/** Each input as libtiff's LZW encoder writes it: the strip of a 1-row TIFF made by GDAL in memory. */
async function libtiffLzw(specs: { name: string; data: Uint8Array }[]): Promise<Record<string, Buffer>> {
  const code = `
import sys, json, base64
import numpy as np
from osgeo import gdal
gdal.UseExceptions()
out = {}
for spec in json.loads(sys.stdin.read()):
    data = np.frombuffer(base64.b64decode(spec['data']), dtype=np.uint8)
    path = '/vsimem/lzw.tif'
    ds = gdal.GetDriverByName('GTiff').Create(path, len(data), 1, 1, gdal.GDT_Byte, ['COMPRESS=LZW'])
    ds.GetRasterBand(1).WriteArray(data.reshape(1, -1)); ds = None
    ds = gdal.Open(path); band = ds.GetRasterBand(1)
    off, size = (int(band.GetMetadataItem(k, 'TIFF')) for k in ('BLOCK_OFFSET_0_0', 'BLOCK_SIZE_0_0'))
    ds = None
    f = gdal.VSIFOpenL(path, 'rb'); gdal.VSIFSeekL(f, off, 0); out[spec['name']] = base64.b64encode(gdal.VSIFReadL(1, size, f)).decode(); gdal.VSIFCloseL(f)
    gdal.Unlink(path)
print(json.dumps(out))`;
  const stdout = await pyStdin(['-c', code], JSON.stringify(specs.map((s) => ({ name: s.name, data: Buffer.from(s.data).toString('base64') }))));
  return Object.fromEntries(Object.entries(JSON.parse(stdout) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
}

describe('ZSTD encoder', () => {
  it('frames that libzstd (zstddec) decodes back to the bytes, at every level; higher levels smaller', async () => {
    await loadZstd();
    const data = sample('mixed', 262_144);
    const sizes: number[] = [];
    for (const level of [1, 3, 9, 19, 22]) {
      const frame = zstdEncode(data, level);
      assert.deepEqual(await zstdDecode(frame, data.length), data, `level ${level}`);
      sizes.push(frame.length);
    }
    assert.ok(sizes[0] > sizes[2] && sizes[2] >= sizes[4], `sizes by level: ${sizes}`);
  });

  it('refuses a level outside 1–22, naming it', async () => {
    await loadZstd();
    for (const level of [0, 23, 2.5]) assert.throws(() => zstdEncode(new Uint8Array(10), level), new RegExp(`ZSTD level ${level}: expected 1 to 22`));
  });

  it('optimize() with a bad zstdLevel fails with that message and leaves no output', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'taoguan-zstd-level-'));
    try {
      const out = join(dir, 'out.tif');
      await assert.rejects(optimize(fixturePath('u8-deflate-mask-4326.tif'), out, { compression: 'zstd', zstdLevel: 30, workers: 0 }), /ZSTD level 30: expected 1 to 22/);
      assert.deepEqual(await readdir(dir), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the same bytes from worker threads as inline, and zstdLevel changes them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'taoguan-zstd-threads-'));
    const input = fixturePath('u16-4band-deflate-p2-meta-utm50.tif');
    const pool = new EncodePool(2);
    try {
      const write = async (name: string, options: Parameters<typeof optimize>[2]) => {
        await optimize(input, join(dir, name), { tileSize: 256, compression: 'zstd', ...options });
        return readFile(join(dir, name));
      };
      const inline = await write('inline.tif', { workers: 0 });
      const threaded = await write('threads.tif', { workers: pool });
      const level1 = await write('level1.tif', { workers: pool, zstdLevel: 1 });
      assert.ok(inline.equals(threaded), 'workers and inline differ');
      assert.ok(level1.length > inline.length, `level 1 ${level1.length} B, level 9 ${inline.length} B`);
    } finally {
      await pool.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** Every band (and the mask) of a file's full resolution, as bytes, read by our reader. */
async function ourRead(file: string): Promise<Buffer[]> {
  const { win } = await readFull(file);
  return [...win.bands, win.mask].map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('optimize: each codec read back exactly by GDAL', () => {
  let dir: string;
  const inputs = ['u16-4band-deflate-p2-meta-utm50.tif', 'f32-deflate-p3-nan-4490.tif', 'u8-deflate-mask-4326.tif', 'i32-lzw-p2-4498.tif'];
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'taoguan-codecs-')); });
  after(() => rm(dir, { recursive: true, force: true }));

  // deflate first: the others' overviews are compared with its.
  for (const codec of ['deflate', 'lzw', 'zstd', 'none'] as Codec[]) {
    it(`${codec}: valid COGs with the input's values, in every level GDAL reads`, async () => {
      const outs = await Promise.all(inputs.map(async (f) => {
        const out = join(dir, `${codec}-${f}`);
        await optimize(fixturePath(f), out, { tileSize: 256, compression: codec, workers: 2 });
        return out;
      }));
      const valid = await gdalValidate(outs);
      for (const out of outs) assert.deepEqual(valid[out], [], out);
      for (let k = 0; k < inputs.length; k++) {
        const source = new FileSource(outs[k]);
        const { header } = await readHeader(source).finally(() => source.close());
        const expectTag = { lzw: 5, deflate: 8, zstd: 50000, none: 1 }[codec];
        for (const lv of header.levels) assert.equal(lv.image.compression, expectTag);
        assert.deepEqual(await ourRead(outs[k]), await ourRead(fixturePath(inputs[k])), `${inputs[k]}: our reader`);
        // Full resolution: the same checksums as the input's; overviews: GDAL decodes every tile of them.
        const [a, b] = await Promise.all([gdalinfo(fixturePath(inputs[k])), gdalinfo(outs[k])]);
        const sums = (info: Record<string, unknown>) => (info.bands as { checksum: number }[]).map((x) => x.checksum);
        assert.deepEqual(sums(b), sums(a), inputs[k]);
        const overviewSums = (info: Record<string, unknown>) => (info.bands as { overviews?: { checksum: number }[] }[]).map((x) => x.overviews?.map((o) => o.checksum));
        if (codec !== 'deflate') {
          const deflated = join(dir, `deflate-${inputs[k]}`);
          assert.deepEqual(overviewSums(b), overviewSums(await gdalinfo(deflated)));
        }
      }
    });
  }
});

describe('deflate through a kept handle (masks and small tiles on the reading thread)', () => {
  it("gives deflateSync's bytes, for runs, noise, incompressible and empty input", async () => {
    const { deflateSync, constants } = await import('node:zlib');
    const { deflateKept } = await import('../lib/optimize/encode.ts');
    let s = 7;
    const noise = (n: number, mask: number) => Uint8Array.from({ length: n }, () => (s = (s * 1103515245 + 12345) >>> 0) >>> 24 & mask);
    const inputs = [new Uint8Array(32768).fill(255), noise(32768, 7), noise(32768, 255), noise(100, 255), new Uint8Array(0), noise(300_000, 255)];
    const options = [{ level: 1, memLevel: 9, strategy: constants.Z_RLE }, { level: 1, memLevel: 9, strategy: constants.Z_HUFFMAN_ONLY }, { level: 6, memLevel: 9 }];
    for (const o of options) {
      for (const data of inputs) {
        // twice: the kept handle's second use must be a fresh stream
        for (let k = 0; k < 2; k++) assert.deepEqual(Buffer.from(deflateKept(data, o)), deflateSync(data, o), `${JSON.stringify(o)} ${data.length} bytes`);
      }
    }
  });
});
