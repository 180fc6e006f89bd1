/**
 * Overview pixels against GDAL's own COG driver (`gdal_translate -of COG -co RESAMPLING=…`), on odd
 * sizes (where the reduction ratio is not exactly 2) with nodata (one float32 cannot hold exactly),
 * NaN and an internal mask; and on even sizes (a ratio of exactly 2: overview-resample.ts's fast
 * paths) with the same kinds of invalid pixels.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { optimize } from '../lib/optimize/index.ts';
import { gdalRead, PY, run, type OracleResult } from './optimize-gdal.ts';


/** Sources made with numpy + GDAL: noisy, odd-sized, with the invalid-pixel kinds GDAL handles. */
const SOURCES = `
import sys, numpy as np
from osgeo import gdal
gdal.UseExceptions()
gdal.SetConfigOption('GDAL_TIFF_INTERNAL_MASK', 'YES')
d = sys.argv[1]; rng = np.random.default_rng(3)
def make(name, dtype, gdt, nodata=None, mask=False, nan=False, even=False):
    h, w = (776, 1004) if even else (777, 1003)
    a = (rng.random((h, w)) * 3000 - (1000 if dtype == np.int16 else 0)).astype(dtype)
    holes = rng.random((h, w)) < 0.1
    if nodata is not None: a[holes] = nodata
    if nan: a[holes] = np.nan
    ds = gdal.GetDriverByName('GTiff').Create(f'{d}/{name}.tif', w, h, 1, gdt)
    ds.SetGeoTransform([100000, 10, 0, 200000, 0, -10])
    b = ds.GetRasterBand(1); b.WriteArray(a)
    if nodata is not None: b.SetNoDataValue(nodata)
    if mask:
        b.CreateMaskBand(gdal.GMF_PER_DATASET); b.GetMaskBand().WriteArray(np.where(holes, 0, 255).astype(np.uint8))
    ds = None
make('u16', np.uint16, gdal.GDT_UInt16)
make('i16-nodata', np.int16, gdal.GDT_Int16, nodata=-9999)
make('f32-nan', np.float32, gdal.GDT_Float32, nan=True)
make('u8-mask', np.uint8, gdal.GDT_Byte, mask=True)
# nodata with no exact float32 value: the pixels hold its float32 rounding, which must still count as nodata
make('f32-nodata', np.float32, gdal.GDT_Float32, nodata=-3.4e38)
make('even-i16-nodata', np.int16, gdal.GDT_Int16, nodata=-9999, even=True)
make('even-f32-nan', np.float32, gdal.GDT_Float32, nan=True, even=True)
make('even-u8-mask', np.uint8, gdal.GDT_Byte, mask=True, even=True)
`;

const NAMES = ['u16', 'i16-nodata', 'f32-nan', 'u8-mask', 'f32-nodata', 'even-i16-nodata', 'even-f32-nan', 'even-u8-mask'];

function decode(r: OracleResult): Float64Array {
  const bytes = Buffer.from(r.bands[0], 'base64');
  const C = { uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array, float32: Float32Array } as Record<string, new (b: ArrayBuffer) => ArrayLike<number>>;
  return Float64Array.from(new C[r.dtype](bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
}

describe('optimize overviews match GDAL', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taoguan-ovr-'));
    await run(PY, ['-c', SOURCES, dir]);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const resampling of ['average', 'nearest'] as const) {
    for (const name of NAMES) {
      it(`${name}, ${resampling}: every overview within 1 DN of GDAL's`, async () => {
        const src = join(dir, `${name}.tif`);
        const ours = join(dir, `${name}-${resampling}-ours.tif`);
        const theirs = join(dir, `${name}-${resampling}-gdal.tif`);
        // Reads of 48 rows (12 strips of 4), which no tile row is a multiple of: rows arrive split
        // across strips, and odd reductions straddle them.
        await optimize(src, ours, { tileSize: 256, resampling, workers: 1, readBytes: 100_000 });
        await run('gdal_translate', ['-q', '-of', 'COG', '-co', 'BLOCKSIZE=256', '-co', `RESAMPLING=${resampling.toUpperCase()}`, src, theirs]);
        // 1003×777 at 256 px: overviews of 501×388 and 250×194 (which fits one tile); 1004×776: exact halves.
        const sizes = name.startsWith('even') ? [[502, 388], [251, 194]] : [[501, 388], [250, 194]];
        const reqs = sizes.flatMap(([width, height], i) => [ours, theirs].map((file) => ({ file, level: i + 1, width, height })));
        const reads = await gdalRead(reqs);
        for (let i = 0; i < sizes.length; i++) {
          const [a, b] = [reads[2 * i], reads[2 * i + 1]];
          assert.equal(a.width, b.width, `level ${i + 1} width`);
          const [va, vb] = [decode(a), decode(b)];
          let worst = 0;
          for (let k = 0; k < va.length; k++) {
            if (Number.isNaN(va[k]) || Number.isNaN(vb[k])) assert.equal(Number.isNaN(va[k]), Number.isNaN(vb[k]), `NaN at ${k}`);
            else worst = Math.max(worst, Math.abs(va[k] - vb[k]));
          }
          assert.ok(worst <= (name.includes('f32') ? 1e-3 : 1), `level ${i + 1}: worst difference ${worst}`);
          assert.equal(a.mask, b.mask, `level ${i + 1} mask`);
        }
      });
    }
  }
});
