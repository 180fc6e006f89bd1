/**
 * `npm run build:package` (run by `npm pack` / `npm publish` as prepack): what the npm package runs,
 * into build/ — nothing there is read from the TypeScript sources at run time.
 * - tsc (tsconfig.build.json): JavaScript and .d.ts for index.ts (the library's exports), lib/,
 *   adapters/, functions/ and the CLI, relative imports rewritten from .ts to .js;
 * - build/serve.cjs: the prebuilt bundle `taoguan serve` runs (scripts/cli/serve-bundle.mjs);
 * - the files the compiled code finds relative to itself: web/ (the preview page, from
 *   build/lib/api/) and the demo's sample DEM (from build/scripts/cli/commands/).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export interface PackageBuild { dir: string; serveBundleBytes: number }

export async function buildPackage(root: string): Promise<PackageBuild> {
  const out = join(root, 'build');
  rmSync(out, { recursive: true, force: true });
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  // tsc copies package.json (lib/api reads its version); keep only what the compiled code reads, so
  // build/ is no second package with exports and scripts of its own.
  const { name, version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };
  writeFileSync(join(out, 'package.json'), `${JSON.stringify({ name, version, type: 'module', private: true }, null, 2)}\n`);
  cpSync(join(root, 'web'), join(out, 'web'), { recursive: true });
  cpSync(join(root, 'data/sample'), join(out, 'data/sample'), { recursive: true });
  rewriteDeclarationImports(out);
  const { buildServeBundle } = await import('../../cli/serve-bundle.mjs');
  const { file } = await buildServeBundle({ outfile: join(out, 'serve.cjs') });
  return { dir: out, serveBundleBytes: statSync(file).size };
}

/**
 * tsc rewrites `.ts` to `.js` in the JavaScript it emits but not in the .d.ts: TypeScript 5 resolves
 * either, older releases and other tools only `.js`, which is what sits beside each .d.ts.
 */
function rewriteDeclarationImports(dir: string): void {
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    const text = readFileSync(file, 'utf8');
    const rewritten = text.replace(/((?:from|import\()\s*['"]\.{1,2}\/[^'"]*?)\.ts(['"])/g, '$1.js$2');
    if (rewritten !== text) writeFileSync(file, rewritten);
  }
}
