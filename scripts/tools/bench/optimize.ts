/**
 * Optimize bench: seconds and peak RSS for a 10980² uint16 raster (striped, uncompressed, as users
 * bring them), against `gdal_translate -of COG -co COMPRESS=DEFLATE` on the same input; plus a
 * sparse input of several GB (larger than a function's memory) to show memory stays bounded.
 * Each run is a child process, so peak RSS is that run's alone (GNU time's %M).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makeSparseTiff } from '../../../test/support/synthetic.ts';
import { DATA_DIR, sentinelCog } from './data.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;

/** Run a command under GNU time: wall seconds and peak RSS in MB. */
export function measure(cmd: string, args: string[]): { seconds: number; rssMB: number } {
  const t = performance.now();
  const run = spawnSync('/usr/bin/time', ['-f', 'RSS_KB=%M', cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const out = run.stderr.toString();
  if (run.status !== 0) throw new Error(`${cmd} failed: ${out}`);
  const seconds = (performance.now() - t) / 1000;
  const kb = Number(/RSS_KB=(\d+)/.exec(out)?.[1] ?? NaN);
  return { seconds, rssMB: Math.round(kb / 1024) };
}

export async function benchOptimize() {
  const striped = join(DATA_DIR, 's2-10980-u16-striped.tif');
  if (!existsSync(striped)) execFileSync('gdal_translate', ['-q', '-co', 'TILED=NO', '-co', 'COMPRESS=NONE', sentinelCog(), striped]);
  const ours = join(DATA_DIR, 'optimize-ours.tif');
  const gdal = join(DATA_DIR, 'optimize-gdal.tif');
  const cli = [join(ROOT, 'bin/taoguan.mjs'), 'optimize', '--overwrite', '--no-progress'];
  const t = measure('node', [...cli, striped, '-o', DATA_DIR + '/ours']);
  rmSync(ours, { force: true });
  const g = measure('gdal_translate', ['-q', '-of', 'COG', '-co', 'COMPRESS=DEFLATE', striped, gdal]);
  const ourSize = statSync(join(DATA_DIR, 'ours', 's2-10980-u16-striped.tif')).size;
  const gdalSize = statSync(gdal).size;
  console.log('optimize — 10980² uint16, striped uncompressed input → deflate COG');
  console.log(`  taoguan  ${t.seconds.toFixed(1)} s, peak RSS ${t.rssMB} MB, ${(ourSize / 1e6).toFixed(1)} MB`);
  console.log(`  GDAL     ${g.seconds.toFixed(1)} s, peak RSS ${g.rssMB} MB, ${(gdalSize / 1e6).toFixed(1)} MB`);
  console.log(`  ratio    time ${(t.seconds / g.seconds).toFixed(2)}× (target ≤ 1.5×), size ${(ourSize / gdalSize).toFixed(3)}× (target ≤ 1.05×)`);

  // LZW, ours (a JavaScript encoder in worker threads) against libtiff's.
  const tl = measure('node', [...cli, '--compression', 'lzw', striped, '-o', DATA_DIR + '/ours-lzw']);
  const gl = measure('gdal_translate', ['-q', '-of', 'COG', '-co', 'COMPRESS=LZW', striped, gdal]);
  const lzwSizes = [statSync(join(DATA_DIR, 'ours-lzw', 's2-10980-u16-striped.tif')).size, statSync(gdal).size];
  rmSync(join(DATA_DIR, 'ours-lzw'), { recursive: true, force: true });
  console.log(`  LZW      taoguan ${tl.seconds.toFixed(1)} s, ${tl.rssMB} MB, ${(lzwSizes[0] / 1e6).toFixed(1)} MB; GDAL ${gl.seconds.toFixed(1)} s, ${gl.rssMB} MB, ${(lzwSizes[1] / 1e6).toFixed(1)} MB`);

  const zstd = benchZstd(striped, cli, gdal);

  // Several GB on disk (sparse), far more than the RSS bound: memory must not grow with it.
  const big = join(DATA_DIR, 'sparse-40000-u16.tif');
  makeSparseTiff(big, 40000, 40000);
  const b = measure('node', [...cli, big, '-o', DATA_DIR + '/ours']);
  rmSync(big, { force: true });
  rmSync(join(DATA_DIR, 'ours', 'sparse-40000-u16.tif'), { force: true });
  console.log(`  3.2 GB sparse striped input (40000² uint16): ${b.seconds.toFixed(1)} s, peak RSS ${b.rssMB} MB (bound 300 MB)`);
  return {
    taoguan: { ...t, bytes: ourSize }, gdal: { ...g, bytes: gdalSize }, timeRatio: t.seconds / g.seconds, sizeRatio: ourSize / gdalSize,
    lzw: { taoguan: { ...tl, bytes: lzwSizes[0] }, gdal: { ...gl, bytes: lzwSizes[1] } }, zstd, large: b,
  };
}

/** ZSTD at GDAL's default level 9, ours (libzstd as WASM in worker threads) against GDAL's (native). */
export function benchZstd(striped: string, cli: string[], gdal: string) {
  const tz = measure('node', [...cli, '--compression', 'zstd', striped, '-o', DATA_DIR + '/ours-zstd']);
  const gz = measure('gdal_translate', ['-q', '-of', 'COG', '-co', 'COMPRESS=ZSTD', striped, gdal]);
  const sizes = [statSync(join(DATA_DIR, 'ours-zstd', 's2-10980-u16-striped.tif')).size, statSync(gdal).size];
  rmSync(join(DATA_DIR, 'ours-zstd'), { recursive: true, force: true });
  console.log(`  ZSTD     taoguan ${tz.seconds.toFixed(1)} s, ${tz.rssMB} MB, ${(sizes[0] / 1e6).toFixed(1)} MB; GDAL ${gz.seconds.toFixed(1)} s, ${gz.rssMB} MB, ${(sizes[1] / 1e6).toFixed(1)} MB`);
  return { taoguan: { ...tz, bytes: sizes[0] }, gdal: { ...gz, bytes: sizes[1] } };
}

if (import.meta.url === `file://${process.argv[1]}`) await benchOptimize();
