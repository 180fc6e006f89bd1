import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Large bench inputs are made with GDAL on first use and never committed (bench/.data is ignored). */
export const DATA_DIR = join(new URL('../../..', import.meta.url).pathname, 'bench/.data');

/**
 * A Sentinel-2-sized band: 10980×10980 uint16, UTM zone 50N near Beijing, deflate COG with GDAL's
 * defaults (512 px blocks, overviews down to one block). Smooth terrain-like fields plus noise, so
 * it compresses like real imagery rather than like a constant.
 */
export function sentinelCog(): string {
  const out = join(DATA_DIR, 's2-10980-u16-deflate.tif');
  if (existsSync(out)) return out;
  mkdirSync(DATA_DIR, { recursive: true });
  const raw = join(DATA_DIR, 's2-raw.tif');
  console.error(`bench: making ${out} with GDAL (once; about a minute)…`);
  execFileSync('/usr/bin/python3', ['-c', `
import numpy as np
from osgeo import gdal, osr
n = 10980
ds = gdal.GetDriverByName('GTiff').Create('${raw}', n, n, 1, gdal.GDT_UInt16, ['TILED=YES', 'COMPRESS=NONE', 'BIGTIFF=YES'])
ds.SetGeoTransform([399960, 10, 0, 4500000, 0, -10])
srs = osr.SpatialReference(); srs.ImportFromEPSG(32650); ds.SetProjection(srs.ExportToWkt())
rng = np.random.default_rng(7)
x = np.arange(n, dtype=np.float32)
band = ds.GetRasterBand(1)
for y0 in range(0, n, 1098):
    y = np.arange(y0, min(n, y0 + 1098), dtype=np.float32)[:, None]
    v = 1500 + 800 * np.sin(x / 700.0) * np.cos(y / 900.0) + 300 * np.sin((x + y) / 150.0)
    v += rng.normal(0, 40, v.shape)
    band.WriteArray(np.clip(v, 1, 10000).astype(np.uint16), 0, y0)
ds = None
`]);
  execFileSync('gdal_translate', ['-q', '-of', 'COG', '-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=2', '-co', 'NUM_THREADS=2', raw, out]);
  rmSync(raw);
  return out;
}

/** A SQLite catalog in `dir` holding the Sentinel-sized COG as S2/2024-01-15/B04 (serve, soak, 128 MB check). */
export async function sentinelCatalog(dir: string): Promise<string> {
  const { openCatalog } = await import('../../../lib/catalog/index.ts');
  const { ingestObject } = await import('../../../lib/ingest/index.ts');
  const uri = `sqlite:${join(dir, 'catalog.db')}`;
  const catalog = await openCatalog(uri);
  await catalog.create([{ name: 'sensor' }, { name: 'date' }, { name: 'band' }]);
  await ingestObject(catalog, sentinelCog(), ['S2', '2024-01-15', 'B04']);
  await catalog.close();
  return uri;
}

/** `run` over a sentinelCatalog in a temp folder, removed afterwards (the soak and pipelining parts). */
export async function withSentinelCatalog<T>(prefix: string, run: (uri: string) => Promise<T>): Promise<T> {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await run(await sentinelCatalog(dir));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
