#!/usr/bin/env node
// The CLI is TypeScript run through tsx's loader, so the package needs no build step to be used.
// `serve` is the exception: a long-lived server runs from a bundle (scripts/cli/serve-bundle.mjs), in a
// child started with the memory settings of lib/util/malloc.ts (glibc reads them at process start).
import { spawn } from 'node:child_process';

if (process.argv[2] === 'serve' && !process.env.TAOGUAN_SERVE_BUNDLE) {
  const { buildServeBundleApart } = await import('../scripts/cli/serve-bundle.mjs');
  const bundle = await buildServeBundleApart().catch((e) => {
    console.error(`taoguan serve: running through tsx (the server bundle did not build: ${e instanceof Error ? e.message : String(e)})`);
    return undefined;
  });
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
    await runWithTsx();
  }
} else {
  await runWithTsx();
}

async function runWithTsx() {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../scripts/cli/main.ts');
}
