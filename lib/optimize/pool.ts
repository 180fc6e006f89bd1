/**
 * A small pool of worker threads that encode tiles, so compression (most of optimize's CPU) runs on
 * every core while the main thread reads, decodes and downsamples. With size 0 it encodes inline.
 */
import { Worker } from 'node:worker_threads';
import { encodeTile, type EncodeJob } from './encode.ts';

interface Pending {
  resolve: (out: Uint8Array) => void;
  reject: (e: Error) => void;
}

const WORKER_URL = new URL('./worker.ts', import.meta.url);

/**
 * The worker is TypeScript: a process started with `node --import tsx` passes the loader to its
 * workers, but the CLI registers tsx in-process (bin/taoguan.mjs), which workers do not inherit.
 * So each worker starts from a tiny ES module that registers tsx first, then loads worker.ts.
 */
function bootstrapUrl(): URL {
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(WORKER_URL.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

export class EncodePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private turn = 0;
  /** Jobs submitted and not yet finished: the caller's backpressure signal. */
  inFlight = 0;
  private waiters: (() => void)[] = [];

  constructor(size: number) {
    const url = size > 0 ? bootstrapUrl() : undefined;
    for (let i = 0; i < size; i++) {
      const w = new Worker(url!);
      w.on('message', (msg: { id: number; out?: Uint8Array; error?: string }) => this.settle(msg));
      w.on('error', (e) => this.failAll(e));
      this.workers.push(w);
    }
  }

  encode(job: EncodeJob): Promise<Uint8Array> {
    this.inFlight++;
    if (this.workers.length === 0) {
      try {
        return Promise.resolve(encodeTile(job)).finally(() => this.done());
      } catch (e) {
        this.done();
        return Promise.reject(e);
      }
    }
    const id = this.nextId++;
    const promise = new Promise<Uint8Array>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    // Round robin is enough: tiles of one level cost about the same to encode.
    const worker = this.workers[this.turn++ % this.workers.length];
    worker.postMessage({ id, job }, [job.data.buffer as ArrayBuffer]);
    return promise;
  }

  /** Resolves once fewer than `limit` jobs are in flight. */
  async below(limit: number): Promise<void> {
    while (this.inFlight >= limit) await new Promise<void>((r) => this.waiters.push(r));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }

  private settle(msg: { id: number; out?: Uint8Array; error?: string }): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    this.done();
    if (msg.error !== undefined || !msg.out) p.reject(new Error(`tile encoding failed: ${msg.error}`));
    else p.resolve(msg.out);
  }

  private done(): void {
    this.inFlight--;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
