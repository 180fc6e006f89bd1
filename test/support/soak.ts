/**
 * Soak: the API in its own process on loopback under autocannon for a bounded time, a mix of tiles
 * that stay cached and tiles that churn through caches smaller than the set, sampled every few
 * seconds. Used by test/soak.test.ts (short) and `npm run bench` (minutes).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { MALLOC_ENV } from '../../lib/util/index.ts';
import type { SoakStats } from './soak-server.ts';

export interface SoakOptions {
  catalog: string;
  /** Hot paths (requested often, stay cached) and cold ones (more than the tile cache holds). */
  hot: string[];
  cold: string[];
  seconds: number;
  /** Tile/block cache MiB for the server (small, so the cold set churns). */
  caches?: string;
  connections?: number;
  /** How many samples; the first one is taken after warm-up (a fifth of the time). */
  samples?: number;
}

export interface SoakResult {
  requests: number;
  errors: number;
  non2xx: number;
  p50: number;
  p99: number;
  samples: SoakStats[];
}

const SERVER = fileURLToPath(new URL('./soak-server.ts', import.meta.url));

function ask(child: ChildProcess): Promise<SoakStats> {
  return new Promise((resolve) => {
    const on = (m: { stats?: SoakStats }) => {
      if (!m.stats) return;
      child.off('message', on);
      resolve(m.stats);
    };
    child.on('message', on);
    child.send({ stats: true });
  });
}

export async function soak(o: SoakOptions): Promise<SoakResult> {
  const child = fork(SERVER, [], {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    env: { ...MALLOC_ENV, ...process.env, TAOGUAN_CATALOG: o.catalog, TAOGUAN_SOAK_CACHES: o.caches ?? '1/4' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.on('message', (m: { listening?: number }) => m.listening && resolve(m.listening));
      child.once('exit', (code) => reject(new Error(`soak server exited with ${code}`)));
    });
    // Every third request hot, the rest walking the cold set: both cache hits and renders all along.
    const requests = o.cold.flatMap((path, i) => [{ method: 'GET' as const, path }, ...(i % 2 ? [{ method: 'GET' as const, path: o.hot[i % o.hot.length] }] : [])]);
    const samples: SoakStats[] = [];
    const count = o.samples ?? 5;
    const warmup = (o.seconds * 1000) / 5;
    const timers = Array.from({ length: count }, (_, k) => setTimeout(() => void ask(child).then((s) => samples.push(s)), warmup + (k * (o.seconds * 1000 - warmup)) / count));
    const result = await autocannon({ url: `http://127.0.0.1:${port}`, connections: o.connections ?? 4, duration: o.seconds, requests });
    timers.forEach(clearTimeout);
    samples.push(await ask(child));
    return { requests: result.requests.total, errors: result.errors + result.timeouts, non2xx: result.non2xx, p50: result.latency.p50, p99: result.latency.p99, samples };
  } finally {
    child.kill('SIGTERM');
  }
}

