import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import proj4 from 'proj4';
import { proj4ForCrs, proj4ForEpsg, UnknownCrsError } from '../lib/crs/epsg.ts';
import { gridProjection } from '../lib/warp/project.ts';
import { WebMercatorQuad, WGS1984Quad } from '../lib/grids/tms.ts';
import { readHeader } from '../lib/tiff/index.ts';
import type { CrsInfo } from '../lib/tiff/header.ts';
import { fixturePath, MemorySource } from './helpers.ts';

/**
 * PROJ (through python3-gdal) projects lon/lat given on the CRS's own geographic CRS, so only the
 * projection is compared (no datum shift question): by EPSG code, or by the CRS GDAL reads back
 * from a file.
 */
const ORACLE = `
import json, sys
from osgeo import gdal, osr
osr.UseExceptions(); gdal.UseExceptions()
out = []
for r in json.load(sys.stdin):
    dst = osr.SpatialReference()
    if 'epsg' in r: dst.ImportFromEPSG(r['epsg'])
    else: dst = gdal.Open(r['file']).GetSpatialRef()
    dst.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    src = dst.CloneGeogCS(); src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ct = osr.CoordinateTransformation(src, dst)
    out.append([list(ct.TransformPoint(x, y)[:2]) for x, y in r['points']])
json.dump(out, sys.stdout)
`;
type Req = { epsg: number; points: number[][] } | { file: string; points: number[][] };
const gdalProject = (reqs: Req[]): number[][][] => JSON.parse(execFileSync('/usr/bin/python3', ['-c', ORACLE], { input: JSON.stringify(reqs), encoding: 'utf8' }));

/** Our projection of lon/lat on the same datum: the def's own geographic CRS. */
const ours = (def: string, points: number[][]): number[][] => {
  const geog = `+proj=longlat ${def.split(' ').filter((t) => /^\+(datum|ellps|a|b|rf|towgs84|pm)=/.test(t)).join(' ')} +no_defs`;
  const c = proj4(geog, def);
  return points.map((p) => c.forward(p) as number[]);
};
const around = (lon: number, lat: number): number[][] => [[lon, lat], [lon - 1.4, lat + 2], [lon + 1.3, lat - 1.5], [lon + 0.2, lat + 5]];
const assertClose = (a: number[][], b: number[][], what: string, tol = 1e-3) => a.forEach((p, i) => {
  assert.ok(Math.abs(p[0] - b[i][0]) < tol && Math.abs(p[1] - b[i][1]) < tol, `${what}: [${p}] vs PROJ [${b[i]}]`);
});

describe('CRS definitions', () => {
  it('spells the families out as expected', () => {
    assert.equal(proj4ForEpsg(32650), '+proj=utm +zone=50 +datum=WGS84 +units=m +no_defs');
    assert.equal(proj4ForEpsg(4547), '+proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs');
    assert.equal(proj4ForEpsg(4498), '+proj=tmerc +lat_0=0 +lon_0=117 +k=1 +x_0=20500000 +y_0=0 +ellps=GRS80 +units=m +no_defs');
    assert.equal(proj4ForEpsg(2435), '+proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=500000 +y_0=0 +ellps=krass +units=m +no_defs');
    assert.equal(proj4ForEpsg(2414), '+proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=38500000 +y_0=0 +ellps=krass +units=m +no_defs');
    assert.equal(proj4ForEpsg(2383), '+proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=500000 +y_0=0 +a=6378140 +rf=298.257 +units=m +no_defs');
    assert.equal(proj4ForEpsg(4214), '+proj=longlat +ellps=krass +no_defs');
    assert.equal(proj4ForEpsg(2000), undefined);
  });

  it('every EPSG family projects as PROJ does (< 1 mm)', () => {
    const cases: [number, number, number][] = [
      [32650, 117, 39], [32750, 117, -30], [32601, -177, 10], [3395, 100, 30],
      [4491, 75, 35], [4498, 117, 39], [4502, 75, 35], [4513, 75, 35], [4533, 135, 45], [4534, 75, 35], [4547, 114, 30], [4554, 135, 45],
      [2327, 75, 35], [2337, 135, 45], [2338, 75, 35], [2349, 75, 35], [2362, 114, 30], [2383, 114, 30], [2390, 135, 45],
      [2401, 75, 35], [2414, 114, 30], [2421, 135, 45], [2422, 75, 35], [2435, 114, 30], [2442, 135, 45],
      [21413, 75, 35], [21420, 117, 39], [21423, 135, 45], [21453, 75, 35], [21463, 135, 45], [21473, 75, 35], [21483, 135, 45],
    ];
    const expected = gdalProject(cases.map(([epsg, lon, lat]) => ({ epsg, points: around(lon, lat) })));
    cases.forEach(([epsg, lon, lat], k) => assertClose(ours(proj4ForEpsg(epsg)!, around(lon, lat)), expected[k], `EPSG:${epsg}`));
  });

  it('Web Mercator is the sphere formula on WGS84 lon/lat', () => {
    const [expected] = gdalProject([{ epsg: 3857, points: around(116.4, 39.9) }]);
    const c = proj4('+proj=longlat +datum=WGS84 +no_defs', proj4ForEpsg(3857)!);
    assertClose(around(116.4, 39.9).map((p) => c.forward(p) as number[]), expected, 'EPSG:3857');
  });

  describe('user-defined GeoKeys, as GDAL writes them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'taoguan-tiles-crs-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const cases: [string, string, number, number][] = [
      ['tmerc', '+proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs', 114, 30],
      ['tmerc-usft', '+proj=tmerc +lat_0=31 +lon_0=-100 +k=0.9999 +x_0=609601.2192 +y_0=30480.06096 +ellps=clrk66 +units=us-ft +no_defs', -100, 32],
      ['merc-1sp', '+proj=merc +lon_0=110 +k=0.997 +x_0=3900000 +y_0=900000 +ellps=krass +units=m +no_defs', 110, 5],
      ['merc-2sp', '+proj=merc +lat_ts=30 +lon_0=105 +x_0=0 +y_0=0 +ellps=krass +units=m +no_defs', 105, 25],
      ['lcc-2sp', '+proj=lcc +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +x_0=0 +y_0=0 +ellps=krass +units=m +no_defs', 105, 35],
      ['lcc-1sp', '+proj=lcc +lat_1=35 +lat_0=35 +lon_0=110 +k_0=0.9996 +x_0=500000 +y_0=300000 +ellps=GRS80 +units=m +no_defs', 110, 35],
      ['albers', '+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +x_0=0 +y_0=0 +ellps=krass +units=m +no_defs', 105, 35],
      ['laea', '+proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +ellps=GRS80 +units=m +no_defs', 10, 52],
      ['stere-south', '+proj=stere +lat_0=-90 +lat_ts=-71 +lon_0=0 +x_0=0 +y_0=0 +ellps=intl +units=m +no_defs', 30, -75],
      ['stere-north-k', '+proj=stere +lat_0=90 +lon_0=-45 +k=0.994 +x_0=2000000 +y_0=2000000 +ellps=intl +units=m +no_defs', -40, 75],
    ];
    for (const [name, srs, lon, lat] of cases) {
      it(name, async () => {
        const file = join(dir, `${name}.tif`);
        execFileSync('gdal_translate', ['-q', '-a_srs', srs, fixturePath('u8-packbits-tiled-3857.tif'), file], { env: { ...process.env, GDAL_PAM_ENABLED: 'NO' } });
        const { header } = await readHeader(await MemorySource.fromFile(file));
        assert.equal(header.crs?.epsg, undefined, 'GDAL wrote user-defined keys');
        const def = proj4ForCrs(header.crs);
        const points = around(lon, lat).map(([x, y]) => [x, Math.max(-89, Math.min(89, y))]);
        assertClose(ours(def, points), gdalProject([{ file, points }])[0], `${name} → ${def}`);
      });
    }

    it('geographic on a user-defined ellipsoid', async () => {
      const file = join(dir, 'longlat-krass.tif');
      execFileSync('gdal_translate', ['-q', '-a_srs', '+proj=longlat +ellps=krass +no_defs', '-a_ullr', '114', '31', '115', '30', fixturePath('u8-packbits-tiled-3857.tif'), file], { env: { ...process.env, GDAL_PAM_ENABLED: 'NO' } });
      const { header } = await readHeader(await MemorySource.fromFile(file));
      // GDAL writes the ellipsoid as its axes (GeogSemiMajorAxis, GeogInvFlattening)
      assert.equal(proj4ForCrs(header.crs), '+proj=longlat +a=6378245 +rf=298.3 +no_defs');
    });
  });

  it("the tile grid's shortcut to proj4 projections gives proj4's own results", () => {
    const defs = [32650, 32750, 4547, 4498, 2435, 2383, 21460, 4490, 4214, 3395].map((c) => proj4ForEpsg(c)!);
    defs.push('+proj=lcc +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +x_0=0 +y_0=0 +ellps=krass +units=m +no_defs');
    defs.push('+proj=tmerc +lat_0=31 +lon_0=-100 +k=0.9999 +x_0=609601.2192 +y_0=30480.06096 +ellps=clrk66 +units=us-ft +no_defs');
    const out = new Float64Array(2);
    for (const def of defs) {
      const viaProj4 = proj4(proj4ForEpsg(4326)!, def);
      const grid = gridProjection(WGS1984Quad, def);
      for (const [lon, lat] of [[114.2, 30.5], [116.9, 40.1], [-99.5, 32.5]]) {
        assert.ok(grid.toSource(lon, lat, out), def);
        const [x, y] = viaProj4.forward([lon, lat]) as number[];
        assert.ok(Math.abs(out[0] - x) < 1e-6 && Math.abs(out[1] - y) < 1e-6, `${def}: [${out}] vs [${x}, ${y}]`);
      }
    }
    assert.equal(gridProjection(WebMercatorQuad, proj4ForEpsg(900913)!).identity, true);
  });

  it('reads UTM named by ProjectionGeoKey on a user-defined projected CRS', () => {
    const crs: CrsInfo = { modelType: 'projected', rasterType: 1, geoKeys: { 1024: 1, 2048: 4326, 3072: 32767, 3074: 16150 } };
    assert.equal(proj4ForCrs(crs), '+proj=utm +zone=50 +south +datum=WGS84 +units=m +no_defs');
  });

  it('an unknown CRS is a clear UnknownCrsError', () => {
    const unknownEpsg: CrsInfo = { epsg: 2000, modelType: 'projected', rasterType: 1, geoKeys: {} };
    // without the EPSG database (tiles): only the families spelled out by rule, or a stored definition
    assert.throws(() => proj4ForCrs(unknownEpsg), (e: Error) => e instanceof UnknownCrsError && /EPSG:2000 cannot be used: it has not been resolved/.test(e.message));
    assert.equal(proj4ForCrs({ ...unknownEpsg, proj4: '+proj=longlat +ellps=clrk80 +no_defs' }), '+proj=longlat +ellps=clrk80 +no_defs');
    const oblique: CrsInfo = { modelType: 'projected', rasterType: 1, citation: 'Hotine', geoKeys: { 1024: 1, 2048: 4326, 3072: 32767, 3075: 3 } };
    assert.throws(() => proj4ForCrs(oblique), /user-defined CRS \(Hotine\) cannot be used: ProjCoordTransGeoKey 3 \(supported: transverse Mercator/);
    const noDatum: CrsInfo = { modelType: 'projected', rasterType: 1, geoKeys: { 1024: 1, 2048: 32767, 3072: 32767, 3075: 1 } };
    assert.throws(() => proj4ForCrs(noDatum), /no known datum or ellipsoid/);
    assert.throws(() => proj4ForCrs(null), /the raster has no CRS/);
  });
});
