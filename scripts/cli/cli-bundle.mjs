/**
 * From a checkout, every command but serve (which builds its own, serve-bundle.mjs) runs from an
 * esbuild bundle of the CLI kept in node_modules/.cache/taoguan-cli and built again when a source file
 * changes. Through tsx a command paid its loader (a second V8 isolate) and a transform of every module
 * it loads at each start: a tiny optimize took ~1.1 s against ~0.3 s for the npm package's compiled
 * build. Each module keeps its own import.meta.url (serve-bundle.mjs's `sourceUrls`), so paths
 * resolve as they do from the sources. Plain JavaScript: bin/taoguan.mjs uses it before tsx loads.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** What the bundle is made of: its sources, and the packages installed with them. */
const SOURCES = ['lib', 'scripts/cli', 'adapters', 'functions'];
const FILES = ['package.json', 'package-lock.json', 'tsconfig.json'];
const CACHE = join(ROOT, 'node_modules/.cache/taoguan-cli');
/** Bundles kept, the current one included (~10 MB each). */
const KEEP = 4;

/** The sources' names, sizes and modification times, hashed: a changed or added file gives another key (a few ms). */
export function sourcesKey(root = ROOT) {
  const lines = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (/\.(ts|mts|mjs|js|json)$/.test(e.name)) {
        const st = statSync(path);
        lines.push(`${relative(root, path)}\0${st.size}\0${st.mtimeMs}`);
      }
    }
  };
  for (const dir of SOURCES) if (existsSync(join(root, dir))) walk(join(root, dir));
  for (const file of FILES) {
    const path = join(root, file);
    const st = statSync(path, { throwIfNoEntry: false });
    if (st) lines.push(`${file}\0${st.size}\0${st.mtimeMs}`);
  }
  // the checkout's own path too: a bundle holds absolute paths into it (two worktrees may share node_modules)
  return createHash('sha256').update(`${process.version}\n${root}\n${lines.sort().join('\n')}`).digest('hex').slice(0, 20);
}

/**
 * The bundles for the sources as they are now — the CLI, and optimize's decode thread (pool.ts reads
 * TAOGUAN_OPTIMIZE_WORKER) — the cached ones, or ones built (in a child process, so esbuild's memory
 * is not left in the command's) and kept in place of older ones. Rejects when they cannot be built or
 * kept (no esbuild, a read-only checkout): the caller then runs through tsx.
 */
export async function cachedCliBundle() {
  const key = sourcesKey();
  // the CLI: a folder of ES modules, main.mjs and the chunks each command loads
  const file = join(CACHE, `cli-${key}`);
  const worker = join(CACHE, `cli-${key}.worker.cjs`);
  const found = { cli: join(file, 'main.mjs'), worker };
  if (existsSync(file)) return found;
  mkdirSync(CACHE, { recursive: true });
  // One process builds; others started meanwhile (a test run's first commands) wait for its bundle,
  // unless its lock is older than any build takes (a builder that died), then build their own.
  const lock = join(CACHE, `cli-${key}.lock`);
  const fresh = () => { try { return Date.now() - statSync(lock).mtimeMs < 120_000; } catch { return false; } };
  let mine = false;
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx' });
    mine = true;
  } catch {
    while (!existsSync(file) && fresh()) await new Promise((r) => setTimeout(r, 100));
    if (existsSync(file)) return found;
    // a builder that died left its lock: this process builds, and the lock goes with it
    rmSync(lock, { force: true });
  }
  // a build that finds another's in place keeps either: each rename is atomic, the CLI's last (its
  // folder says both are there)
  const part = `${file}.${process.pid}.part`, workerPart = `${worker}.${process.pid}.part`;
  try {
    await new Promise((resolve, reject) => {
      execFile(process.execPath, [fileURLToPath(new URL('./serve-bundle.mjs', import.meta.url)), '--cli', part, workerPart], { timeout: 120_000 },
        (err, _stdout, stderr) => (err ? reject(new Error(stderr.trim() || err.message)) : resolve(undefined)));
    });
    renameSync(workerPart, worker);
    try {
      renameSync(part, file);
    } catch (e) {
      // a folder is not renamed over another: one built meanwhile is as good
      if (!existsSync(file)) throw e;
    }
  } finally {
    rmSync(part, { recursive: true, force: true });
    rmSync(workerPart, { force: true });
    if (mine) rmSync(lock, { force: true });
  }
  // Bundles of older sources go, but for the last few: a command still running from one loads its
  // chunks as it needs them (a codec at its first such block, say), and another worktree sharing
  // node_modules keeps its own.
  const older = readdirSync(CACHE)
    .filter((name) => /^cli-[0-9a-f]+$/.test(name) && join(CACHE, name) !== file)
    .map((name) => ({ name, at: statSync(join(CACHE, name)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const { name } of older.slice(KEEP - 1)) {
    rmSync(join(CACHE, name), { recursive: true, force: true });
    rmSync(join(CACHE, `${name}.worker.cjs`), { force: true });
  }
  // and what builds that died left: parts and locks older than any build takes
  for (const name of readdirSync(CACHE)) {
    const path = join(CACHE, name);
    if (/\.(part|lock)$/.test(name) && Date.now() - statSync(path).mtimeMs > 600_000) rmSync(path, { recursive: true, force: true });
  }
  return found;
}
