import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVE_MALLOC_ENV } from '../../../lib/util/index.ts';
import { serveProcesses } from '../../../test/support/processes.ts';
import { buildServeBundle } from '../../cli/serve-bundle.mjs';
import { REPO_ROOT, withBaseline } from './baseline.ts';
import { inflateMsPerBlock } from './calibrate.ts';
import { sentinelCatalog } from './data.ts';
import { freshTiles, viewportTiles, warmupTiles, type Tile } from './fresh-tiles.ts';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** [utime, stime] of a process, in ms ([0, 0] if it is gone). */
async function cpuMs(pid: number): Promise<[number, number]> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // fields after the command name (which may hold spaces) start at state (field 3)
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return rest.length > 13 ? [(Number(rest[11]) * 1000) / TICKS_PER_SECOND, (Number(rest[12]) * 1000) / TICKS_PER_SECOND] : [0, 0];
}

/** [utime, stime] of serve's process tree (launcher, primary, workers), in ms. */
async function treeCpuMs(launcher: number): Promise<[number, number]> {
  const { primary, workers } = await serveProcesses(launcher);
  const all = await Promise.all([launcher, ...primary, ...workers].map(cpuMs));
  return all.reduce<[number, number]>((a, b) => [a[0] + b[0], a[1] + b[1]], [0, 0]);
}

async function peakRssMiB(pids: number[]): Promise<number> {
  let max = 0;
  for (const pid of pids) {
    const m = /VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''));
    if (m) max = Math.max(max, Number(m[1]) / 1024);
  }
  return max;
}

const pathOf = ([z, x, y]: Tile) => `/singleband/S2/2024-01-15/B04/${z}/${x}/${y}.png?colormap=viridis&stretch_range=[1000,2500]`;

/** What a client measured over a list of GETs. */
interface Driven { tiles: number; seconds: number; p50: number; p99: number; errors: number; bytes: number }

/** GET every path over `connections` keep-alive sockets with node:http; latency of each, errors counted. */
async function driveNode(port: number, paths: string[], connections: number): Promise<Driven> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let errors = 0, bytes = 0, next = 0;
  const one = (path: string) => new Promise<void>((resolve) => {
    const t0 = performance.now();
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.on('data', (d: Buffer) => { bytes += d.length; });
      res.on('end', () => {
        if (res.statusCode !== 200) errors++;
        latencies.push(performance.now() - t0);
        resolve();
      });
    });
    req.on('error', () => { errors++; resolve(); });
    req.end();
  });
  const t0 = performance.now();
  await Promise.all(Array.from({ length: connections }, async () => {
    while (next < paths.length) await one(paths[next++]);
  }));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { tiles: latencies.length, seconds, p50: pct(latencies, 50), p99: pct(latencies, 99), errors, bytes };
}

/**
 * The same through wrk (one thread, `connections` connections), as the issue measures: a node:http
 * client on this 2-core machine takes CPU the server then lacks (~390 against ~480 fresh tiles/s).
 * A Lua script hands out each path once; at the last answer it stops its thread (requests still
 * in flight, at most connections - 1 repeats of the last tile, are dropped) and says so, and wrk's
 * main thread, which sleeps out -d, is woken with SIGINT to print the figures.
 */
async function driveWrk(port: number, paths: string[], connections: number, dir: string): Promise<Driven> {
  const script = join(dir, `paths-${paths.length}.lua`);
  await writeFile(script, `local paths = {${paths.map((p) => JSON.stringify(p)).join(',')}}
local i, answered = 0, 0
request = function()
  if i < #paths then i = i + 1 end
  return wrk.format("GET", paths[i])
end
response = function(status, headers, body)
  answered = answered + 1
  if answered == #paths then wrk.thread:stop(); io.write("TAOGUAN-DONE\\n"); io.flush() end
end
done = function(summary, latency, requests)
  io.write(string.format("TAOGUAN %d %d %d %d %d %d\\n", summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.bytes))
end
`);
  const wrk = spawn('wrk', ['-t1', `-c${connections}`, '-d3600s', '--timeout', '30s', '-s', script, `http://127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  wrk.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('TAOGUAN-DONE')) wrk.kill('SIGINT');
  });
  // a script wrk cannot run leaves it waiting out its duration: bounded here
  const guard = setTimeout(() => wrk.kill('SIGKILL'), 60_000 + paths.length * 50);
  await new Promise((r) => wrk.once('exit', r));
  clearTimeout(guard);
  const m = /TAOGUAN (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)/.exec(out);
  if (!m) throw new Error(`wrk printed no figures: ${out}`);
  const [requests, micros, p50, p99, errors, bytes] = m.slice(1).map(Number);
  return { tiles: requests, seconds: micros / 1e6, p50: p50 / 1000, p99: p99 / 1000, errors, bytes };
}

/** wrk when it is installed (Debian: apt-get install wrk) unless TAOGUAN_BENCH_CLIENT=node. */
function client(): 'wrk' | 'node' {
  if (process.env.TAOGUAN_BENCH_CLIENT === 'node') return 'node';
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return 'wrk';
  } catch (e) {
    // wrk --version exits 1 after printing its version; only a missing binary is ENOENT
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'node' : 'wrk';
  }
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/**
 * One workload against a fresh `taoguan serve` (tile cache off unless `tileCacheMb`, block cache at serve's default):
 * the `warmup` tiles, then the first 5% of the list, are asked and not counted. With TAOGUAN_BENCH_CPU_PROF=<dir>
 * every process writes a V8 CPU profile there (`--cpu-prof`).
 */
async function runWorkload(name: string, tiles: Tile[], driver: 'wrk' | 'node', connections = 4, tileCacheMb = 0, root = REPO_ROOT, warmup: Tile[] = []): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'taoguan-fresh-bench-'));
  const uri = await sentinelCatalog(dir);
  const port = 5900 + Math.floor(Math.random() * 300);
  const bin = join(root, 'bin/taoguan.mjs');
  // profiles are of this checkout's bundle only
  const prof = root === REPO_ROOT ? process.env.TAOGUAN_BENCH_CPU_PROF : undefined;
  const extra = (process.env.TAOGUAN_BENCH_SERVE_ARGS ?? '').split(' ').filter(Boolean);
  const args = ['serve', '-c', uri, '--port', String(port), '--tile-cache-mb', String(tileCacheMb), ...extra];
  // --cpu-prof is refused in NODE_OPTIONS: profiled, the serve bundle (what bin/taoguan.mjs runs, with
  // its function names kept) is started here with the flags and bin's memory settings; serve passes
  // them on to its workers.
  const bundle = prof ? await buildServeBundle({ readable: true }) : undefined;
  const server: ChildProcess = bundle
    ? spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${prof}`, '--max-semi-space-size=1', bundle.file, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'], env: { ...SERVE_MALLOC_ENV, ...process.env, TAOGUAN_SERVE_BUNDLE: bundle.file },
    })
    : spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  // The access log (one line per request) gives blocks decoded and bytes inflated per tile.
  let counting = false, logged = 0, decodedBlocks = 0, decodedBytes = 0, blocks = 0;
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line.includes('serving')) resolve();
        const m = / blocks=(\d+)\/(\d+)(?: decoded=(\d+))?/.exec(line);
        if (!m || !counting) continue;
        logged++;
        blocks += Number(m[2]);
        decodedBlocks += Number(m[2]) - Number(m[1]);
        decodedBytes += Number(m[3] ?? 0);
      }
    });
    server.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
  try {
    const paths = tiles.map(pathOf);
    const warm = Math.ceil(paths.length * 0.05);
    const drive = (list: string[]) => (driver === 'wrk' ? driveWrk(port, list, connections, dir) : driveNode(port, list, connections));
    if (warmup.length) await drive(warmup.map(pathOf));
    await drive(paths.slice(0, warm));
    await new Promise((r) => setTimeout(r, 200)); // the warm-up's log lines drain
    counting = true;
    const cpu0 = await treeCpuMs(server.pid!);
    const { tiles: n, seconds, p50, p99, errors, bytes } = await drive(paths.slice(warm));
    const cpu1 = await treeCpuMs(server.pid!);
    await new Promise((r) => setTimeout(r, 200));
    const tree = await serveProcesses(server.pid!);
    // profiled, the process started here is the primary itself (no launcher): its children are the workers
    const workers = bundle ? tree.primary : tree.workers;
    const line = {
      tiles: n, tilesPerSecond: n / seconds, p50, p99, errors,
      cpuMsPerTile: (cpu1[0] + cpu1[1] - cpu0[0] - cpu0[1]) / n, systemMsPerTile: (cpu1[1] - cpu0[1]) / n, blocksPerTile: blocks / Math.max(1, logged), decodedBlocksPerTile: decodedBlocks / Math.max(1, logged),
      inflatedKiBPerTile: decodedBytes / 1024 / Math.max(1, logged), pngKiBPerTile: bytes / 1024 / n, peakRssMiB: await peakRssMiB(workers),
    };
    console.log(`  ${name.padEnd(13)} ${line.tiles} tiles: ${line.tilesPerSecond.toFixed(0)} tiles/s, p50 ${line.p50.toFixed(1)} ms, p99 ${line.p99.toFixed(1)} ms, `
      + `server CPU ${line.cpuMsPerTile.toFixed(2)} ms/tile (${line.systemMsPerTile.toFixed(2)} system), blocks ${line.blocksPerTile.toFixed(2)}/tile (${line.decodedBlocksPerTile.toFixed(2)} decoded, `
      + `${line.inflatedKiBPerTile.toFixed(0)} KiB inflated), PNG ${line.pngKiBPerTile.toFixed(1)} KiB, peak RSS per worker ${line.peakRssMiB.toFixed(0)} MiB, ${errors} errors`);
    return line;
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await rm(dir, { recursive: true, force: true });
    bundle?.cleanup();
  }
}

/**
 * `npm run bench -- fresh viewport cached`: tiles nobody asked for before (see fresh-tiles.ts), and
 * `cached`: 64 tiles asked for 200 times each, the tile cache on, so every counted request is
 * answered from it: what HTTP, routing and the response cost a request around a render.
 */
export const FRESH_MODES = ['fresh', 'viewport', 'cached'] as const;

export async function benchFresh(modes: readonly (typeof FRESH_MODES)[number][] = FRESH_MODES): Promise<Record<string, unknown>> {
  const driver = client();
  console.log(`fresh tiles — taoguan serve (workers = cores, tile cache off but for cached), 4 keep-alive connections from ${driver === 'wrk' ? 'wrk' : 'node:http (install wrk for the figures the issue compares)'}; wall figures share the machine, CPU per tile does not`);
  const warmCount = Number(process.env.TAOGUAN_BENCH_WARMUP_TILES ?? 6000);
  if (warmCount && modes.some((m) => m !== 'cached')) console.log(`  fresh and viewport: after ${warmCount} other tiles of the kind (a running server); "cold": from serve's start, its JIT still compiling`);
  const inflateMs = await inflateMsPerBlock();
  console.log(`  this machine inflates a 512² uint16 bench block in ${inflateMs.toFixed(2)} ms (calibrate.ts: CPU per tile scales with it across machines)`);
  const baseline = process.env.TAOGUAN_BENCH_BASELINE;
  const rounds = Math.max(1, Number(process.env.TAOGUAN_BENCH_ROUNDS ?? (baseline ? 3 : 1)));
  const lists = {
    fresh: () => freshTiles(Number(process.env.TAOGUAN_BENCH_FRESH_TILES ?? 6000)),
    viewport: () => viewportTiles(Number(process.env.TAOGUAN_BENCH_VIEWPORT_SESSIONS ?? 60)),
  };
  // fresh and viewport each run twice: on a server warmed by other tiles of the same kind (a
  // long-running server, the figure the targets are about) and on one just started ("cold": its
  // JIT still compiling, as a function's first requests find it)
  const warmed = (kind: 'fresh' | 'viewport', root: string, name: string) => {
    const list = lists[kind]();
    return runWorkload(name, list, driver, 4, 0, root, warmupTiles(kind, warmCount, list));
  };
  const workloads: Record<string, (root: string, name: string) => Promise<Record<string, number>>> = {
    fresh: (root, name) => warmed('fresh', root, name),
    viewport: (root, name) => warmed('viewport', root, name),
    'fresh cold': (root, name) => runWorkload(name, lists.fresh(), driver, 4, 0, root),
    'viewport cold': (root, name) => runWorkload(name, lists.viewport(), driver, 4, 0, root),
    cached: (root, name) => {
      const few = freshTiles(64);
      return runWorkload(name, Array.from({ length: 200 }, () => few).flat(), driver, 4, 8, root);
    },
  };
  const runs = modes.flatMap((m) => (m === 'cached' || !warmCount ? [m] : [m, `${m} cold`]));
  const run = async (sides: [string, string][]) => {
    const lines: Record<string, Record<string, Record<string, number>[]>> = {};
    for (let r = 0; r < rounds; r++) {
      for (const mode of runs) {
        // each round alternates which side goes first, so a drifting machine favours neither
        for (const [side, root] of r % 2 === 0 ? sides : [...sides].reverse()) {
          ((lines[mode] ??= {})[side] ??= []).push(await workloads[mode](root, side ? `${mode} ${side}` : mode));
        }
      }
    }
    return summarise(lines, rounds > 1 || sides.length > 1);
  };
  const figures = baseline ? await withBaseline(baseline, (root) => run([[baseline, root], ['here', REPO_ROOT]])) : await run([['', REPO_ROOT]]);
  return { inflateMsPerBlock: inflateMs, ...figures };
}

/** Each mode's runs on each side: the median run (by CPU per tile) as the figure, and the spread printed when there are several. */
function summarise(lines: Record<string, Record<string, Record<string, number>[]>>, print: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (print) console.log('  median (range) over the runs above:');
  for (const [mode, sides] of Object.entries(lines)) {
    const figures: Record<string, unknown> = {};
    for (const [side, runs] of Object.entries(sides)) {
      const by = (k: string) => runs.map((l) => l[k]).sort((a, b) => a - b);
      const mid = (a: number[]) => a[(a.length - 1) >> 1];
      const cpu = by('cpuMsPerTile'), rate = by('tilesPerSecond'), p99 = by('p99');
      const median = runs.find((l) => l.cpuMsPerTile === mid(cpu))!;
      figures[side || mode] = { ...median, runs: runs.length, cpuMsPerTileRange: [cpu[0], cpu[cpu.length - 1]] };
      if (print) {
        console.log(`  ${`${mode} ${side}`.trim().padEnd(22)} server CPU ${mid(cpu).toFixed(2)} ms/tile (${cpu[0].toFixed(2)}–${cpu[cpu.length - 1].toFixed(2)}), `
          + `${mid(rate).toFixed(0)} tiles/s (${rate[0].toFixed(0)}–${rate[rate.length - 1].toFixed(0)}), p99 ${mid(p99).toFixed(1)} ms, ${runs.length} runs`);
      }
    }
    out[mode] = Object.keys(sides).length === 1 ? Object.values(figures)[0] : figures;
  }
  return out;
}
