import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { resolveHeaderCrs, toWgs84 } from '../lib/crs/index.ts';
import { CGCS2000Quad, matrixSize, MAX_ZOOM, tileBounds, validateTile, WGS1984Quad } from '../lib/grids/index.ts';
import { readWindow } from '../lib/raster/index.ts';
import { readHeader } from '../lib/tiff/index.ts';
import { planTileWarp, warpWindow } from '../lib/warp/index.ts';
import { fixturePath, MemorySource } from './helpers.ts';

/**
 * Tianditu's published WMTS tile matrix set "c" (EPSG:4490), from its GetCapabilities
 * (t0.tianditu.gov.cn/vec_c/wmts?request=GetCapabilities): TopLeftCorner "90.0 -180.0" (latitude
 * first), 256 px tiles, level 1: ScaleDenominator 2.958293554545656E8, 2 × 1 tiles; level 18:
 * ScaleDenominator 2256.998866688275, 262144 × 131072 tiles. Its scales are computed at 96 dpi
 * (0.0254 / 96 m a pixel) with 2π · 6378137 / 360 metres a degree.
 */
const TIANDITU_C = { topLeft: [90, -180], level1: { scale: 2.958293554545656e8, width: 2, height: 1 }, level18: { scale: 2256.998866688275, width: 262144, height: 131072 } };
const degreesPerPixel = (scale: number) => (scale * (0.0254 / 96)) / ((2 * Math.PI * 6378137) / 360);

describe("CGCS2000Quad: Tianditu's c tile matrix set", () => {
  it('has Tianditu\'s matrix sizes, origin and resolution at every level 1–18', () => {
    for (let level = 1; level <= 18; level++) {
      assert.deepEqual(matrixSize(CGCS2000Quad, level), [2 ** level, 2 ** (level - 1)], `level ${level}`);
      const [minX, , , maxY] = tileBounds(CGCS2000Quad, level, 0, 0);
      assert.deepEqual([maxY, minX], TIANDITU_C.topLeft);
      const scale = TIANDITU_C.level1.scale / 2 ** (level - 1);
      const [a, , b] = tileBounds(CGCS2000Quad, level, 0, 0);
      const published = 256 * degreesPerPixel(scale);
      assert.ok(Math.abs((b - a) - published) < 1e-9 * published, `level ${level}: tile ${b - a}° vs Tianditu ${published}°`);
    }
    assert.deepEqual(matrixSize(CGCS2000Quad, 1), [TIANDITU_C.level1.width, TIANDITU_C.level1.height]);
    assert.deepEqual(matrixSize(CGCS2000Quad, 18), [TIANDITU_C.level18.width, TIANDITU_C.level18.height]);
    assert.ok(Math.abs(256 * degreesPerPixel(TIANDITU_C.level18.scale) - (tileBounds(CGCS2000Quad, 18, 0, 0)[2] + 180)) < 1e-12);
    assert.ok(Math.abs(degreesPerPixel(TIANDITU_C.level1.scale) - 0.703125) < 1e-9);
    // the last tile of level 18 ends at the grid's corner
    assert.deepEqual(tileBounds(CGCS2000Quad, 18, 262143, 131071).slice(2), [180, -90 + 360 / 2 ** 18]);
    // Tianditu's level n is WGS1984Quad's zoom n − 1
    assert.deepEqual(tileBounds(CGCS2000Quad, 10, 843, 142), tileBounds(WGS1984Quad, 9, 843, 142));
  });

  it('has no level 0, and says so', () => {
    assert.throws(() => validateTile(CGCS2000Quad, 0, 0, 0), { message: `zoom 0 is outside 1..${MAX_ZOOM} of CGCS2000Quad (Tianditu's levels start at 1)` });
    assert.throws(() => validateTile(CGCS2000Quad, 1, 0, 1), { message: 'y 1 is outside 0..0 at zoom 1' });
  });
});

/** gdal.Warp to EPSG:4490 over a tile's bounds (lon/lat: GDAL writes geographic geotransforms lon-first). */
const WARP = `
import base64, json, sys
from osgeo import gdal
gdal.UseExceptions()
gdal.SetConfigOption('GDAL_PAM_ENABLED', 'NO')
out = []
for r in json.load(sys.stdin):
    ds = gdal.Warp('', r['file'], format='MEM', dstSRS='EPSG:4490', outputBounds=r['bounds'], width=256, height=256,
                   resampleAlg='near', dstAlpha=True, multithread=False)
    n = ds.RasterCount
    out.append({'dtype': gdal.GetDataTypeName(ds.GetRasterBand(1).DataType), 'band': base64.b64encode(ds.GetRasterBand(1).ReadRaster()).decode(),
                'alpha': base64.b64encode(ds.GetRasterBand(n).ReadRaster(buf_type=gdal.GDT_Byte)).decode()})
json.dump(out, sys.stdout)
`;
const ARRAYS: Record<string, (b: Buffer) => ArrayLike<number>> = {
  Byte: (b) => b, UInt16: (b) => new Uint16Array(b.buffer, b.byteOffset, b.length / 2), Int16: (b) => new Int16Array(b.buffer, b.byteOffset, b.length / 2),
  Float32: (b) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)), Float64: (b) => new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)),
};

describe('CGCS2000Quad tiles equal gdalwarp -t_srs EPSG:4490 -r near', () => {
  // CGCS2000 itself (the identity), UTM, CGCS2000 Gauss-Krüger, WGS84 and Web Mercator sources
  const FIXTURES = ['f32-deflate-p3-nan-4490.tif', 'u16-zstd-bigtiff-utm50.tif', 'i16-zstd-p2-nodata-4547.tif', 'u8-deflate-p2-nodata0-4326.tif', 'u8-packbits-tiled-3857.tif'];
  for (const file of FIXTURES) {
    it(file, async (t) => {
      const source = await MemorySource.fromFile(fixturePath(file));
      const { header } = await resolveHeaderCrs((await readHeader(source)).header);
      const gt = header.geotransform!, { width, height } = header.levels[0].image;
      const ll = toWgs84(header.crs);
      const [cx, cy] = ll([gt[0] + (width / 2) * gt[1], gt[3] + (height / 2) * gt[5]]);
      const [nx, ny] = ll([gt[0], gt[3]]);
      const tiles: [number, number, number][] = [];
      for (const z of [12, 14, 16]) {
        for (const [lon, lat] of [[cx, cy], [nx, ny]]) {
          tiles.push([z, Math.floor(((lon + 180) / 360) * 2 ** z), Math.floor(((90 - lat) / 360) * 2 ** z)]);
        }
      }
      const expected: { dtype: string; band: string; alpha: string }[] = JSON.parse(execFileSync('/usr/bin/python3', ['-c', WARP], {
        input: JSON.stringify(tiles.map(([z, x, y]) => ({ file: fixturePath(file), bounds: tileBounds(CGCS2000Quad, z, x, y) }))), encoding: 'utf8', maxBuffer: 1 << 28,
      }));
      let compared = 0, same = 0;
      for (let k = 0; k < tiles.length; k++) {
        const [z, x, y] = tiles[k];
        const g = expected[k];
        const band = ARRAYS[g.dtype](Buffer.from(g.band, 'base64')), alpha = Buffer.from(g.alpha, 'base64');
        const plan = planTileWarp(header, CGCS2000Quad, z, x, y);
        assert.ok(plan, `${z}/${x}/${y}: no plan`);
        const warped = warpWindow(plan, await readWindow(header, source, plan.window, { level: plan.level }));
        let n = 0, m = 0;
        for (let i = 0; i < 256 * 256; i++) {
          const ours = warped.mask[i] !== 0, theirs = alpha[i] !== 0;
          if (!ours && !theirs) continue;
          n++;
          const a = warped.bands[0][i], e = band[i];
          if (ours && theirs && (a === e || (a !== a && e !== e))) m++;
        }
        t.diagnostic(`${z}/${x}/${y}: ${n ? ((100 * m) / n).toFixed(2) : '-'}% of ${n}`);
        compared += n;
        same += m;
      }
      const pct = (100 * same) / compared;
      assert.ok(compared > 50000, `only ${compared} pixels compared`);
      assert.ok(pct >= 99, `${file}: only ${pct.toFixed(2)}% of ${compared} pixels equal gdalwarp's`);
    });
  }
});
