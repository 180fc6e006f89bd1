/**
 * Kinds of raster that need more than an average: classes (mode), palettes (the colormap kept,
 * nearest by default), and RGBA (the alpha band kept, and its zeros left out of the other bands'
 * averages). Each is made with GDAL in a temp dir and compared with GDAL's own COG of it, level by level.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { optimize, type Resampling } from '../lib/optimize/index.ts';
import { FileSource } from '../lib/source/file.ts';
import { readHeader } from '../lib/tiff/parse.ts';
import { gdalinfo, gdalRead, gdalValidate, PY, run } from './optimize-gdal.ts';


const SOURCES = `
import sys, numpy as np
from osgeo import gdal
gdal.UseExceptions()
d = sys.argv[1]; rng = np.random.default_rng(11)
h, w = 777, 1003
def create(name, bands, opts=[]):
    ds = gdal.GetDriverByName('GTiff').Create(f'{d}/{name}.tif', w, h, bands, gdal.GDT_Byte, opts)
    ds.SetGeoTransform([100000, 10, 0, 200000, 0, -10])
    return ds
# Classes: patches of 1..6 with stray pixels, so 2x2 windows hold ties and near ties.
classes = np.kron(rng.integers(1, 7, (h // 3 + 1, w // 3 + 1)), np.ones((3, 3), dtype=np.int64))[:h, :w]
stray = rng.random((h, w)) < 0.2
classes[stray] = rng.integers(1, 7, stray.sum())
ds = create('classes', 1); ds.GetRasterBand(1).WriteArray(classes.astype(np.uint8)); ds = None
# Palette: the same classes, coloured.
ds = create('palette', 1, ['PHOTOMETRIC=PALETTE'])
ct = gdal.ColorTable()
for i, c in enumerate([(0, 0, 0, 255), (230, 25, 75, 255), (60, 180, 75, 255), (255, 225, 25, 255), (0, 130, 200, 255), (245, 130, 48, 255), (145, 30, 180, 255)]):
    ct.SetColorEntry(i, c)
b = ds.GetRasterBand(1); b.SetRasterColorTable(ct); b.SetRasterColorInterpretation(gdal.GCI_PaletteIndex)
b.WriteArray(classes.astype(np.uint8)); ds = None
# RGBA: smooth colours, alpha 0 over a disc and stray pixels, 255 elsewhere.
ds = create('rgba', 4, ['PHOTOMETRIC=RGB', 'ALPHA=YES'])
y, x = np.mgrid[0:h, 0:w]
for i in range(3):
    ds.GetRasterBand(i + 1).WriteArray(((np.sin(x / (40 + 9 * i)) * np.cos(y / 57) + 1) * 120 + rng.integers(0, 10, (h, w))).astype(np.uint8))
alpha = np.where(((x - 500) ** 2 + (y - 400) ** 2 < 150 ** 2) | (rng.random((h, w)) < 0.05), 0, 255)
ds.GetRasterBand(4).WriteArray(alpha.astype(np.uint8)); ds = None
`;

/** Every overview of both files, read by GDAL, as byte arrays per band. */
async function overviews(ours: string, theirs: string) {
  const source = new FileSource(ours);
  const { header } = await readHeader(source).finally(() => source.close());
  const sizes = header.levels.slice(1).map((l) => l.image);
  const reads = await gdalRead(sizes.flatMap((im, i) => [ours, theirs].map((file) => ({ file, level: i + 1, width: im.width, height: im.height }))));
  return sizes.map((_, i) => [reads[2 * i], reads[2 * i + 1]].map((r) => ({ bands: r.bands.map((b) => Buffer.from(b, 'base64')), mask: r.mask })));
}

describe('optimize: classes, palettes and alpha against GDAL', () => {
  let dir: string;
  const cog = async (name: string, resampling?: Resampling, gdalResampling?: string) => {
    const ours = join(dir, `${name}-${resampling ?? 'default'}-ours.tif`);
    const theirs = join(dir, `${name}-${resampling ?? 'default'}-gdal.tif`);
    await optimize(join(dir, `${name}.tif`), ours, { tileSize: 256, resampling, workers: 1 });
    const r = gdalResampling ? ['-co', `RESAMPLING=${gdalResampling}`] : [];
    await run('gdal_translate', ['-q', '-of', 'COG', '-co', 'BLOCKSIZE=256', ...r, join(dir, `${name}.tif`), theirs]);
    assert.deepEqual((await gdalValidate([ours]))[ours], []);
    return { ours, theirs };
  };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taoguan-kinds-'));
    await run(PY, ['-c', SOURCES, dir]);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("mode: every overview of classes equals GDAL's MODE", async () => {
    const { ours, theirs } = await cog('classes', 'mode', 'MODE');
    for (const [i, [a, b]] of (await overviews(ours, theirs)).entries()) {
      assert.ok(a.bands[0].equals(b.bands[0]), `level ${i + 1}: ${countDiff(a.bands[0], b.bands[0])} pixels differ`);
    }
  });

  it('palette: photometric palette and colormap kept, overviews by nearest as GDAL by default', async () => {
    const { ours, theirs } = await cog('palette');
    const source = new FileSource(ours);
    const { header } = await readHeader(source).finally(() => source.close());
    for (const lv of header.levels) assert.equal(lv.image.photometric, 3);
    const [a, b] = await Promise.all([gdalinfo(ours), gdalinfo(theirs)]);
    const band = (info: Record<string, unknown>) => (info.bands as Record<string, unknown>[])[0];
    assert.equal(band(a).colorInterpretation, 'Palette');
    assert.deepEqual(band(a).colorTable, band(b).colorTable);
    assert.equal(band(a).checksum, band(b).checksum);
    for (const [i, [x, y]] of (await overviews(ours, theirs)).entries()) {
      assert.ok(x.bands[0].equals(y.bands[0]), `level ${i + 1}: ${countDiff(x.bands[0], y.bands[0])} pixels differ`);
    }
  });

  it("alpha: the alpha band kept as alpha, overviews within 1 DN of GDAL's average", async () => {
    const { ours, theirs } = await cog('rgba', undefined, 'AVERAGE');
    const [a, b] = await Promise.all([gdalinfo(ours), gdalinfo(theirs)]);
    const bands = (info: Record<string, unknown>) => (info.bands as Record<string, unknown>[]).map((x) => [x.colorInterpretation, x.checksum]);
    assert.deepEqual(bands(a), bands(b));
    assert.deepEqual(bands(a).map(([c]) => c), ['Red', 'Green', 'Blue', 'Alpha']);
    for (const [i, [x, y]] of (await overviews(ours, theirs)).entries()) {
      for (let k = 0; k < 4; k++) {
        let worst = 0;
        for (let p = 0; p < x.bands[k].length; p++) worst = Math.max(worst, Math.abs(x.bands[k][p] - y.bands[k][p]));
        assert.ok(worst <= 1, `level ${i + 1} band ${k + 1}: worst difference ${worst}`);
      }
    }
  });
});

function countDiff(a: Buffer, b: Buffer): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n + Math.abs(a.length - b.length);
}
