import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { MultiBar, Presets } from 'cli-progress';
import {
  COMPRESSION_TAG, EncodePool, optimize, resolveTarget, warpResamplings, ZSTD_LEVELS,
  type Codec, type ReprojectOptions, type Resampling, type WarpResampling,
} from '../../../lib/optimize/index.ts';

const CODECS = Object.keys(COMPRESSION_TAG);

interface OptimizeCliOptions {
  output: string;
  tileSize: string;
  compression: string;
  resampling?: string;
  zlevel: string;
  reproject?: boolean;
  tSrs?: string;
  warpResampling?: string;
  zstdLevel: string;
  overwrite?: boolean;
  skipExisting?: boolean;
  workers: string;
  progress?: boolean;
}

/** `taoguan optimize INPUT... -o DIR`: each input becomes DIR/<name>.tif; one bad input does not stop the rest. */
export async function optimizeCommand(inputs: string[], opts: OptimizeCliOptions): Promise<void> {
  const tileSize = Number(opts.tileSize);
  if (tileSize !== 256 && tileSize !== 512) throw new Error(`--tile-size ${opts.tileSize}: expected 256 or 512`);
  if (!CODECS.includes(opts.compression)) throw new Error(`--compression ${opts.compression}: expected ${oneOf(CODECS)}`);
  if (opts.resampling && !['average', 'nearest', 'mode'].includes(opts.resampling)) throw new Error(`--resampling ${opts.resampling}: expected average, nearest or mode`);
  const workers = Number(opts.workers), zlevel = Number(opts.zlevel), zstdLevel = Number(opts.zstdLevel);
  if (!Number.isInteger(workers) || workers < 0) throw new Error(`--workers ${opts.workers}: expected a whole number ≥ 0`);
  if (!Number.isInteger(zlevel) || zlevel < 1 || zlevel > 9) throw new Error(`--zlevel ${opts.zlevel}: expected 1 to 9`);
  if (!Number.isInteger(zstdLevel) || zstdLevel < ZSTD_LEVELS.min || zstdLevel > ZSTD_LEVELS.max) {
    throw new Error(`--zstd-level ${opts.zstdLevel}: expected ${ZSTD_LEVELS.min} to ${ZSTD_LEVELS.max}`);
  }
  const reproject = await reprojectOptions(opts);
  mkdirSync(opts.output, { recursive: true });
  const showBars = opts.progress !== false && process.stderr.isTTY;
  const bars = new MultiBar({ format: '{name} [{bar}] {percentage}%', stream: process.stderr, hideCursor: true, clearOnComplete: false }, Presets.shades_classic);
  const overall = showBars ? bars.create(inputs.length, 0, { name: 'all files'.padEnd(24) }) : undefined;
  const pool = new EncodePool(workers);
  const failures: string[] = [];
  let writing: string | undefined;
  const stopCleanup = removeTempsOnSignal(() => writing);
  try {
    for (const input of inputs) {
      const name = basename(input.split('?')[0]).replace(/\.(tiff?|TIFF?)$/, '') + '.tif';
      const output = join(opts.output, name);
      writing = output;
      if (existsSync(output) && opts.skipExisting) {
        overall?.increment();
        continue;
      }
      const bar = showBars ? bars.create(100, 0, { name: name.slice(0, 24).padEnd(24) }) : undefined;
      try {
        const result = await optimize(input, output, {
          tileSize, compression: opts.compression as Codec, resampling: opts.resampling as Resampling | undefined,
          zlevel, zstdLevel, overwrite: opts.overwrite, workers: pool, reproject,
          onProgress: (f) => bar?.update(Math.round(f * 100)),
        });
        if (!showBars) console.log(`${input} → ${output}`);
        for (const w of result.warnings) console.error(`warning: ${input}: ${w}`);
      } catch (e) {
        failures.push(`${input}: ${(e as Error).message}`);
      } finally {
        bar?.stop();
        overall?.increment();
      }
    }
  } finally {
    writing = undefined;
    stopCleanup();
    bars.stop();
    await pool.close();
  }
  console.log(`${inputs.length} file(s): ${inputs.length - failures.length} done, ${failures.length} failed`);
  for (const f of failures) console.error(`  failed: ${f}`);
  if (failures.length) process.exitCode = 1;
}

/**
 * Ctrl-C or SIGTERM mid-file: Node would exit at once, skipping optimize()'s own cleanup, and leave
 * the file's level temporaries (OUTPUT.L0.tmp …, as large as the output) and OUTPUT.partial behind.
 * Remove them, then exit as a shell expects of a signal (130, 143). Returns the handlers' removal.
 */
function removeTempsOnSignal(current: () => string | undefined): () => void {
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal, i) => {
    const handler = () => {
      const output = current();
      if (output) {
        const prefix = `${basename(output)}.`;
        for (const f of readdirSync(dirname(output))) {
          if (f.startsWith(prefix) && /^\.(L\d+\.tmp|partial)$/.test(f.slice(prefix.length - 1))) rmSync(join(dirname(output), f), { force: true });
        }
      }
      process.exit(128 + [2, 15, 1][i]);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => { for (const [signal, handler] of handlers) process.off(signal, handler); };
}

/** --reproject / --t-srs / --warp-resampling, checked before any file is touched. */
async function reprojectOptions(opts: OptimizeCliOptions): Promise<ReprojectOptions | undefined> {
  const warp = opts.reproject || opts.tSrs !== undefined;
  if (!warp) {
    if (opts.warpResampling) throw new Error('--warp-resampling needs --reproject or --t-srs');
    return undefined;
  }
  const srs = opts.tSrs ?? 'EPSG:3857';
  await resolveTarget(srs);
  const resampling = opts.warpResampling ?? 'nearest';
  const kernels = await warpResamplings();
  if (!(kernels as readonly string[]).includes(resampling)) throw new Error(`--warp-resampling ${resampling}: expected ${oneOf(kernels)}`);
  return { srs, resampling: resampling as WarpResampling };
}

/** "a, b or c" */
function oneOf(choices: readonly string[]): string {
  return `${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}`;
}
