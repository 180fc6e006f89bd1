/**
 * `npm run build:package`: the npm package's build/ (build/package.ts).
 *
 * `npm run build`: for each provider of the registry (adapters/index.ts), functions/tiles.ts and
 * functions/ingest.ts over its adapter → dist/<provider>/<name>/index.js
 * (CommonJS, exporting `handler`: the one format Lambda, FC and SCF all load from a zip as
 * `index.handler`), and dist/<provider>/<name>.zip to upload.
 *
 * Beside each index.js:
 * - package.json {"type":"commonjs"}, so Node never reads index.js as ESM (this repo is "type": "module");
 * - the .wasm files SQLite, LERC and the ZSTD encoder load from __dirname (zstddec's is inline), each
 *   only where its package was bundled (the ZSTD encoder's in ingest, which can optimize; not tiles);
 * - epsg-index.json, the EPSG database trimmed to definitions, where lib/crs resolves CRSs (ingest);
 * - node_modules/<pkg>/: SDKs the core imports only on first use — the S3 client, mysql2, tablestore —
 *   bundled separately, so a cold start parses none of them and a SQLite deployment never loads
 *   mysql2. They are still our own bundles (FC and SCF ship no AWS SDK; Lambda's would shadow nothing);
 * - for tiles functions, web/ and leaflet's two files for the preview page, read on first request.
 * Source maps (.map) stay in dist/ for decoding stack traces and are left out of the zips.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { zipSync, type Zippable } from 'fflate';
import { PROVIDERS as PROVIDER_REGISTRY } from '../../adapters/index.ts';
import { RUNTIME_PACKAGES } from '../cli/packages.ts';
import { EPSG_FILE, epsgDefinitionsOnly, lazyRequire, noNodeServer, trimmedEpsgIndex, zodEnglishOnly } from './build/plugins.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DIST = join(ROOT, 'dist');
/** Every provider of the registry (adapters/index.ts), and the two functions each gets. */
export const PROVIDERS = Object.keys(PROVIDER_REGISTRY);
export const FUNCTIONS = ['tiles', 'ingest'] as const;

const require = createRequire(join(ROOT, 'package.json'));

/** Imported lazily by lib/ (dynamic import), so they can live outside index.js: require path → file under node_modules/. */
const SIDECARS: Record<string, string> = Object.fromEntries(RUNTIME_PACKAGES.filter((p) => p.sidecar).map((p) => [p.spec, p.sidecar!]));

/** Packages that read a .wasm file beside their main file at run time: package → that file's name. */
const WASM: Record<string, string> = Object.fromEntries(RUNTIME_PACKAGES.filter((p) => p.wasm).map((p) => [p.spec, p.wasm!]));

const common: esbuild.BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  minify: true,
  treeShaking: true,
  legalComments: 'none',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
};

export interface BuiltFunction {
  provider: string;
  name: string;
  dir: string;
  zip: string;
  /** index.js alone: what a cold start parses. */
  bundleBytes: number;
  /** Every file in the zip, sidecars and assets included (uncompressed). */
  totalBytes: number;
  zipBytes: number;
}

async function buildSidecars(into: string): Promise<void> {
  await Promise.all(Object.entries(SIDECARS).map(([spec, file]) =>
    esbuild.build({
      ...common,
      stdin: { contents: `module.exports = require(${JSON.stringify(spec)});`, resolveDir: ROOT, loader: 'js' },
      outfile: join(into, file),
    })));
}

async function buildFunction(outDir: string, provider: string, name: string, sidecars: string): Promise<BuiltFunction> {
  const dir = join(outDir, provider, name);
  rmSync(dir, { recursive: true, force: true });
  const result = await esbuild.build({
    ...common,
    // the entry: functions/<name>.ts over the provider's adapter, exporting `handler`
    stdin: {
      contents: `import { PROVIDERS } from './adapters/index.ts'; import { ${name}Entry } from './functions/${name}.ts'; export const handler = ${name}Entry(PROVIDERS[${JSON.stringify(provider)}]);`,
      resolveDir: ROOT, sourcefile: `${provider}-${name}.ts`, loader: 'ts',
    },
    outfile: join(dir, 'index.js'),
    sourcemap: true,
    metafile: true,
    plugins: [zodEnglishOnly, noNodeServer, epsgDefinitionsOnly, lazyRequire(Object.keys(SIDECARS))],
    // lib/ finds its web assets relative to import.meta.url (lib/api/*.ts → ../../web/); point it at
    // this directory so those assets resolve to ./web and ./node_modules beside index.js.
    define: { ...common.define, 'import.meta.url': '__taoguan_url' },
    banner: { js: 'var __taoguan_url=require("url").pathToFileURL(__dirname+"/lib/api/index.js").href;' },
  });
  writeFileSync(join(dir, 'package.json'), '{"type":"commonjs"}\n');
  // What reached index.js, not everything resolved: tiles resolves lib/optimize, then shakes it off.
  const inputs = Object.values(result.metafile.outputs).flatMap((o) => Object.entries(o.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([path]) => path));
  if (inputs.some((i) => i.includes('node_modules/epsg-index/'))) writeFileSync(join(dir, EPSG_FILE), trimmedEpsgIndex());
  for (const [pkg, file] of Object.entries(WASM)) {
    // by package name: a spec may be a file inside its package (wa-sqlite/dist/wa-sqlite-async.mjs)
    const name = pkg.split('/').slice(0, pkg.startsWith('@') ? 2 : 1).join('/');
    if (inputs.some((i) => i.includes(`node_modules/${name}/`))) copyFileSync(join(dirname(require.resolve(pkg)), file), join(dir, file));
  }
  const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports).filter((i) => i.external).map((i) => i.path);
  for (const [spec, file] of Object.entries(SIDECARS)) {
    if (imports.includes(spec)) copyInto(join(sidecars, file), join(dir, 'node_modules', file));
  }
  for (const [from, to] of Object.entries(PROVIDER_REGISTRY[provider].files ?? {})) copyFileSync(join(ROOT, from), join(dir, to));
  if (name === 'tiles') {
    // every file of web/ (the page and its scripts), so a new one cannot be left out of the zip
    for (const f of readdirSync(join(ROOT, 'web'))) copyInto(join(ROOT, 'web', f), join(dir, 'web', f));
    for (const f of ['leaflet.js', 'leaflet.css']) copyInto(require.resolve(`leaflet/dist/${f}`), join(dir, 'node_modules/leaflet/dist', f));
  }
  const zip = join(outDir, provider, `${name}.zip`);
  const files = listFiles(dir).filter((f) => !f.endsWith('.map'));
  const entries: Zippable = {};
  // Unix modes kept (os 3): Lambda runs lambda-wrapper.sh only if it is executable.
  for (const f of files) entries[relative(dir, f)] = [readFileSync(f), { level: 9, os: 3, attrs: ((statSync(f).mode & 0o777) | 0o100000) * 65536 }];
  writeFileSync(zip, zipSync(entries, { mtime: new Date('2020-01-01T00:00:00Z') }));
  const size = (f: string) => statSync(f).size;
  return {
    provider, name, dir, zip,
    bundleBytes: size(join(dir, 'index.js')),
    totalBytes: files.reduce((n, f) => n + size(f), 0),
    zipBytes: size(zip),
  };
}

function copyInto(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

export interface BuildOptions {
  /** Default dist/; tests build into a temporary directory so concurrent test files never race. */
  outDir?: string;
  providers?: readonly string[];
}

/** Builds every function (of the given providers); returns what was built, with sizes. */
export async function build({ outDir = DIST, providers = PROVIDERS }: BuildOptions = {}): Promise<BuiltFunction[]> {
  const sidecars = join(outDir, '.sidecars');
  rmSync(sidecars, { recursive: true, force: true });
  await buildSidecars(sidecars);
  const built: BuiltFunction[] = [];
  for (const provider of providers) for (const name of FUNCTIONS) built.push(await buildFunction(outDir, provider, name, sidecars));
  rmSync(sidecars, { recursive: true, force: true });
  return built;
}

/** True when every function's index.js and zip exist (tests and the bench build only when not). */
export function isBuilt(): boolean {
  return PROVIDERS.every((p) => FUNCTIONS.every((f) => existsSync(join(DIST, p, f, 'index.js')) && existsSync(join(DIST, p, `${f}.zip`))));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`.padStart(8);
  if (process.argv.includes('--package')) {
    const { buildPackage } = await import('./build/package.ts');
    const built = await buildPackage(ROOT);
    console.log(`npm package: ${relative(ROOT, built.dir)}/ (serve bundle ${kb(built.serveBundleBytes)})`);
    process.exit(0);
  }
  for (const b of await build()) {
    console.log(`${`${b.provider}/${b.name}`.padEnd(16)} index.js ${kb(b.bundleBytes)}   with sidecars ${kb(b.totalBytes)}   zip ${kb(b.zipBytes)}   ${relative(ROOT, b.zip)}`);
  }
}
