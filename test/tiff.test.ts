import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { describeRaster } from '../lib/ingest/describe.ts';
import { deserializeHeader, readHeader, serializeHeader, TiffError } from '../lib/tiff/index.ts';
import { packIntegers, unpackIntegers } from '../lib/tiff/serialize.ts';
import { fixturePath, fixtures, MemorySource } from './helpers.ts';
import { craftCog } from './tiff-craft.ts';

const GDAL_TYPES: Record<string, string> = {
  Byte: 'uint8', Int16: 'int16', UInt16: 'uint16', Int32: 'int32', UInt32: 'uint32', Float32: 'float32', Float64: 'float64',
};

function gdalinfo(path: string) {
  return JSON.parse(execFileSync('gdalinfo', ['-json', path], { encoding: 'utf8' }));
}

describe('TIFF header parsing matches gdalinfo on every fixture', () => {
  for (const f of fixtures) {
    it(f.file, async () => {
      const source = await MemorySource.fromFile(fixturePath(f.file));
      const { header, requests } = await readHeader(source);
      const g = gdalinfo(fixturePath(f.file));
      const d = await describeRaster(f.file, header);
      assert.equal(d.width, g.size[0]);
      assert.equal(d.height, g.size[1]);
      assert.equal(d.bands, g.bands.filter((b: { colorInterpretation?: string }) => b.colorInterpretation !== 'Alpha').length);
      assert.equal(d.dtype, GDAL_TYPES[g.bands[0].type]);
      assert.equal(d.epsg ?? null, g.stac?.['proj:epsg'] ?? null);
      if (g.geoTransform) {
        for (let i = 0; i < 6; i++) assert.ok(Math.abs(d.geotransform![i] - g.geoTransform[i]) < 1e-9 * Math.max(1, Math.abs(g.geoTransform[i])), `geotransform[${i}]`);
      }
      const gNodata = g.bands[0].noDataValue;
      if (gNodata === undefined) assert.equal(header.nodata, null);
      else if (gNodata === 'NaN') assert.ok(Number.isNaN(header.nodata));
      else assert.equal(header.nodata, gNodata);
      assert.equal(header.levels.length - 1, (g.bands[0].overviews ?? []).length, 'overview count');
      header.levels.slice(1).forEach((l, i) => assert.deepEqual([l.image.width, l.image.height], g.bands[0].overviews[i].size));
      assert.deepEqual([header.levels[0].image.blockWidth, header.levels[0].image.blockHeight], g.bands[0].block);
      assert.equal(d.compression.replace('adobedeflate', 'deflate'), f.compression);
      assert.equal(d.isCog, f.cog, `isCog: ${d.errors.join('; ')}`);
      assert.equal(d.bigTiff, f.bigtiff);
      assert.equal(d.byteOrder === 'big-endian', f.bigEndian);
      assert.equal(d.interleave, f.interleave);
      // A COG's whole header arrives in the first request.
      if (f.cog) assert.equal(requests, 1, 'one request for a COG header');
      // Serialised and parsed back, the header is identical.
      const back = deserializeHeader(serializeHeader(header));
      assert.deepEqual(back, header);
    });
  }
});

describe('header serialisation', () => {
  it('packs offsets exactly, including values near 2^53 and decreasing runs', () => {
    const values = [0, 1, 127, 128, 300, 2 ** 32 + 5, 2 ** 53 - 1, 17, 16, 0, 2 ** 40];
    assert.deepEqual(unpackIntegers(packIntegers(values)), values);
  });

  it('is compact: a 10,000-block COG level costs a few bytes per block', () => {
    const offsets = Array.from({ length: 10000 }, (_, i) => 50000 + i * 180000 + (i % 7) * 13);
    const packed = packIntegers(offsets);
    assert.ok(packed.length < 10000 * 5, `packed ${packed.length} chars`);
  });

  it('keeps NaN nodata and refuses another version', async () => {
    const f = fixtures.find((x) => x.nodata === 'nan');
    assert.ok(f, 'a fixture with NaN nodata');
    const { header } = await readHeader(await MemorySource.fromFile(fixturePath(f.file)));
    assert.ok(Number.isNaN(deserializeHeader(serializeHeader(header)).nodata));
    const text = serializeHeader(header).replace('"version":1', '"version":99');
    assert.throws(() => deserializeHeader(text), /version 99.*re-ingest/);
  });
});

describe('hostile and broken TIFFs give a clear TiffError', () => {
  const cog = fixtures.find((f) => f.cog && f.overviews > 0)!;

  it('refuses a file that is not a TIFF', async () => {
    await assert.rejects(readHeader(new MemorySource(new TextEncoder().encode('<html>not found</html>'))), /not a TIFF file/);
  });

  it('refuses a truncated header', async () => {
    const src = await MemorySource.fromFile(fixturePath(cog.file));
    await assert.rejects(readHeader(new MemorySource(src.bytes.subarray(0, 300))), (e: Error) => e instanceof TiffError && /past the end/.test(e.message));
  });

  it('refuses a cyclic IFD chain', async () => {
    const bytes = classicTiff({ next: 8 });
    await assert.rejects(readHeader(new MemorySource(bytes)), /loops back/);
  });

  it('refuses an absurd tag count without allocating it', async () => {
    const bytes = classicTiff({ offsetsCount: 0x7fffffff });
    await assert.rejects(readHeader(new MemorySource(bytes)), /claims 2147483647 values/);
  });

  it('refuses an IFD offset past the end', async () => {
    const bytes = classicTiff({ firstIfd: 1_000_000 });
    await assert.rejects(readHeader(new MemorySource(bytes)), /past the end/);
  });

  it('refuses a block that lies past the end of the file, naming it, instead of failing every tile that needs it', async () => {
    const bytes = craftCog();
    await assert.rejects(readHeader(new MemorySource(bytes.subarray(0, bytes.length - 1))), /IFD 0: block 3 \(bytes \d+–\d+\) lies past the end of the file \(\d+ bytes\): truncated\?/);
  });

  it('refuses a block that would decode to gigabytes (decompression bomb)', async () => {
    const bytes = classicTiff({ width: 60000, height: 60000, rowsPerStrip: 60000 });
    await assert.rejects(readHeader(new MemorySource(bytes)), /decode to more than/);
  });
});

/** A minimal little-endian TIFF with one striped IFD, with knobs for corrupting it. */
function classicTiff(o: { next?: number; offsetsCount?: number; firstIfd?: number; width?: number; height?: number; rowsPerStrip?: number }): Uint8Array {
  const buf = new ArrayBuffer(512);
  const v = new DataView(buf);
  v.setUint16(0, 0x4949);
  v.setUint16(2, 42, true);
  v.setUint32(4, o.firstIfd ?? 8, true);
  const entries: [number, number, number, number][] = [
    [256, 4, 1, o.width ?? 16],
    [257, 4, 1, o.height ?? 16],
    [258, 3, 1, 8],
    [259, 3, 1, 1],
    [273, 4, o.offsetsCount ?? 1, 200],
    [278, 4, 1, o.rowsPerStrip ?? 16],
    [279, 4, 1, 256],
  ];
  v.setUint16(8, entries.length, true);
  entries.forEach(([tag, type, count, value], i) => {
    const e = 10 + i * 12;
    v.setUint16(e, tag, true);
    v.setUint16(e + 2, type, true);
    v.setUint32(e + 4, count, true);
    if (type === 3 && count === 1) v.setUint16(e + 8, value, true);
    else v.setUint32(e + 8, value, true);
  });
  v.setUint32(10 + entries.length * 12, o.next ?? 0, true);
  return new Uint8Array(buf);
}
