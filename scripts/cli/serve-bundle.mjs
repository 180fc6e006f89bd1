/**
 * `taoguan serve` runs from an esbuild bundle of the CLI, for the primary and every worker. The npm
 * package ships it prebuilt (build/serve.cjs, made at pack time by `npm run build:package`); from a
 * checkout of the sources it is built at start (~0.5 s) into the temp folder. Why a bundle: tsx's loader runs in a second V8 isolate, ~40 MB of every process
 * (83 MB at rest against 42 MB for plain Node), and unbundled node_modules cost more again. Plain
 * JavaScript, so bin/taoguan.mjs can build it before tsx is loaded at all.
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
 * The list comes from the registries (scripts/cli/packages.ts), read through tsx: this file runs in
 * a short-lived child before the server starts, so the loader costs the server nothing.
 */
async function externals() {
  const { register } = await import('tsx/esm/api');
  const unregister = register();
  try {
    const { RUNTIME_PACKAGES } = await import('./packages.ts');
    // ESM-only packages (wa-sqlite's .mjs) cannot be require()d by Node 20: those are bundled instead
    const specs = new Set(RUNTIME_PACKAGES.filter((p) => !p.spec.endsWith('.mjs')).map((p) => p.spec));
    // a package whose subpath is imported (mysql2/promise) is external as a whole too
    for (const spec of [...specs]) if (spec.includes('/') && !spec.startsWith('@')) specs.add(spec.split('/')[0]);
    return [...specs];
  } finally {
    await unregister();
  }
}

/**
 * Build the CLI bundle; returns its path and a cleanup. Throws if esbuild is unavailable.
 * `outfile` (the package's prebuilt bundle): the runtime packages stay bare names, found from the
 * installed package's node_modules, and lib/api's path is taken relative to the bundle, beside the
 * compiled build/lib/. Without it: a temporary file, with every path absolute into this checkout.
 * `readable`: identifiers not minified (the fresh-tile bench profiles such a bundle).
 * `sourceUrls` (cli-bundle.mjs's cached bundles): every module's import.meta.url is its own source
 * file's, as under tsx, and runtime packages are absolute paths into this checkout. `splitDir`: ES
 * modules into that folder, split by command, instead of one file. `worker`: optimize's decode thread
 * rather than the CLI.
 */
export async function buildServeBundle({ outfile, readable = false, sourceUrls = false, worker = false, splitDir } = {}) {
  const esbuild = await import('esbuild');
  const require = createRequire(join(ROOT, 'package.json'));
  const dir = outfile || splitDir ? undefined : mkdtempSync(join(tmpdir(), 'taoguan-serve-'));
  const file = outfile ?? (dir && join(dir, 'taoguan.cjs'));
  const filter = new RegExp(`^(${(await externals()).map((s) => s.replace(/[/.]/g, '\\$&')).join('|')})$`);
  const bare = outfile && !sourceUrls;
  const api = outfile
    ? 'require("url").pathToFileURL(require("path").join(__dirname,"lib/api/index.js")).href'
    : JSON.stringify(pathToFileURL(join(ROOT, 'lib/api/index.ts')).href);
  try {
    await esbuild.build({
      // `worker`: optimize's decode thread instead of the CLI (lib/optimize/pool.ts's workerSource,
      // without tsx), the decoder set before worker.ts reads it
      ...(worker
        ? { stdin: { contents: WORKER_ENTRY, resolveDir: ROOT, sourcefile: 'optimize-worker.js', loader: 'js' } }
        : { entryPoints: [join(ROOT, 'scripts/cli/main.ts')] }),
      // splitDir: ES modules, each command's code in chunks of its own, loaded when it runs (.mjs: the
      // folder is under node_modules, where no package.json makes .js files modules)
      ...(splitDir
        ? { outdir: splitDir, splitting: true, format: 'esm', outExtension: { '.js': '.mjs' }, banner: { js: 'import { createRequire as __taoguanRequire } from "node:module"; const require = __taoguanRequire(import.meta.url);' } }
        : { outfile: file, format: 'cjs' }),
      bundle: true,
      platform: 'node',
      target: 'node20',
      // readable: function names kept, for a CPU profile that names them
      minifyWhitespace: true, minifySyntax: true, minifyIdentifiers: !readable,
      logLevel: 'error',
      define: { 'process.env.NODE_ENV': '"production"', ...(sourceUrls ? {} : { 'import.meta.url': '__taoguan_url' }) },
      // lib/api finds web/ and leaflet relative to its own file: keep that path real.
      ...(sourceUrls ? {} : { banner: { js: `var __taoguan_url=${api};` } }),
      plugins: [{
        name: 'externals',
        setup(build) {
          build.onResolve({ filter }, (args) => ({ path: bare ? args.path : require.resolve(args.path), external: true }));
        },
      }, ...(sourceUrls ? [SOURCE_URLS] : [])],
    });
  } catch (e) {
    if (dir) rmSync(dir, { recursive: true, force: true });
    throw e;
  } finally {
    // esbuild's service process would otherwise stay beside the server for its whole life (~70 MB)
    await esbuild.stop?.();
  }
  return { file, cleanup: () => dir && rmSync(dir, { recursive: true, force: true }) };
}

const WORKER_ENTRY = `const decode = require(${JSON.stringify(join(ROOT, 'lib/raster/decode/index.ts'))});
globalThis.taoguanDecodeBlock = decode.decodeBlock;
require(${JSON.stringify(join(ROOT, 'lib/optimize/worker.ts'))});`;

/** import.meta.url in each of this checkout's modules as the URL of its own file (node_modules' are left as they are). */
const SOURCE_URLS = {
  name: 'source-urls',
  setup(build) {
    build.onLoad({ filter: /\.(ts|mts|mjs)$/ }, async (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      const { readFile } = await import('node:fs/promises');
      const text = await readFile(args.path, 'utf8');
      const contents = text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href));
      return { contents, loader: args.path.endsWith('.ts') || args.path.endsWith('.mts') ? 'ts' : 'js' };
    });
  },
};

/**
 * The same, built by a short-lived child process: esbuild's JavaScript side leaves ~16 MB in the
 * process that ran it, and the serve primary lives as long as the server.
 */
export async function buildServeBundleApart() {
  const { execFile } = await import('node:child_process');
  const here = fileURLToPath(import.meta.url);
  const file = await new Promise((resolve, reject) => {
    execFile(process.execPath, [here], { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(stderr.trim() || err.message)) : resolve(stdout.trim())));
  });
  const dir = join(file, '..');
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // `--cli <file> <worker file>`: cli-bundle.mjs's cached bundles
  const [flag, cli, worker] = process.argv.slice(2);
  if (flag === '--cli') {
    await buildServeBundle({ splitDir: cli, sourceUrls: true });
    await buildServeBundle({ outfile: worker, sourceUrls: true, worker: true });
  } else {
    console.log((await buildServeBundle()).file);
  }
}
