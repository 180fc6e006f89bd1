/**
 * A 4096² uint16 COG of smooth terrain plus noise (41 km square in UTM 50N near Beijing), written by
 * GDAL's COG driver the way users' imagery is: for tests whose point is memory and load, where the
 * 2–700 KB fixtures would fit in any cache.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

export const BIG_COG_LONLAT = { west: 116.12, north: 40.18, east: 116.55, south: 39.82 };

export function makeBigCog(dir: string, name = 'big.tif'): string {
  const raw = join(dir, `${name}.raw.tif`), cog = join(dir, name);
  execFileSync('/usr/bin/python3', ['-c', `
import numpy as np
from osgeo import gdal, osr
n = 4096
ds = gdal.GetDriverByName('GTiff').Create('${raw}', n, n, 1, gdal.GDT_UInt16)
ds.SetGeoTransform([420000, 10, 0, 4450000, 0, -10])
srs = osr.SpatialReference(); srs.ImportFromEPSG(32650); ds.SetProjection(srs.ExportToWkt())
x = np.arange(n, dtype=np.float32); y = x[:, None]
v = 1500 + 800 * np.sin(x / 700.0) * np.cos(y / 900.0) + np.random.default_rng(7).normal(0, 40, (n, n))
ds.GetRasterBand(1).WriteArray(np.clip(v, 1, 10000).astype(np.uint16))
ds = None
`]);
  execFileSync('gdal_translate', ['-q', '-of', 'COG', '-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=2', raw, cog]);
  rmSync(raw);
  return cog;
}

/** XYZ tile of a lon/lat at zoom z. */
export function xyz(lon: number, lat: number, z: number): [number, number, number] {
  const n = 2 ** z, r = (lat * Math.PI) / 180;
  return [z, Math.floor(((lon + 180) / 360) * n), Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n)];
}

/** Up to `perZoom` tiles spread over the big COG at each zoom, as "z/x/y". */
export function bigCogTiles(zooms: number[], perZoom: number): string[] {
  const { west, north, east, south } = BIG_COG_LONLAT;
  const out: string[] = [];
  for (const z of zooms) {
    const [, x0, y0] = xyz(west, north, z), [, x1, y1] = xyz(east, south, z);
    const all: string[] = [];
    for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) all.push(`${z}/${x}/${y}`);
    const take = Math.min(all.length, perZoom);
    for (let i = 0; i < take; i++) out.push(all[Math.floor((i * all.length) / take)]);
  }
  return out;
}

/**
 * The COG: valid, 266 KB, one 8192² uint32 block of 7s over the world in EPSG:4326 (so a
 * z0 tile reads it), which decodes to 256 MiB. GDAL's COG driver writes no overview for an image
 * that fits one block.
 */
export function makeOneBlockCog(dir: string, name = 'one-block.tif'): string {
  const out = join(dir, name);
  execFileSync('/usr/bin/python3', ['-c', `
from osgeo import gdal, osr
n = 8192
ds = gdal.GetDriverByName('MEM').Create('', n, n, 1, gdal.GDT_UInt32)
ds.SetGeoTransform([-180, 360 / n, 0, 85, 0, -170 / n])
srs = osr.SpatialReference(); srs.ImportFromEPSG(4326); ds.SetProjection(srs.ExportToWkt())
ds.GetRasterBand(1).Fill(7)
gdal.GetDriverByName('COG').CreateCopy('${out}', ds, options=['BLOCKSIZE=8192', 'COMPRESS=DEFLATE'])
`]);
  return out;
}
