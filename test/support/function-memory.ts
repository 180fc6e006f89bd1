/**
 * The 128 MB check: the built AWS tiles bundle in a fresh Node started the way Lambda's Node runtime
 * starts it for a function of `memoryMb` (its --max-semi-space-size / --max-old-space-size, through our
 * lambda-wrapper.sh), with the environment the deployment files set (MALLOC_ENV), serving
 * `concurrency` requests at once. Used by `npm run bench` and by test/memory-128.test.ts.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MALLOC_ENV } from '../../lib/util/index.ts';
import { runCapped } from './capped-child.ts';

export interface MemoryCheck {
  /** dist/aws/tiles (holding index.js and lambda-wrapper.sh). */
  bundleDir: string;
  catalog: string;
  /** The local folder the catalog's rows name, ending in "/": a function reads files only under a listed one. */
  folder: string;
  paths: string[];
  seconds?: number;
  memoryMb?: number;
  concurrency?: number;
  /** Leave out MALLOC_ENV and the wrapper: Node as Lambda starts it, for comparison. */
  bare?: boolean;
  /** Environment added for the function (TAOGUAN_* settings). */
  env?: Record<string, string>;
  /** Kill the instance past this RSS (default 4× its memory): a runaway shows as `killed`, never swaps the machine. */
  capMb?: number;
}

export interface MemoryResult {
  peakMb: number;
  endMb: number;
  requests: number;
  statuses: Record<string, number>;
  /** The first answer that was not 200: status, path and body. */
  firstError?: string;
  /** Killed by the watchdog past capMb (then peakMb is the largest RSS it saw). */
  killed?: boolean;
}

const CHILD = fileURLToPath(new URL('./memory-child.cjs', import.meta.url));

export async function checkFunctionMemory(o: MemoryCheck): Promise<MemoryResult> {
  const memoryMb = o.memoryMb ?? 128;
  const dir = await mkdtemp(join(tmpdir(), 'taoguan-mem-'));
  try {
    const pathsFile = join(dir, 'paths.json');
    await writeFile(pathsFile, JSON.stringify(o.paths));
    // Lambda's nodejs runtime bootstrap: new space = memory / 10, semi-space half of it, old space the rest.
    const lambdaNode = [process.execPath, '--expose-gc', `--max-semi-space-size=${Math.floor(memoryMb / 10 / 2)}`, `--max-old-space-size=${memoryMb - Math.floor(memoryMb / 10)}`];
    const command = o.bare ? lambdaNode : ['bash', join(o.bundleDir, 'lambda-wrapper.sh'), ...lambdaNode];
    const env = {
      PATH: process.env.PATH, TAOGUAN_CATALOG: o.catalog, TAOGUAN_ALLOWED_PREFIXES: o.folder, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
      ...(o.bare ? {} : MALLOC_ENV), ...o.env,
    };
    // the child runs until its list was served through twice, at most 10 minutes
    const run = await runCapped(command[0], [...command.slice(1), CHILD, join(o.bundleDir, 'index.js'), pathsFile, String(o.seconds ?? 8), String(o.concurrency ?? 4)], { env, capMb: o.capMb ?? memoryMb * 4, timeoutMs: 660_000 });
    if (run.killed) return { peakMb: run.maxRssMb, endMb: run.maxRssMb, requests: 0, statuses: {}, killed: true };
    if (run.code !== 0) throw new Error(`the function instance failed (exit ${run.code}): ${run.stderr.slice(-2000)}`);
    return JSON.parse(run.stdout.trim().split('\n').pop()!) as MemoryResult;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

