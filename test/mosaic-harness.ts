/**
 * Mosaic test world: three overlapping UTM scenes (uint16, nodata 0, each with a nodata stripe so a
 * pixel falls through to the next scene) and a fourth of another sensor over the same place, made
 * by GDAL, served by range from the local origin and ingested into a SQLite catalog; plus GDAL as
 * the oracle — gdalwarp painting the scenes in a given order (later ones over earlier ones) and
 * numpy masked-array statistics over each scene warped alone.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCatalog } from '../lib/catalog/open.ts';
import { ingestObject } from '../lib/ingest/index.ts';
import type { Origin } from './api-harness.ts';

type Stripe = 'rows' | 'cols' | 'none';

export const SCENES: { keys: string[]; file: string; x: number; y: number; stripe: Stripe; seed: number }[] = [
  { keys: ['s2', '2024-06-01', 'b04'], file: 'a.tif', x: 0, y: 0, stripe: 'rows', seed: 1 },
  { keys: ['s2', '2024-06-11', 'b04'], file: 'b.tif', x: 2000, y: -1500, stripe: 'cols', seed: 2 },
  { keys: ['s2', '2024-06-21', 'b04'], file: 'c.tif', x: 4000, y: -3000, stripe: 'rows', seed: 3 },
  { keys: ['l8', '2024-06-05', 'b04'], file: 'l8.tif', x: 1000, y: -1000, stripe: 'none', seed: 4 },
];

const MAKE = `
import sys, numpy as np
from osgeo import gdal, osr
gdal.UseExceptions()
out, x0, y0, stripe, seed, n = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
rng = np.random.default_rng(seed)
a = rng.integers(1, 1001, size=(n, n), dtype=np.uint16)
if stripe == 'rows': a[100:140, :] = 0
if stripe == 'cols': a[:, 120:160] = 0
mem = gdal.GetDriverByName('MEM').Create('', n, n, 1, gdal.GDT_UInt16)
mem.SetGeoTransform([500000 + x0, 20, 0, 3430000 + y0, 0, -20])
srs = osr.SpatialReference(); srs.ImportFromEPSG(32650)
mem.SetProjection(srs.ExportToWkt())
mem.GetRasterBand(1).WriteArray(a)
mem.GetRasterBand(1).SetNoDataValue(0)
gdal.Translate(out, mem, format='COG', creationOptions=['BLOCKSIZE=256', 'COMPRESS=DEFLATE', 'OVERVIEWS=NONE'])
`;

/**
 * One scene COG by GDAL: n × n uint16 (values 1…1000 from the seed) in UTM 50N at (x, y) metres from
 * the world's corner, 20 m pixels, nodata 0, with a nodata stripe of rows or columns or none.
 */
export function makeScene(file: string, x: number, y: number, stripe: Stripe, seed: number, n = 300): void {
  execFileSync('/usr/bin/python3', ['-c', MAKE, file, String(x), String(y), stripe, String(seed), String(n)]);
}

/**
 * The oracle for one tile: gdalwarp of the files in the order given (each later one paints over the
 * earlier ones), and numpy's highest / lowest / mean / median / stdev / count over each file warped
 * alone. Mean and median are cast back to uint16 as rio-tiler does. Values as float64, mask 0/1.
 */
const ORACLE = `
import sys, json, base64, numpy as np
from osgeo import gdal
gdal.UseExceptions()
req = json.load(sys.stdin)
def warp(files):
    ds = gdal.Warp('', files, format='MEM', dstSRS='EPSG:3857', outputBounds=req['bounds'], width=256, height=256,
                   resampleAlg='near', srcNodata=0, dstNodata=0, multithread=False)
    return ds.GetRasterBand(1).ReadAsArray().astype(np.float64)
enc = lambda a: base64.b64encode(np.ascontiguousarray(a, dtype=np.float64).tobytes()).decode()
out = {}
for name, files in req['paint'].items():
    v = warp(files)
    out[name] = {'values': enc(v), 'mask': enc(v != 0)}
stack = np.ma.stack([np.ma.masked_equal(warp([f]), 0) for f in req['stack']], axis=0)
methods = {
    'highest': np.ma.max(stack, axis=0), 'lowest': np.ma.min(stack, axis=0),
    'mean': np.ma.mean(stack, axis=0).astype(np.uint16), 'median': np.ma.median(stack, axis=0).astype(np.uint16),
    'stdev': np.ma.std(stack, axis=0), 'count': np.ma.masked_array(np.ma.count(stack, axis=0), mask=False),
}
for name, m in methods.items():
    mask = ~np.ma.getmaskarray(m)
    out[name] = {'values': enc(np.ma.filled(m.astype(np.float64), 0)), 'mask': enc(mask)}
json.dump(out, sys.stdout)
`;

export interface Expected { values: Float64Array; mask: Float64Array }

export function oracle(dir: string, bounds: number[], paint: Record<string, string[]>, stack: string[]): Record<string, Expected> {
  const full = (files: string[]) => files.map((f) => join(dir, f));
  const input = JSON.stringify({ bounds, paint: Object.fromEntries(Object.entries(paint).map(([k, v]) => [k, full(v)])), stack: full(stack) });
  const out = JSON.parse(execFileSync('/usr/bin/python3', ['-c', ORACLE], { input, maxBuffer: 64 * 1024 * 1024 }).toString()) as Record<string, { values: string; mask: string }>;
  const f64 = (b64: string) => { const b = Buffer.from(b64, 'base64'); return new Float64Array(b.buffer, b.byteOffset, b.length / 8); };
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { values: f64(v.values), mask: f64(v.mask) }]));
}

/** The scenes ingested from `origin` (read by range over HTTP), or without one from their local paths. */
export async function makeMosaicWorld(origin?: Origin): Promise<{ dir: string; uri: string; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'taoguan-mosaic-'));
  const uri = `sqlite:${join(dir, 'catalog.db')}`;
  const catalog = await openCatalog(uri, { cache: false });
  await catalog.create([{ name: 'sensor' }, { name: 'date' }, { name: 'band' }]);
  for (const s of SCENES) {
    const file = join(dir, s.file);
    makeScene(file, s.x, s.y, s.stripe, s.seed);
    if (!origin) { await ingestObject(catalog, file, s.keys); continue; }
    origin.objects.set(`/${s.file}`, { bytes: await readFile(file), etag: `"${s.file}-v1"` });
    await ingestObject(catalog, `${origin.url}/${s.file}`, s.keys);
  }
  await catalog.close();
  return { dir, uri, close: () => rm(dir, { recursive: true, force: true }) };
}
