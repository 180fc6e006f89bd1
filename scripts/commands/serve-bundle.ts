/**
 * `taoguan serve` workers run from an esbuild bundle of scripts/serve-worker.ts rather than through
 * tsx: tsx's loader runs in a second V8 isolate, ~40 MB of every process (83 MB at rest against 42 MB
 * for plain Node), and unbundled node_modules cost more again. Serving processes then weigh what a
 * function weighs. The bundle is built at start (~0.5 s) into the temp folder and removed at exit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Loaded by require() from wherever they are installed: SQLite and LERC read their .wasm beside
 * themselves, and the SDKs a catalog or store needs are loaded only by deployments that use them.
 */
const EXTERNAL = ['node-sqlite3-wasm', 'lerc', 'mysql2', 'mysql2/promise', 'tablestore', '@aws-sdk/client-s3'];

/** Build the worker bundle; returns its path and a cleanup. Throws if esbuild is unavailable. */
export async function buildServeWorker(): Promise<{ file: string; cleanup: () => void }> {
  const esbuild = await import('esbuild');
  const require = createRequire(join(ROOT, 'package.json'));
  const dir = mkdtempSync(join(tmpdir(), 'taoguan-serve-'));
  const file = join(dir, 'worker.cjs');
  const filter = new RegExp(`^(${EXTERNAL.map((s) => s.replace(/[/.]/g, '\\$&')).join('|')})$`);
  await esbuild.build({
    entryPoints: [join(ROOT, 'scripts/serve-worker.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    minify: true,
    logLevel: 'error',
    define: { 'process.env.NODE_ENV': '"production"', 'import.meta.url': '__taoguan_url' },
    // lib/ finds web/ and the bundled package data relative to its own files: keep those paths real.
    banner: { js: `var __taoguan_url=${JSON.stringify(pathToFileURL(join(ROOT, 'lib/api/index.ts')).href)};` },
    plugins: [{
      name: 'externals-by-absolute-path',
      setup(build) {
        build.onResolve({ filter }, (args) => ({ path: require.resolve(args.path), external: true }));
      },
    }],
  });
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
