import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { readWindow, type TypedArray } from '../lib/raster/index.ts';
import { readHeader } from '../lib/tiff/index.ts';
import { toWgs84 } from '../lib/crs/index.ts';
import { tileBounds, WebMercatorQuad, WGS1984Quad, type TileMatrixSet } from '../lib/grids/index.ts';
import { planTileWarp as planTile, warpWindow, type Resampling } from '../lib/warp/index.ts';
import { fixturePath, MemorySource } from './helpers.ts';

/**
 * Tiles against GDAL: for each fixture, tiles inside it, at its corners (edges) and away from it,
 * across zooms, warped by our planner + kernels and by GDAL's warper — gdal.Warp, the library
 * function behind the gdalwarp CLI, with gdalwarp's defaults (-ovr AUTO, -et 0.125) and
 * `-t_srs EPSG:3857 -te <tile bounds> -ts 256 256 -r near|bilinear|average -dstalpha`.
 * "Selecting overview level" from GDAL's debug output is the level it read.
 */
const ORACLE = `
import base64, json, sys
from osgeo import gdal
gdal.UseExceptions()
gdal.SetConfigOption('GDAL_PAM_ENABLED', 'NO')
gdal.SetConfigOption('CPL_DEBUG', 'ON')
log = []
gdal.PushErrorHandler(lambda cls, no, msg: log.append(msg))
out = []
for r in json.load(sys.stdin):
    log.clear()
    ds = gdal.Warp('', r['file'], format='MEM', dstSRS=r['srs'], outputBounds=r['bounds'], width=256, height=256,
                   resampleAlg=r['resampling'], dstAlpha=True, multithread=False)
    n = ds.RasterCount
    level = 0
    for m in log:
        if 'Selecting overview level' in m: level = int(m.split('Selecting overview level')[1].split()[0]) + 1
    out.append({'dtype': gdal.GetDataTypeName(ds.GetRasterBand(1).DataType), 'level': level,
                'bands': [base64.b64encode(ds.GetRasterBand(b + 1).ReadRaster()).decode() for b in range(n - 1)],
                'alpha': base64.b64encode(ds.GetRasterBand(n).ReadRaster(buf_type=gdal.GDT_Byte)).decode()})
json.dump(out, sys.stdout)
`;
interface GdalTile { dtype: string; level: number; bands: string[]; alpha: string }
const CTORS: Record<string, new (b: ArrayBuffer) => TypedArray> = { Byte: Uint8Array, UInt16: Uint16Array, Int16: Int16Array, Int32: Int32Array, Float32: Float32Array, Float64: Float64Array };
const decode = (b64: string, dtype: string): TypedArray => {
  const buf = Buffer.from(b64, 'base64');
  return new CTORS[dtype](buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
};

const FIXTURES = [
  'u16-zstd-bigtiff-utm50.tif', 'u16-4band-deflate-p2-meta-utm50.tif', 'f64-none-utm50.tif', // UTM 50N, with overviews
  'i16-zstd-p2-nodata-4547.tif', 'i32-lzw-p2-4498.tif', // CGCS2000 3° GK CM 114E (nodata), 6° GK zone 20
  'f32-deflate-p3-nan-4490.tif', // CGCS2000 geographic, NaN nodata
  'u8-deflate-p2-nodata0-4326.tif', 'u8-deflate-mask-4326.tif', // WGS84, nodata 0 / internal mask
  'u16-4band-lzw-p2-band-3857.tif', 'u8-packbits-tiled-3857.tif', // Web Mercator: the affine path
];

interface Case { tms: TileMatrixSet; z: number; x: number; y: number; kind: string; resampling: Resampling }

/** Centre and corner (edge) tiles from z11 (a tile holds the raster) to z17, one tile 1° away. */
function casesFor(nw: [number, number], se: [number, number]): Case[] {
  const out: Case[] = [];
  const c: [number, number] = [(nw[0] + se[0]) / 2, (nw[1] + se[1]) / 2];
  const at = (tms: TileMatrixSet, z: number, [lon, lat]: [number, number]) => tms === WGS1984Quad
    ? [Math.floor(((lon + 180) / 180) * 2 ** z), Math.floor(((90 - lat) / 180) * 2 ** z)]
    : [Math.floor(((lon + 180) / 360) * 2 ** z), Math.floor(((1 - Math.asinh(Math.tan((lat * Math.PI) / 180)) / Math.PI) / 2) * 2 ** z)];
  for (const resampling of ['nearest', 'bilinear', 'average'] as Resampling[]) {
    for (const z of resampling === 'average' ? [13, 15, 17] : [11, 13, 15, 17]) {
      for (const [kind, p] of [['centre', c], ['nw-edge', nw], ['se-edge', se]] as const) {
        const [x, y] = at(WebMercatorQuad, z, p);
        out.push({ tms: WebMercatorQuad, z, x, y, kind, resampling });
      }
    }
    const [x, y] = at(WebMercatorQuad, 12, [c[0] + 1, c[1]]);
    out.push({ tms: WebMercatorQuad, z: 12, x, y, kind: 'outside', resampling });
  }
  for (const z of [12, 14]) {
    for (const [kind, p] of [['centre', c], ['nw-edge', nw]] as const) {
      const [x, y] = at(WGS1984Quad, z, p);
      out.push({ tms: WGS1984Quad, z, x, y, kind, resampling: 'nearest' });
    }
  }
  return out;
}

describe('tiles match gdalwarp', () => {
  for (const file of FIXTURES) {
    it(file, async (t) => {
      const source = await MemorySource.fromFile(fixturePath(file));
      const { header } = await readHeader(source);
      const gt = header.geotransform!, { width, height } = header.levels[0].image;
      const ll = toWgs84(header.crs);
      const cases = casesFor(ll([gt[0], gt[3]]), ll([gt[0] + width * gt[1], gt[3] + height * gt[5]]));
      const requests = cases.map((k) => ({
        file: fixturePath(file), bounds: tileBounds(k.tms, k.z, k.x, k.y), srs: `EPSG:${k.tms.epsg}`,
        resampling: k.resampling === 'nearest' ? 'near' : k.resampling,
      }));
      const gdal: GdalTile[] = JSON.parse(execFileSync('/usr/bin/python3', ['-c', ORACLE], { input: JSON.stringify(requests), encoding: 'utf8', maxBuffer: 1 << 30 }));
      const stats: Record<string, { valid: number; same: number; maxDiff: number }> = {};
      for (let k = 0; k < cases.length; k++) {
        const { tms, z, x, y, kind, resampling } = cases[k];
        const where = `${tms.id} ${z}/${x}/${y} (${kind}, ${resampling})`;
        const g = gdal[k];
        const alpha = decode(g.alpha, 'Byte');
        const plan = planTile(header, tms, z, x, y, { resampling });
        if (!plan) {
          assert.ok(alpha.every((a) => a === 0), `${where}: no plan but GDAL has data`);
          continue;
        }
        assert.notEqual(kind, 'outside', `${where}: a tile away from the raster must have no plan`);
        assert.equal(plan.level, g.level, `${where}: overview level`);
        const warped = warpWindow(plan, await readWindow(header, source, plan.window, { level: plan.level }));
        const expected = g.bands.map((b) => decode(b, g.dtype));
        const integer = !g.dtype.startsWith('Float');
        const s = (stats[resampling] ??= { valid: 0, same: 0, maxDiff: 0 });
        let maskDiffs = 0;
        for (let i = 0; i < 256 * 256; i++) {
          if ((warped.mask[i] !== 0) !== (alpha[i] !== 0)) maskDiffs++;
          if (!warped.mask[i] || !alpha[i]) continue;
          s.valid++;
          let same = true;
          for (let b = 0; b < expected.length; b++) {
            const a = warped.bands[b][i], e = expected[b][i];
            if (a === e || (a !== a && e !== e)) continue;
            same = false;
            s.maxDiff = Math.max(s.maxDiff, Math.abs(a - e));
            if (resampling === 'nearest') continue;
            // bilinear / average: within 1 DN (integers), or a relative 1e-5 (floats: summation order)
            const tolerance = integer ? 1 : 1e-5 * Math.max(1, Math.abs(e));
            assert.ok(Math.abs(a - e) <= tolerance, `${where} band ${b} pixel ${i % 256},${i >> 8}: ${a} vs GDAL ${e}`);
          }
          if (same) s.same++;
        }
        assert.equal(maskDiffs, 0, `${where}: ${maskDiffs} pixels valid in one and not the other`);
      }
      for (const [resampling, s] of Object.entries(stats)) {
        const pct = (100 * s.same) / s.valid;
        t.diagnostic(`${resampling}: ${pct.toFixed(2)}% of ${s.valid} valid pixels identical to GDAL${s.maxDiff ? `, the rest within ${s.maxDiff.toPrecision(2)}` : ''}`);
        if (resampling === 'nearest') assert.ok(pct >= 99, `nearest: only ${pct.toFixed(2)}% identical`);
      }
    });
  }
});
