/**
 * The pipelining probe (issue #13): raw sockets that each write hundreds of pipelined tile requests
 * in one go, and either read the answers or never read at all, while the server's RSS is sampled.
 * It caps itself: past `ceilingMb` it calls `onCeiling` (which kills the server) and stops, so a
 * server that buffers without bound can never take the machine with it. Used by
 * test/serve-pipelining.test.ts (a 4096² COG, 8 s) and `npm run bench` (the 10980² COG, 20 s).
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { serveProcesses } from './processes.ts';

export interface ProbeOptions {
  port: number;
  host?: string;
  /** The paths connection i asks, in order, all written at once. */
  paths: (connection: number) => string[];
  connections: number;
  /** Read the answers, or never read a byte (the socket stays paused). */
  read: boolean;
  /** How long to keep the connections open. */
  seconds: number;
  /** The processes to sample (the serve workers). */
  pids: () => Promise<number[]>;
  ceilingMb: number;
  onCeiling: () => void;
}

export interface ProbeResult {
  /** Highest RSS of any sampled process over the run, in MiB. */
  peakRssMb: number;
  ceilingHit: boolean;
  /** Complete answers read, by status (empty for a client that never reads). */
  statuses: Record<number, number>;
  answers: number;
}

export async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : 0;
}

/** Counts complete HTTP/1.1 answers in a byte stream (every answer of this server has Content-Length). */
export class AnswerCounter {
  #buf: Buffer = Buffer.alloc(0);
  #body = -1;
  readonly statuses: Record<number, number> = {};
  answers = 0;

  push(chunk: Buffer): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    for (;;) {
      if (this.#body < 0) {
        const end = this.#buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = this.#buf.subarray(0, end).toString('latin1');
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
        const length = /\r\ncontent-length: *(\d+)/i.exec(head);
        if (!status || !length) throw new Error(`not an answer with a Content-Length: ${head.slice(0, 200)}`);
        this.statuses[status] = (this.statuses[status] ?? 0) + 1;
        this.#body = Number(length[1]);
        this.#buf = this.#buf.subarray(end + 4);
      }
      if (this.#buf.length < this.#body) return;
      this.#buf = this.#buf.subarray(this.#body);
      this.#body = -1;
      this.answers++;
    }
  }
}

export async function pipeliningProbe(o: ProbeOptions): Promise<ProbeResult> {
  const host = o.host ?? '127.0.0.1';
  const counters: AnswerCounter[] = [];
  const sockets: Socket[] = [];
  let peak = 0, ceilingHit = false;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const sample = async () => {
    for (const pid of await o.pids()) peak = Math.max(peak, await rssMb(pid));
    if (peak > o.ceilingMb && !ceilingHit) {
      ceilingHit = true;
      o.onCeiling();
      stop();
    }
  };
  const sampler = setInterval(() => void sample(), 50);
  const timer = setTimeout(stop, o.seconds * 1000);
  for (let i = 0; i < o.connections; i++) {
    const socket = connect(o.port, host);
    sockets.push(socket);
    socket.on('error', () => undefined);
    if (o.read) {
      const counter = new AnswerCounter();
      counters.push(counter);
      socket.on('data', (d: Buffer) => counter.push(d));
    } else {
      socket.pause();
    }
    socket.write(o.paths(i).map((p) => `GET ${p} HTTP/1.1\r\nHost: ${host}:${o.port}\r\n\r\n`).join(''));
  }
  await stopped;
  clearInterval(sampler);
  clearTimeout(timer);
  await sample();
  for (const s of sockets) s.destroy();
  const statuses: Record<number, number> = {};
  for (const c of counters) for (const [s, n] of Object.entries(c.statuses)) statuses[Number(s)] = (statuses[Number(s)] ?? 0) + n;
  return { peakRssMb: Math.round(peak), ceilingHit, statuses, answers: counters.reduce((n, c) => n + c.answers, 0) };
}

export interface ServeProbeOptions {
  catalog: string;
  paths: (connection: number) => string[];
  connections: number;
  seconds: number;
  ceilingMb: number;
  /** More `serve` arguments (e.g. --max-in-flight 4). */
  args?: string[];
}

export interface ServeProbeResult {
  /** The worker's RSS once started, before the probe (MiB). */
  idleRssMb: number;
  probe: ProbeResult;
  /** Whether /healthz answered 200 near the end of the probe, its connections still open. */
  alive: boolean;
}

/**
 * `taoguan serve --workers 1` in its own process group, the probe against it (a client that reads,
 * or one that never reads), /healthz after; the whole group killed at the end, or at the ceiling.
 */
export async function probeServe(o: ServeProbeOptions, read: boolean): Promise<ServeProbeResult> {
  const bin = new URL('../../bin/taoguan.mjs', import.meta.url).pathname;
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = spawn(process.execPath, [bin, 'serve', '-c', o.catalog, '--port', String(port), '--workers', '1', '--quiet', ...(o.args ?? [])], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  const killAll = () => {
    try { process.kill(-server.pid!, 'SIGKILL'); } catch { /* gone */ }
  };
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout!.on('data', (d: Buffer) => d.toString().includes('serving') && resolve());
      server.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    const { workers } = await serveProcesses(server.pid!);
    const idle = Math.max(...(await Promise.all(workers.map(rssMb))));
    // asked a second before the probe's sockets close, while they still hold the worker
    const alive = new Promise<boolean>((resolve) => setTimeout(() => {
      fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5000) }).then((r) => resolve(r.status === 200), () => resolve(false));
    }, (o.seconds - 1) * 1000));
    const probe = await pipeliningProbe({ port, paths: o.paths, connections: o.connections, read, seconds: o.seconds, ceilingMb: o.ceilingMb, pids: async () => workers, onCeiling: killAll });
    return { idleRssMb: Math.round(idle), probe, alive: await alive };
  } finally {
    killAll();
  }
}

