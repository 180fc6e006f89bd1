/**
 * Another revision checked out beside this one, for benches that compare the two in alternating runs
 * (TAOGUAN_BENCH_BASELINE=<rev>): on a shared machine the same code's CPU per tile drifts by ±15%
 * within minutes, so only runs made side by side compare. A detached git worktree in a temporary
 * folder, sharing this checkout's node_modules, removed afterwards. Its serve reads the catalog this
 * checkout makes, whose COG paths are absolute: the bench data is not linked.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REPO_ROOT = new URL('../../..', import.meta.url).pathname;

export async function withBaseline<T>(rev: string, run: (root: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'taoguan-baseline-'));
  try {
    execFileSync('git', ['-C', REPO_ROOT, 'worktree', 'add', '--detach', '--quiet', dir, rev], { stdio: ['ignore', 'ignore', 'inherit'] });
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
    return await run(dir);
  } finally {
    execFileSync('git', ['-C', REPO_ROOT, 'worktree', 'remove', '--force', dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}
