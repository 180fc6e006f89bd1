import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { toWgs84 } from '../lib/crs/index.ts';
import { tileBounds, WebMercatorQuad, WGS1984Quad, type TileMatrixSet } from '../lib/grids/index.ts';
import { readHeader } from '../lib/tiff/index.ts';
import { planTileWarp } from '../lib/warp/index.ts';
import { MemorySource } from './helpers.ts';

/**
 * The overview level a tile reads is the one gdalwarp (-ovr AUTO, -te, -ts 256 256) reads, for
 * rasters as users bring them: UTM, EPSG:4326 and 4490 (a 1″ DEM), a CGCS2000 Gauss–Krüger zone and
 * Web Mercator, 3600² with overviews of 1800, 900, 450 and 225 px, at zooms where each level is chosen.
 * GDAL's debug line "Selecting overview level N" names the level it read.
 */
const dir = mkdtempSync(join(tmpdir(), 'taoguan-ovr-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const RASTERS: { file: string; epsg: number; gt: number[] }[] = [
  { file: 'utm50.tif', epsg: 32650, gt: [400000, 30, 0, 4540000, 0, -30] },
  { file: 'dem-4326.tif', epsg: 4326, gt: [116, 1 / 3600, 0, 41, 0, -1 / 3600] },
  { file: 'dem-4490.tif', epsg: 4490, gt: [126, 1 / 3600, 0, 47, 0, -1 / 3600] },
  { file: 'gk-4547.tif', epsg: 4547, gt: [400000, 30, 0, 4540000, 0, -30] }, // CGCS2000 3° GK CM 114E
  { file: 'merc.tif', epsg: 3857, gt: [12913000, 30, 0, 4980000, 0, -30] },
];

const MAKE = `
import json, sys
import numpy as np
from osgeo import gdal, osr
gdal.UseExceptions()
for r in json.load(sys.stdin):
    n = 3600
    ds = gdal.GetDriverByName('MEM').Create('', n, n, 1, gdal.GDT_Byte)
    ds.SetGeoTransform(r['gt'])
    s = osr.SpatialReference(); s.ImportFromEPSG(r['epsg']); ds.SetProjection(s.ExportToWkt())
    ds.GetRasterBand(1).WriteArray(((np.arange(n)[None, :] + np.arange(n)[:, None]) % 200 + 1).astype(np.uint8))
    gdal.Translate(r['path'], ds, format='COG', creationOptions=['COMPRESS=DEFLATE', 'BLOCKSIZE=256'])
`;

const ORACLE = `
import json, sys
from osgeo import gdal
gdal.UseExceptions()
gdal.SetConfigOption('CPL_DEBUG', 'ON')
log = []
gdal.PushErrorHandler(lambda cls, no, msg: log.append(msg))
out = []
for r in json.load(sys.stdin):
    log.clear()
    gdal.Warp('', r['file'], format='MEM', dstSRS=r['srs'], outputBounds=r['bounds'], width=256, height=256, dstAlpha=True)
    level = 0
    for m in log:
        if 'Selecting overview level' in m: level = int(m.split('Selecting overview level')[1].split()[0]) + 1
    out.append(level)
json.dump(out, sys.stdout)
`;

function tileAt(tms: TileMatrixSet, z: number, lon: number, lat: number): [number, number] {
  if (tms === WGS1984Quad) return [Math.floor(((lon + 180) / 180) * 2 ** z), Math.floor(((90 - lat) / 180) * 2 ** z)];
  return [Math.floor(((lon + 180) / 360) * 2 ** z), Math.floor(((1 - Math.asinh(Math.tan((lat * Math.PI) / 180)) / Math.PI) / 2) * 2 ** z)];
}

describe('the overview level of a tile is gdalwarp\'s', () => {
  execFileSync('/usr/bin/python3', ['-c', MAKE], { input: JSON.stringify(RASTERS.map((r) => ({ ...r, path: join(dir, r.file) }))) });
  for (const r of RASTERS) {
    it(`${r.file} (EPSG:${r.epsg})`, async () => {
      const file = join(dir, r.file);
      const { header } = await readHeader(await MemorySource.fromFile(file));
      assert.deepEqual(header.levels.map((l) => l.image.width), [3600, 1800, 900, 450, 225]);
      const gt = header.geotransform!;
      const ll = toWgs84(header.crs);
      const [lon0, lat0] = ll([gt[0], gt[3]]), [lon1, lat1] = ll([gt[0] + 3600 * gt[1], gt[3] + 3600 * gt[5]]);
      const cases: { tms: TileMatrixSet; z: number; x: number; y: number }[] = [];
      for (const tms of [WebMercatorQuad, WGS1984Quad]) {
        for (let z = 5; z <= 13; z++) {
          for (const f of [0.5, 0.2, 0.85]) {
            const [x, y] = tileAt(tms, z, lon0 + (lon1 - lon0) * f, lat0 + (lat1 - lat0) * f);
            cases.push({ tms, z, x, y });
          }
        }
      }
      const requests = cases.map((c) => ({ file, srs: `EPSG:${c.tms.epsg}`, bounds: tileBounds(c.tms, c.z, c.x, c.y) }));
      const gdal: number[] = JSON.parse(execFileSync('/usr/bin/python3', ['-c', ORACLE], { input: JSON.stringify(requests), encoding: 'utf8' }));
      const seen = new Set<number>();
      for (let k = 0; k < cases.length; k++) {
        const { tms, z, x, y } = cases[k];
        const plan = planTileWarp(header, tms, z, x, y);
        assert.ok(plan, `${tms.id} ${z}/${x}/${y}: the tile has data`);
        assert.equal(plan.level, gdal[k], `${tms.id} ${z}/${x}/${y}: level ${plan.level}, gdalwarp reads ${gdal[k]}`);
        seen.add(plan.level);
      }
      // every level, full resolution to the last overview, is chosen by some tile
      assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4]);
    });
  }
});
