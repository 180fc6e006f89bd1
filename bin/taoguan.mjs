#!/usr/bin/env node
// The npm package runs compiled JavaScript (build/, made at pack time): no TypeScript loader, no
// esbuild. A checkout of the sources (scripts/cli/main.ts present) runs a bundle of them, built and
// kept in node_modules/.cache while the sources are unchanged (scripts/cli/cli-bundle.mjs), or tsx.
// `serve` runs from a bundle (build/serve.cjs in the package; from the sources that same cached
// bundle, or one built at start), in a child started with the memory settings of lib/util/malloc.ts
// (glibc reads them at process start).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const fromSources = existsSync(new URL('../scripts/cli/main.ts', import.meta.url));

if (process.argv[2] === 'serve' && !process.env.TAOGUAN_SERVE_BUNDLE) {
  const bundle = fromSources ? await bundleFromSources() : { file: new URL('../build/serve.cjs', import.meta.url).pathname, cleanup() {} };
  if (bundle) {
    // lib/util/malloc.ts's SERVE_MALLOC_ENV (this file is plain JavaScript, run before tsx)
    const env = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '4194304', ...process.env, TAOGUAN_SERVE_BUNDLE: bundle.file };
    const child = spawn(process.execPath, ['--max-semi-space-size=1', bundle.file, ...process.argv.slice(2)], { stdio: 'inherit', env });
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
    child.on('exit', (code, signal) => {
      bundle.cleanup();
      process.exit(code ?? (signal ? 1 : 0));
    });
  } else {
    process.env.TAOGUAN_SERVE_BUNDLE = 'none';
    await run();
  }
} else {
  await run();
}

/** serve's bundle from the sources: the cached CLI bundle, or one built for this start. */
async function bundleFromSources() {
  const cached = await cachedBundle();
  if (cached) return { file: cached.cli, cleanup() {} };
  const { buildServeBundleApart } = await import('../scripts/cli/serve-bundle.mjs');
  return buildServeBundleApart().catch((e) => {
    console.error(`taoguan serve: running through tsx (the server bundle did not build: ${e instanceof Error ? e.message : String(e)})`);
    return undefined;
  });
}

/**
 * The sources' cached bundle (scripts/cli/cli-bundle.mjs), its decode thread's named for optimize;
 * undefined with TAOGUAN_CLI_BUNDLE=none or when it cannot be built or kept.
 */
async function cachedBundle() {
  if (process.env.TAOGUAN_CLI_BUNDLE === 'none') return undefined;
  const { cachedCliBundle } = await import('../scripts/cli/cli-bundle.mjs');
  const bundle = await cachedCliBundle().catch((e) => {
    console.error(`taoguan: the CLI bundle did not build (${e instanceof Error ? e.message : String(e)})`);
    return undefined;
  });
  if (bundle) process.env.TAOGUAN_OPTIMIZE_WORKER = bundle.worker;
  return bundle;
}

async function run() {
  if (!fromSources) {
    await import('../build/scripts/cli/main.js');
    return;
  }
  // tsx when there is no bundle
  const bundle = await cachedBundle();
  if (bundle) {
    await import(pathToFileURL(bundle.cli).href);
    return;
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import('../scripts/cli/main.ts');
}
