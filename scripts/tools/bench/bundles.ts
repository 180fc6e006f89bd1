/**
 * Function bundles: bytes (index.js, and the whole package with lazily loaded SDKs and .wasm) and the
 * cold module-load time — require() of index.js in a fresh Node process, median of several runs.
 * Only the module load: the first invocation adds opening the catalog and the first tile.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { build, DIST, FUNCTIONS, isBuilt, PROVIDERS } from '../build.ts';

export interface BundleFigures {
  fn: string;
  bundleBytes: number;
  zipBytes: number;
  loadMs: number;
}

const RUNS = 7;

// Enough configuration for the cold-start check to pass; nothing is opened at load.
const env = { ...process.env, TAOGUAN_CATALOG: 'sqlite:/tmp/taoguan-bench.db?mode=ro', TAOGUAN_PATTERN: 's3://bucket/{name}.tif' };

function loadMs(file: string): number {
  const script = `const t=performance.now();require(${JSON.stringify(file)});process.stdout.write(String(performance.now()-t))`;
  const runs = Array.from({ length: RUNS }, () => Number(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' })));
  return runs.sort((a, b) => a - b)[RUNS >> 1];
}

export async function benchBundles(options: { rebuild?: boolean } = {}): Promise<BundleFigures[]> {
  if (options.rebuild || !isBuilt()) await build();
  console.log(`bundles — index.js bytes, zip bytes, require() in a fresh process (median of ${RUNS})`);
  const out: BundleFigures[] = [];
  for (const p of PROVIDERS) {
    for (const f of FUNCTIONS) {
      const file = join(DIST, p, f, 'index.js');
      const fig = { fn: `${p}/${f}`, bundleBytes: statSync(file).size, zipBytes: statSync(join(DIST, p, `${f}.zip`)).size, loadMs: loadMs(file) };
      console.log(`  ${fig.fn.padEnd(16)} ${(fig.bundleBytes / 1024).toFixed(0).padStart(5)} KB   zip ${(fig.zipBytes / 1024).toFixed(0).padStart(5)} KB   load ${fig.loadMs.toFixed(1).padStart(6)} ms`);
      out.push(fig);
    }
  }
  return out;
}

if (process.argv[1]?.endsWith('bundles.ts')) await benchBundles({ rebuild: process.argv.includes('--rebuild') });
