/**
 * The pipelining probe (issue #13): raw sockets that each write hundreds of pipelined tile requests
 * in one go, and either read the answers or never read at all, while the server's RSS is sampled.
 * It caps itself: past `ceilingMb` it calls `onCeiling` (which kills the server) and stops, so a
 * server that buffers without bound can never take the machine with it. Used by
 * test/serve-pipelining.test.ts and `npm run bench`.
 */
import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';

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
