/**
 * The 128 MB check (issue #9): the built AWS tiles bundle, started as Lambda's Node runtime starts a
 * 128 MB function (its heap flags, through our lambda-wrapper.sh) with the environment the deployment
 * files set, serves 4 requests at once — singleband, rgb and band math over a 4096² uint16 COG, cold
 * then warm — and its peak RSS stays under 110 MB. Without the wrapper and MALLOC_ENV the same run
 * peaks far higher (it is measured and printed, so a regression in either is visible).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openCatalog } from '../lib/catalog/open.ts';
import { ingestObject } from '../lib/ingest/ingest.ts';
import { build } from '../scripts/build.ts';
import { checkFunctionMemory } from '../scripts/bench/function-memory.ts';
import { MALLOC_ENV } from '../functions/memory.ts';

let dir = '';
let catalog = '';
const paths: string[] = [];

/** XYZ tile of a lon/lat at zoom z. */
function xyz(lon: number, lat: number, z: number): [number, number, number] {
  const n = 2 ** z, r = (lat * Math.PI) / 180;
  return [z, Math.floor(((lon + 180) / 360) * n), Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n)];
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taoguan-mem128-'));
  const raw = join(dir, 'raw.tif'), cog = join(dir, 'b4.tif');
  // A 41 km square of smooth terrain plus noise in UTM 50N near Beijing, as GDAL's COG driver writes it.
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
  await rm(raw);
  catalog = `sqlite:${join(dir, 'catalog.db')}`;
  const c = await openCatalog(catalog);
  await c.create([{ name: 'band' }]);
  for (const band of ['B04', 'B08']) await ingestObject(c, cog, [band]);
  await c.close();
  catalog += '?mode=ro';
  // ~100 tiles z10–15 over the raster (116.1–116.6E, 39.8–40.2N), three styles.
  for (const z of [10, 11, 12, 13, 14, 15]) {
    const [, x0, y0] = xyz(116.12, 40.18, z), [, x1, y1] = xyz(116.55, 39.82, z);
    const all: string[] = [];
    for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) all.push(`${z}/${x}/${y}`);
    for (let i = 0; i < Math.min(all.length, 16); i++) {
      const t = all[Math.floor((i * all.length) / Math.min(all.length, 16))];
      paths.push(`/singleband/B04/${t}.png?colormap=viridis&stretch_range=[1000,2500]`);
      if (i % 4 === 1) paths.push(`/rgb/${t}.png?r=B04&g=B08&b=B04&r_range=[1000,2500]&g_range=[1000,2500]&b_range=[1000,2500]`);
      if (i % 4 === 3) paths.push(`/compute/${t}.png?expression=(v1-v2)/(v1%2Bv2%2B1)&v1=B04&v2=B08&stretch_range=[-1,1]&colormap=rdylgn`);
    }
  }
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('deployment files and serve set the same malloc environment', async () => {
  for (const file of ['serverless.yml', 's.yaml', 'tencent/tiles/serverless.yml']) {
    const text = await readFile(new URL(`../${file}`, import.meta.url), 'utf8');
    for (const [name, value] of Object.entries(MALLOC_ENV)) assert.match(text, new RegExp(`${name}: ['"]?${value}['"]?`), `${file} sets ${name}=${value}`);
  }
});

test('lambda-wrapper.sh rewrites only the runtime\'s semi-space flag', () => {
  const script = new URL('../functions/aws/lambda-wrapper.sh', import.meta.url).pathname;
  const probe = join(dir, 'argv.cjs');
  writeFileSync(probe, 'console.log(process.execArgv.join(" "))');
  const out = execFileSync('bash', [script, process.execPath, '--expose-gc', '--max-semi-space-size=6', '--max-old-space-size=116', probe]).toString().trim();
  assert.equal(out, '--expose-gc --max-semi-space-size=1 --max-old-space-size=116');
});

test('the tiles bundle serves 4 concurrent requests in a 128 MB Lambda under 110 MB RSS', { timeout: 240_000 }, async () => {
  const dist = join(dir, 'dist');
  await build({ outDir: dist, providers: ['aws'] });
  const bundleDir = join(dist, 'aws', 'tiles');
  const ours = await checkFunctionMemory({ bundleDir, catalog, paths, seconds: 8 });
  const bare = await checkFunctionMemory({ bundleDir, catalog, paths, seconds: 8, bare: true });
  console.log(`128 MB function, 4 concurrent: peak RSS ${ours.peakMb} MB (${ours.requests} requests); as Lambda starts Node without our settings: ${bare.peakMb} MB`);
  assert.deepEqual(Object.keys(ours.statuses), ['200'], `every request answered 200: ${JSON.stringify(ours.statuses)} ${ours.firstError ?? ''}`);
  assert.ok(ours.requests > paths.length, 'the list was served through at least once (cold, then warm)');
  assert.ok(ours.peakMb < 110, `peak RSS ${ours.peakMb} MB, the budget is 110 MB`);
});
