/**
 * `npm run bench -- optimize-gdal`: `taoguan optimize` against `gdal_translate -of COG -co
 * COMPRESS=DEFLATE -co NUM_THREADS=2` on the three kinds of input of issue 15 — wall time, output
 * size, peak RSS (targets: ≤ 1.5× GDAL's time, ≤ 1.05× its size, ≤ 300 MB). Inputs are made with
 * GDAL on first use into bench/.data (never committed). Wall time shares the machine with whatever
 * else runs: `TAOGUAN_BENCH_RUNS` pairs (default 3) of a taoguan run and a GDAL run back to back;
 * the time ratio printed is the median pair's, each side's time and RSS its best run's.
 *
 * `taoguan` is the checkout's bin/taoguan.mjs, which runs the cached bundle of the sources
 * (scripts/cli/cli-bundle.mjs; built before the first pair, by a --version run, so no pair counts the
 * build). `TAOGUAN_BENCH_CLI=package` runs the compiled CLI the npm package ships instead (build/,
 * made by `npm run build:package`), as users of the package run it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DATA_DIR, sentinelCog } from './data.ts';
import { measure } from './optimize.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;

function python(code: string): void {
  execFileSync('/usr/bin/python3', ['-c', code], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** 10980² uint16, striped and uncompressed: a Sentinel-2 band as users bring it. */
function stripedU16(): string {
  const out = join(DATA_DIR, 's2-10980-u16-striped.tif');
  if (!existsSync(out)) execFileSync('gdal_translate', ['-q', '-co', 'TILED=NO', '-co', 'COMPRESS=NONE', sentinelCog(), out]);
  return out;
}

/** 3600² float32 DEM (1″, EPSG:4326), LZW with the floating-point predictor, striped: an SRTM-like tile. */
function demF32(): string {
  const out = join(DATA_DIR, 'dem-3600-f32-lzw-p3.tif');
  if (existsSync(out)) return out;
  mkdirSync(DATA_DIR, { recursive: true });
  python(`
import numpy as np
from osgeo import gdal, osr
n = 3600
x = np.arange(n, dtype=np.float32)[None, :]; y = np.arange(n, dtype=np.float32)[:, None]
rng = np.random.default_rng(3)
v = 800 + 400 * np.sin(x / 300.0) * np.cos(y / 410.0) + 120 * np.sin((x - y) / 77.0) + rng.normal(0, 2, (n, n))
ds = gdal.GetDriverByName('MEM').Create('', n, n, 1, gdal.GDT_Float32)
ds.SetGeoTransform([116, 1 / 3600, 0, 41, 0, -1 / 3600])
s = osr.SpatialReference(); s.ImportFromEPSG(4326); ds.SetProjection(s.ExportToWkt())
ds.GetRasterBand(1).WriteArray(v.astype(np.float32))
gdal.Translate('${out}', ds, creationOptions=['COMPRESS=LZW', 'PREDICTOR=3'])
`);
  return out;
}

/** 4096² RGB, a JPEG (YCbCr) COG with an internal mask: aerial imagery with a nodata collar. */
function rgbJpeg(): string {
  const out = join(DATA_DIR, 'rgb-4096-jpeg-mask.tif');
  if (existsSync(out)) return out;
  mkdirSync(DATA_DIR, { recursive: true });
  python(`
import numpy as np
from osgeo import gdal, osr
n = 4096
x = np.arange(n, dtype=np.float32)[None, :]; y = np.arange(n, dtype=np.float32)[:, None]
rng = np.random.default_rng(5)
ds = gdal.GetDriverByName('MEM').Create('', n, n, 4, gdal.GDT_Byte)
ds.SetGeoTransform([12913000, 0.5, 0, 4980000, 0, -0.5])
s = osr.SpatialReference(); s.ImportFromEPSG(3857); ds.SetProjection(s.ExportToWkt())
for b, (fx, fy) in enumerate([(90, 130), (60, 170), (110, 70)]):
    v = 120 + 60 * np.sin(x / fx) * np.cos(y / fy) + rng.normal(0, 12, (n, n))
    ds.GetRasterBand(b + 1).WriteArray(np.clip(v, 0, 255).astype(np.uint8))
alpha = np.where((x + y > 900) & (x - y < 3400), 255, 0).astype(np.uint8)
ds.GetRasterBand(4).WriteArray(alpha)
ds.GetRasterBand(4).SetColorInterpretation(gdal.GCI_AlphaBand)
gdal.Translate('${out}', ds, format='COG', creationOptions=['COMPRESS=JPEG', 'QUALITY=85'])
`);
  return out;
}

interface Run { seconds: number; rssMB: number }

/**
 * `runs` rounds of both, taoguan and GDAL back to back (which goes first alternating), so that a
 * machine whose speed drifts (a shared host's does, by ±10% within minutes) weighs on both sides of
 * each pair alike. Each side's best run, and the ratio of each pair's times.
 */
function pairs(runs: number, ours: () => Run, theirs: () => Run): { ours: Run; theirs: Run; ratios: number[] } {
  let o: Run | undefined, t: Run | undefined;
  const ratios: number[] = [];
  const keep = (a: Run | undefined, b: Run) => (!a || b.seconds < a.seconds ? { seconds: b.seconds, rssMB: Math.max(a?.rssMB ?? 0, b.rssMB) } : { ...a, rssMB: Math.max(a.rssMB, b.rssMB) });
  for (let i = 0; i < runs; i++) {
    let a: Run, b: Run;
    if (i % 2 === 0) { a = ours(); b = theirs(); } else { b = theirs(); a = ours(); }
    o = keep(o, a);
    t = keep(t, b);
    ratios.push(a.seconds / b.seconds);
  }
  return { ours: o!, theirs: t!, ratios: ratios.sort((x, y) => x - y) };
}

/** The CLI to run: the checkout's (default), or the compiled package (TAOGUAN_BENCH_CLI=package). */
function cli(): { script: string; what: string } {
  if (process.env.TAOGUAN_BENCH_CLI !== 'package') return { script: join(ROOT, 'bin/taoguan.mjs'), what: "the checkout's bin/taoguan.mjs" };
  const script = join(ROOT, 'build/scripts/cli/main.js');
  if (!existsSync(script)) throw new Error(`TAOGUAN_BENCH_CLI=package: ${script} is missing (npm run build:package makes it)`);
  return { script, what: "the npm package's compiled build/" };
}

export async function benchOptimizeVsGdal(): Promise<Record<string, unknown>> {
  const runs = Math.max(1, Number(process.env.TAOGUAN_BENCH_RUNS ?? 3));
  const { script, what } = cli();
  // the checkout's bundle is built on its first command: before any pair, not in one
  execFileSync(process.execPath, [script, '--version'], { stdio: 'ignore' });
  const inputs: [string, string][] = [
    ['10980² uint16 striped', stripedU16()],
    ['3600² float32 LZW+fp predictor DEM', demF32()],
    ['4096² RGB JPEG COG + mask', rgbJpeg()],
  ];
  console.log(`optimize vs GDAL — taoguan optimize (deflate; ${what}) against gdal_translate -of COG -co COMPRESS=DEFLATE -co NUM_THREADS=2; wall time shares the machine`);
  const out: Record<string, unknown> = {};
  const dir = join(DATA_DIR, 'optimize-vs-gdal');
  mkdirSync(dir, { recursive: true });
  for (const [name, input] of inputs) {
    const ours = join(dir, 'ours');
    const gdal = join(dir, `gdal-${basename(input)}`);
    const { ours: t, theirs: g, ratios } = pairs(runs,
      () => measure('node', [script, 'optimize', '--overwrite', '--no-progress', input, '-o', ours]),
      () => measure('gdal_translate', ['-q', '-of', 'COG', '-co', 'COMPRESS=DEFLATE', '-co', 'NUM_THREADS=2', input, gdal]));
    const ourBytes = statSync(join(ours, basename(input))).size, gdalBytes = statSync(gdal).size;
    const median = ratios[ratios.length >> 1];
    const line = {
      taoguan: { ...t, bytes: ourBytes }, gdal: { ...g, bytes: gdalBytes },
      timeRatio: median, timeRatios: ratios, sizeRatio: ourBytes / gdalBytes,
    };
    const spread = ratios.length > 1 ? ` (pairs ${ratios[0].toFixed(2)}–${ratios[ratios.length - 1].toFixed(2)})` : '';
    console.log(`  ${name.padEnd(36)} taoguan ${t.seconds.toFixed(1)} s, ${t.rssMB} MB RSS, ${(ourBytes / 1e6).toFixed(1)} MB; `
      + `GDAL ${g.seconds.toFixed(1)} s, ${g.rssMB} MB RSS, ${(gdalBytes / 1e6).toFixed(1)} MB; `
      + `time ${median.toFixed(2)}×${ratios.length > 1 ? ' median' : ''}${spread} (≤ 1.5×), size ${line.sizeRatio.toFixed(3)}× (≤ 1.05×)`);
    out[name] = line;
  }
  rmSync(dir, { recursive: true, force: true });
  return out;
}
