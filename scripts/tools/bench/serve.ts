import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { serveProcesses } from '../../../test/support/processes.ts';
import { sentinelCatalog } from './data.ts';

/** ~200 tiles at z8–14 over the COG (UTM 50N, 116.0–117.3E 39.6–40.6N), a fixed list, cycled. */
export function tilePaths(): string[] {
  const paths: string[] = [];
  const lonLat = (z: number, lon: number, lat: number) => {
    const n = 2 ** z, r = (lat * Math.PI) / 180;
    return [Math.floor(((lon + 180) / 360) * n), Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n)];
  };
  for (const z of [8, 9, 10, 11, 12, 13, 14]) {
    const [x0, y0] = lonLat(z, 116.05, 40.55);
    const [x1, y1] = lonLat(z, 117.25, 39.65);
    const all: string[] = [];
    for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) all.push(`${z}/${x}/${y}`);
    const take = Math.min(all.length, 30);
    for (let i = 0; i < take; i++) paths.push(all[Math.floor((i * all.length) / take)]);
  }
  return paths.map((t) => `/singleband/S2/2024-01-15/B04/${t}.png?colormap=viridis&stretch_range=[1000,2500]`);
}

async function peakRss(pids: number[]): Promise<number> {
  let max = 0;
  for (const pid of pids) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    if (m) max = Math.max(max, Number(m[1]) * 1024);
  }
  return max;
}

/** `taoguan serve` under autocannon: 4 connections, the tile list cycled, tiles/s, latency and RSS. */
export async function benchServe(seconds = Number(process.env.TAOGUAN_BENCH_SECONDS ?? 20)): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'taoguan-serve-bench-'));
  const uri = await sentinelCatalog(dir);
  const port = 5600 + Math.floor(Math.random() * 300);
  const bin = new URL('../../../bin/taoguan.mjs', import.meta.url).pathname;
  const caches = (process.env.TAOGUAN_BENCH_CACHES ?? '').split('/').filter(Boolean);
  const cacheArgs = caches.length === 2 ? ['--tile-cache-mb', caches[0], '--block-cache-mb', caches[1]] : [];
  const server: ChildProcess = spawn(process.execPath, [bin, 'serve', '-c', uri, '--port', String(port), '--quiet', ...cacheArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('serving')) resolve(); });
    server.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
  const paths = tilePaths();
  const out: Record<string, unknown> = {};
  try {
    for (const phase of ['cold (first pass)', 'warm (cycled)']) {
      const result = await autocannon({
        url: `http://127.0.0.1:${port}`, connections: 4,
        ...(phase.startsWith('cold') ? { amount: paths.length } : { duration: seconds }),
        requests: paths.map((path) => ({ method: 'GET', path })),
      });
      const procs = await serveProcesses(server.pid!);
      const mib = async (pids: number[]) => (await peakRss(pids)) / 2 ** 20;
      const line = {
        tilesPerSecond: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx,
        peakRssMb: await mib(procs.workers), primaryRssMb: await mib(procs.primary), launcherRssMb: await mib([procs.launcher]),
      };
      console.log(`  ${phase.padEnd(18)} ${line.tilesPerSecond.toFixed(0)} tiles/s, p50 ${line.p50} ms, p99 ${line.p99} ms, ${line.errors} errors, peak RSS per worker ${line.peakRssMb.toFixed(0)} MiB (primary ${line.primaryRssMb.toFixed(0)}, launcher ${line.launcherRssMb.toFixed(0)} MiB)`);
      out[phase] = line;
    }
  } finally {
    server.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
  return { tiles: paths.length, ...out };
}
