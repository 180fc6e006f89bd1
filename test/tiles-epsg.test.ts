import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Catalog } from '../lib/catalog/index.ts';
import { openCatalog } from '../lib/catalog/open.ts';
import { resolveCrs, toWgs84 } from '../lib/crs/index.ts';
import { tileBounds, WebMercatorQuad, WGS1984Quad, type TileMatrixSet } from '../lib/grids/index.ts';
import { ingestObject } from '../lib/ingest/index.ts';
import { readWindow } from '../lib/raster/index.ts';
import { openSource } from '../lib/source/index.ts';
import { deserializeHeader, serializeHeader, type CogHeader } from '../lib/tiff/index.ts';
import { planTileWarp, warpWindow } from '../lib/warp/index.ts';

/**
 * Rasters in CRSs outside taoguan's rule-built families, made by GDAL, ingested into a real SQLite
 * catalog (which resolves the EPSG code from the database and stores the definition), then tiled
 * from the stored header alone and compared with gdal.Warp (gdalwarp -r near, -et 0.125, -ovr AUTO)
 * pixel by pixel. Random pixel values: a nearest-neighbour tile sampling the wrong source pixel shows.
 */
interface Case {
  epsg: number;
  what: string;
  /** Centre of the raster in the CRS's units, pixel size in those units, width × height. */
  centre: [number, number];
  pixel: number;
  size: [number, number];
  /** The pixel size in metres (for the zoom whose tile pixels match it). */
  metres: number;
  /** A user-defined CRS (WKT) instead of the EPSG code: a projection of its own on that code's datum. */
  wkt?: string;
}

/** EPSG:code's WKT with its central meridian moved: GDAL writes user-defined projection keys on the EPSG geographic CRS. */
const moved = (code: number, from: number, to: number): string => execFileSync('gdalsrsinfo', ['-o', 'wkt1', `EPSG:${code}`], { encoding: 'utf8' })
  .replace(/\s*\n\s*/g, '').replace(`"central_meridian",${from}]`, `"central_meridian",${to}]`).replace(new RegExp(`,AUTHORITY\\["EPSG","${code}"\\]\\]$`), ']');

const CASES: Case[] = [
  { epsg: 2193, what: 'NZTM 2000', centre: [1757000, 5920000], pixel: 100, size: [500, 400], metres: 100 },
  { epsg: 27700, what: 'British National Grid (OSGB36, Helmert datum shift)', centre: [530000, 180000], pixel: 50, size: [500, 400], metres: 50 },
  { epsg: 3035, what: 'LAEA Europe', centre: [4321000, 3210000], pixel: 500, size: [500, 400], metres: 500 },
  { epsg: 2154, what: 'Lambert-93', centre: [652000, 6862000], pixel: 50, size: [500, 400], metres: 50 },
  { epsg: 3413, what: 'NSIDC north polar stereographic (Greenland)', centre: [100000, -2000000], pixel: 1000, size: [600, 600], metres: 1000 },
  { epsg: 3031, what: 'Antarctic polar stereographic', centre: [1500000, 1000000], pixel: 1000, size: [600, 600], metres: 1000 },
  { epsg: 2263, what: 'NAD83 / New York Long Island State Plane (US feet)', centre: [990000, 200000], pixel: 100, size: [500, 400], metres: 30.48 },
  { epsg: 3832, what: 'PDC Mercator across the antimeridian (Fiji)', centre: [3339585, -1950000], pixel: 2000, size: [560, 300], metres: 2000 },
  { epsg: 32760, what: 'UTM 60S across the antimeridian', centre: [833000, 8080000], pixel: 200, size: [500, 500], metres: 200 },
  { epsg: 3577, what: 'GDA94 / Australian Albers', centre: [1000000, -2500000], pixel: 1000, size: [500, 400], metres: 1000 },
  // user-defined projections on EPSG datums the rules do not know: NZGD2000 (4167), OSGB36 (4277, a Helmert shift)
  { epsg: 4167, what: 'a transverse Mercator of its own on NZGD2000', centre: [1657000, 5920000], pixel: 100, size: [400, 400], metres: 100, wkt: moved(2193, 173, 172) },
  { epsg: 4277, what: 'a transverse Mercator of its own on OSGB36', centre: [460000, 180000], pixel: 50, size: [400, 400], metres: 50, wkt: moved(27700, -2, -1) },
];

const MAKE = `
import json, sys
import numpy as np
from osgeo import gdal, osr
gdal.UseExceptions()
gdal.SetConfigOption('GDAL_PAM_ENABLED', 'NO')
r = json.load(sys.stdin)
w, h = r['size']
srs = osr.SpatialReference()
if r.get('wkt'): srs.ImportFromWkt(r['wkt'])
else: srs.ImportFromEPSG(r['epsg'])
mem = gdal.GetDriverByName('MEM').Create('', w, h, 1, gdal.GDT_Byte)
mem.SetGeoTransform([r['centre'][0] - w / 2 * r['pixel'], r['pixel'], 0, r['centre'][1] + h / 2 * r['pixel'], 0, -r['pixel']])
mem.SetProjection(srs.ExportToWkt())
mem.GetRasterBand(1).WriteArray(np.random.default_rng(r['epsg']).integers(1, 256, (h, w), dtype=np.uint8))
gdal.Translate(r['file'], mem, format='COG', creationOptions=['BLOCKSIZE=256', 'COMPRESS=DEFLATE'])
`;

const WARP = `
import base64, json, sys
from osgeo import gdal
gdal.UseExceptions()
gdal.SetConfigOption('GDAL_PAM_ENABLED', 'NO')
out = []
for r in json.load(sys.stdin):
    ds = gdal.Warp('', r['file'], format='MEM', dstSRS=r['srs'], outputBounds=r['bounds'], width=256, height=256,
                   resampleAlg='near', dstAlpha=True, multithread=False)
    out.append([base64.b64encode(ds.GetRasterBand(b).ReadRaster()).decode() for b in (1, 2)])
json.dump(out, sys.stdout)
`;

interface Tile { tms: TileMatrixSet; z: number; x: number; y: number; kind: string }

function tileAt(tms: TileMatrixSet, z: number, [lon, lat]: [number, number]): [number, number] {
  return tms === WGS1984Quad
    ? [Math.floor(((lon + 180) / 180) * 2 ** z), Math.floor(((90 - lat) / 180) * 2 ** z)]
    : [Math.floor(((lon + 180) / 360) * 2 ** z), Math.floor(((1 - Math.asinh(Math.tan((lat * Math.PI) / 180)) / Math.PI) / 2) * 2 ** z)];
}

const wrap = (lon: number) => ((((lon + 180) % 360) + 360) % 360) - 180;

/** The raster's centre at the zoom whose tile pixels are its own and two zooms out, an edge tile, a WGS1984Quad tile. */
function tilesFor(c: Case, header: CogHeader): Tile[] {
  const ll = toWgs84(header.crs);
  const gt = header.geotransform!;
  const [w, h] = c.size;
  const centre = ll(c.centre);
  const nw = ll([gt[0] + 0.1 * w * gt[1], gt[3] + 0.1 * h * gt[5]]);
  const z = Math.max(1, Math.round(Math.log2((156543.034 * Math.cos((centre[1] * Math.PI) / 180)) / c.metres)));
  const out: Tile[] = [];
  for (const [kind, p, zoom] of [['centre', centre, z], ['centre', centre, z - 2], ['nw', nw, z]] as const) {
    const [x, y] = tileAt(WebMercatorQuad, zoom, [wrap(p[0]), p[1]]);
    out.push({ tms: WebMercatorQuad, z: zoom, x, y, kind });
  }
  // WGS1984Quad at the zoom whose pixels are no taller than the raster's. (At coarser zooms near the
  // poles, where a tile pixel is 3× taller than wide, lib/warp/overview.ts picks a finer overview
  // than gdalwarp 3.6 does: a difference of overview choice, not of the CRS; see the report.)
  const zw = Math.ceil(Math.log2((180 * 111320) / (256 * c.metres)));
  const [x, y] = tileAt(WGS1984Quad, zw, [wrap(centre[0]), centre[1]]);
  out.push({ tms: WGS1984Quad, z: zw, x, y, kind: 'centre' });
  if (Math.abs(Math.abs(wrap(centre[0])) - 180) < 1) {
    // both sides of the antimeridian
    for (const lon of [179.9, -179.9]) {
      const [ax, ay] = tileAt(WebMercatorQuad, z - 1, [lon, centre[1]]);
      out.push({ tms: WebMercatorQuad, z: z - 1, x: ax, y: ay, kind: `lon ${lon}` });
    }
  }
  return out;
}

describe('rasters in any EPSG CRS: ingested, tiled from the stored definition, equal to gdalwarp', () => {
  let dir = '';
  let catalog: Catalog;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taoguan-tiles-epsg-'));
    catalog = await openCatalog(`sqlite:${join(dir, 'catalog.db')}`, { cache: false });
    await catalog.create([{ name: 'crs' }]);
  });
  after(async () => {
    await catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(`${c.wkt ? 'user-defined on ' : ''}EPSG:${c.epsg} ${c.what}`, async (t) => {
      const file = join(dir, `${c.epsg}.tif`);
      execFileSync('/usr/bin/python3', ['-c', MAKE], { input: JSON.stringify({ ...c, file }) });
      const warnings: string[] = [];
      assert.equal(await ingestObject(catalog, file, [String(c.epsg)], { onWarning: (_l, m) => warnings.push(m) }), 'inserted');
      const record = (await catalog.get([String(c.epsg)]))!;
      const header = record.header;
      assert.ok(header.crs?.proj4, 'the definition is stored with the header');
      assert.equal(header.crs.epsg, c.wkt ? undefined : c.epsg);
      if (c.wkt) assert.equal(header.crs.geoKeys[2048], c.epsg, 'GDAL wrote the EPSG geographic CRS under user-defined projection keys');
      assert.doesNotMatch(header.crs.proj4, /nadgrids/);
      t.diagnostic(`stored: ${header.crs.proj4}${warnings.length ? `; warning: ${warnings.join('; ')}` : ''}`);

      const tiles = tilesFor(c, header);
      const expected: string[][] = JSON.parse(execFileSync('/usr/bin/python3', ['-c', WARP], {
        input: JSON.stringify(tiles.map((k) => ({ file, srs: `EPSG:${k.tms.epsg}`, bounds: tileBounds(k.tms, k.z, k.x, k.y) }))),
        encoding: 'utf8', maxBuffer: 1 << 28,
      }));
      const source = openSource(file);
      let compared = 0, same = 0, withData = 0;
      try {
        for (let k = 0; k < tiles.length; k++) {
          const { tms, z, x, y, kind } = tiles[k];
          const [band, alpha] = expected[k].map((b) => Buffer.from(b, 'base64'));
          const plan = planTileWarp(header, tms, z, x, y, { resampling: 'nearest' });
          const gdalValid = alpha.reduce((n, a) => n + (a ? 1 : 0), 0);
          if (!plan) {
            assert.equal(gdalValid, 0, `${tms.id} ${z}/${x}/${y} (${kind}): no plan but GDAL has ${gdalValid} pixels`);
            continue;
          }
          const warped = warpWindow(plan, await readWindow(header, source, plan.window, { level: plan.level }));
          let tileSame = 0, tileCompared = 0;
          for (let i = 0; i < 256 * 256; i++) {
            const ours = warped.mask[i] !== 0, theirs = alpha[i] !== 0;
            if (!ours && !theirs) continue;
            tileCompared++;
            if (ours && theirs && warped.bands[0][i] === band[i]) tileSame++;
          }
          if (gdalValid) withData++;
          t.diagnostic(`${tms.id} ${z}/${x}/${y} (${kind}): ${tileCompared ? ((100 * tileSame) / tileCompared).toFixed(2) : '-'}% of ${tileCompared}`);
          compared += tileCompared;
          same += tileSame;
        }
      } finally {
        await source.close?.();
      }
      assert.ok(withData >= 3, `only ${withData} tiles hold data: the test would prove little`);
      const pct = (100 * same) / compared;
      assert.ok(pct >= 99, `EPSG:${c.epsg}: only ${pct.toFixed(2)}% of ${compared} pixels equal gdalwarp's`);
    });
  }

  it('a row stored before definitions were (no proj4) still tiles, by rule', async () => {
    const file = join(dir, 'utm.tif');
    execFileSync('/usr/bin/python3', ['-c', MAKE], { input: JSON.stringify({ epsg: 32650, centre: [450000, 4420000], pixel: 30, size: [300, 300], file }) });
    await ingestObject(catalog, file, ['old']);
    const stored = (await catalog.get(['old']))!.header;
    const old = JSON.parse(serializeHeader(stored)) as { crs: { proj4?: string } };
    assert.ok(old.crs.proj4);
    delete old.crs.proj4;
    const header = deserializeHeader(JSON.stringify(old));
    const ll = toWgs84(header.crs);
    const [x, y] = tileAt(WebMercatorQuad, 12, ll([450000, 4420000]));
    const withDef = planTileWarp(stored, WebMercatorQuad, 12, x, y)!;
    const withoutDef = planTileWarp(header, WebMercatorQuad, 12, x, y)!;
    assert.deepEqual(withoutDef.window, withDef.window);
    assert.equal(withoutDef.level, withDef.level);
  });

  it('user-defined GeoKeys are stored as read; a code the EPSG database lacks is refused, naming it', async () => {
    const file = join(dir, 'user.tif');
    const made = join(dir, 'made.tif');
    execFileSync('/usr/bin/python3', ['-c', MAKE], { input: JSON.stringify({ epsg: 2193, centre: [1757000, 5920000], pixel: 100, size: [64, 64], file: made }) });
    execFileSync('gdal_translate', ['-q', '-of', 'COG', '-a_srs', '+proj=tmerc +lat_0=0 +lon_0=173 +k=0.9996 +x_0=1600000 +y_0=10000000 +ellps=GRS80 +units=m +no_defs', made, file]);
    await ingestObject(catalog, file, ['user']);
    const h = (await catalog.get(['user']))!.header;
    assert.equal(h.crs!.epsg, undefined);
    assert.match(h.crs!.proj4!, /^\+proj=tmerc .*\+lon_0=173 .*\+ellps=GRS80/);
    await assert.rejects(resolveCrs({ epsg: 5703, modelType: 'projected', rasterType: 1, geoKeys: {} }), /EPSG:5703 cannot be used: EPSG:5703 is not a projected or geographic CRS of the EPSG database/);
    await assert.rejects(resolveCrs({ epsg: 123456, modelType: 'projected', rasterType: 1, geoKeys: {} }), /EPSG:123456 is not a projected or geographic CRS/);
    // in the database, but a projection proj4 does not implement (Winkel Tripel)
    await assert.rejects(resolveCrs({ epsg: 53042, modelType: 'projected', rasterType: 1, geoKeys: {} }), /EPSG:53042 cannot be used: proj4 cannot use \+proj=wintri .*: the wintri projection is not one proj4 implements/);
  });
});
