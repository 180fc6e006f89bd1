/**
 * Where tiles are encoded, off the main thread's critical path so compression (most of optimize's
 * CPU) runs on every core while the main thread reads, decodes and downsamples.
 *
 * Deflate runs in libuv's thread pool (zlib's async API): native threads that cost no V8 isolate and
 * leave no garbage of their own. Codecs written in JavaScript or WASM (LZW, ZSTD) run in worker
 * threads, started on first use, each a V8 isolate of ~15 MB plus the garbage it keeps between its
 * collections (and, for ZSTD, its own WASM instance). The predictor, a single pass, runs in the
 * worker for those, but on the main thread for deflate, before the bytes go to zlib. With size 0
 * everything runs inline.
 *
 * Memory is the point of the rest: the number of tiles queued is bounded (`slot()`), and a tile's
 * buffer comes back when its job is done to be filled again (`buffer()`).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { deflate } from 'node:zlib';
import { decodeBlock, type BlockParams } from '../raster/index.ts';
import { deflateKept, deflateOptions, encodeTile, predict, type EncodeJob } from './encode.ts';
import { loadZstd } from './zstd.ts';

const deflateAsync = promisify(deflate);

interface Pending {
  /** A tile's bytes, or a batch's decoded blocks. */
  resolve: (out: Uint8Array | Uint8Array[]) => void;
  reject: (e: Error) => void;
  /** What failed, for the error: 'tile encoding' or 'block decoding'. */
  what: string;
}

interface Reply { id: number; out?: Uint8Array; outs?: Uint8Array[]; input?: ArrayBuffer; error?: string; index?: number }

/** An input block to decode: its compressed bytes and how. */
export interface BlockJob { bytes: Uint8Array; params: BlockParams }

/**
 * The worker's source, run with `eval`. It hands the worker the block decoder from lib/raster/decode
 * alone (see worker.ts), then loads worker.ts itself.
 * From the sources the worker is TypeScript: it registers tsx's CommonJS hook in its own thread rather
 * than the ESM loader, since module.register() starts a loader thread (another V8 isolate, ~20 MB) per
 * worker while the require hook costs nothing extra; the CLI registers tsx in-process, which workers
 * don't inherit. The lazily loaded codecs (JPEG, LERC, ZSTD) are then required: see useCodecLoader.
 * From the npm package (compiled, build/lib/optimize/pool.js) it is plain ESM, loaded by import().
 * From a checkout's cached CLI bundle it is that bundle's companion (TAOGUAN_OPTIMIZE_WORKER), so no
 * thread waits for tsx.
 * Paths are taken from ../<folder>/ so that they mean the same from lib/optimize/ and from a bundle,
 * whose import.meta.url is lib/api's (scripts/cli/serve-bundle.mjs).
 */
function workerSource(): string {
  // a checkout's CLI bundle (scripts/cli/cli-bundle.mjs) names the decode thread's own bundle
  const bundled = process.env.TAOGUAN_OPTIMIZE_WORKER;
  if (bundled && import.meta.url.endsWith('.ts') && existsSync(bundled)) return `require(${JSON.stringify(bundled)});`;
  const codecs = new URL('../raster/decode/', import.meta.url);
  if (!import.meta.url.endsWith('.ts')) {
    return `import(${JSON.stringify(new URL('index.js', codecs).href)}).then((decode) => { `
      + 'globalThis.taoguanDecodeBlock = decode.decodeBlock; '
      + `return import(${JSON.stringify(new URL('../optimize/worker.js', import.meta.url).href)}); });`;
  }
  const require = createRequire(import.meta.url);
  const tsx = require.resolve('tsx/cjs/api');
  const worker = new URL('../optimize/worker.ts', import.meta.url).pathname;
  return `require(${JSON.stringify(tsx)}).register(); `
    + `const decode = require(${JSON.stringify(codecs.pathname + 'index.ts')}); `
    + `decode.useCodecLoader((c) => require(${JSON.stringify(codecs.pathname)} + c + '.ts')); `
    + 'globalThis.taoguanDecodeBlock = decode.decodeBlock; '
    + `require(${JSON.stringify(worker)});`;
}

/**
 * Deflate jobs this small are compressed on the calling thread, through a kept handle: a 512² tile's
 * 1-bit mask (32 KiB, mostly one value) takes microseconds so, and the async API's stream, output
 * buffer and thread-pool round trip cost the reading thread more than that. The 4096² RGB bench input
 * (85 masks), 6 alternating runs: 2.08 → 1.96 s median.
 */
const INLINE_DEFLATE_BYTES = 32 * 1024;

/** Spare tile buffers kept per byte length. */
const MAX_SPARES = 16;

export class EncodePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly spares = new Map<number, ArrayBuffer[]>();
  private nextId = 0;
  private turn = 0;
  /** Jobs submitted and not yet finished: the caller's backpressure signal. */
  inFlight = 0;
  /** Jobs queued at once: enough to keep every thread busy, few enough to bound their memory. */
  readonly capacity: number;
  private waiters: (() => void)[] = [];

  /** `size` threads encode at once (0: inline, on the caller's thread). */
  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 0) throw new Error(`workers ${size}: expected a whole number ≥ 0`);
    // One job per thread and one ready: more would hold memory, and deflate jobs beyond the cores
    // would take libuv threads that file reads and writes wait for.
    this.capacity = Math.max(2, size + 1);
  }

  /**
   * A buffer of `bytes` for a tile, reused from a finished job when one is spare: zeroed, unless the
   * caller will overwrite every byte (`dirty`).
   */
  buffer(bytes: number, dirty = false): Uint8Array {
    const spare = this.spares.get(bytes)?.pop();
    if (!spare) return new Uint8Array(bytes);
    const out = new Uint8Array(spare);
    if (!dirty) out.fill(0);
    return out;
  }

  /** Resolves when a job may be submitted without passing `capacity`. */
  slot(): Promise<void> {
    return this.below(this.capacity);
  }

  /** Encode a tile. `job.data` is handed over: the caller must not touch it again. */
  encode(job: EncodeJob): Promise<Uint8Array> {
    this.inFlight++;
    const input = job.data.buffer as ArrayBuffer;
    let run: Promise<Uint8Array>;
    try {
      if (this.size === 0 || job.codec === 'none') {
        run = this.inline(job);
      } else if (job.codec === 'deflate' && job.data.byteLength <= INLINE_DEFLATE_BYTES) {
        const out = deflateKept(job.data, deflateOptions(job, predict(job)));
        this.recycle(input);
        run = Promise.resolve(out);
      } else if (job.codec === 'deflate') {
        const runs = predict(job);
        // Output chunks as large as the tile: zlib's async API makes a thread-pool round trip and a
        // callback on the main thread per chunk, which at 64 KiB cost the reading thread ~3 of its 4 ms
        // per 512² RGB tile (main-thread time for 64 tiles: 260-410 ms, against 104-134 ms so).
        run = deflateAsync(job.data, { ...deflateOptions(job, runs), chunkSize: Math.max(64 * 1024, job.data.byteLength + 1024) }).then((out) => {
          this.recycle(input);
          return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
        });
      } else {
        run = this.inWorker(job);
      }
    } catch (e) {
      run = Promise.reject(e);
    }
    return run.finally(() => this.done());
  }

  /** Resolves once fewer than `limit` jobs are in flight. */
  async below(limit: number): Promise<void> {
    while (this.inFlight >= limit) await new Promise<void>((r) => this.waiters.push(r));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.filter(Boolean).map((w) => w.terminate()));
    this.workers.length = 0;
    this.spares.clear();
  }

  private async inline(job: EncodeJob): Promise<Uint8Array> {
    const input = job.data.buffer as ArrayBuffer;
    if (job.codec === 'zstd') await loadZstd();
    const out = encodeTile(job);
    if (out.buffer !== input) this.recycle(input);
    return out;
  }

  /**
   * Decode input blocks in a worker thread (inline with size 0), so that the reading thread only
   * assembles, downsamples and cuts tiles while both cores decode: JPEG, LZW and the float predictor
   * were most of the reading thread's time on such inputs. One message each way per batch (a read's
   * blocks): a message per block, on the 3600 one-row strips of the DEM bench input, cost ~0.5 s of
   * CPU profile (copies, postMessage, promises) across the two threads. A failure rejects with the
   * failing block's `index` in `blocks`.
   */
  decodeBlocks(blocks: BlockJob[]): Promise<Uint8Array[]> {
    if (this.size === 0) {
      return Promise.all(blocks.map((b, index) => decodeBlock(b.bytes, b.params).catch((e: Error) => { throw Object.assign(e, { index }); })));
    }
    // copies of their own to hand over: readRanges may return views into one larger read
    const own = blocks.map((b) => ({ bytes: new Uint8Array(b.bytes), params: b.params }));
    const id = this.nextId++;
    const promise = new Promise<Uint8Array[]>((resolve, reject) => this.pending.set(id, { resolve: resolve as Pending['resolve'], reject, what: 'block decoding' }));
    // One thread decodes: with the reading thread that is both cores busy, and a second isolate
    // decoding JPEG would cost ~45 MB more (RSS 309 MB against 265 MB on the 4096² RGB bench input).
    this.worker(0).postMessage({ id, decode: own }, own.map((b) => b.bytes.buffer as ArrayBuffer));
    return promise;
  }

  /** Worker `i`, started on first use (a thread that is never asked for costs nothing). */
  private worker(i = this.turn++ % this.size): Worker {
    let w = this.workers[i];
    if (!w) {
      // workerData: geotiff (the JPEG decoder) pulls in web-worker, which reads it in any thread but the main one.
      // A small young generation: with V8's default each isolate grew by ~40 MB decoding JPEG.
      w = new Worker(workerSource(), { eval: true, workerData: {}, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
      w.on('message', (msg: Reply) => this.settle(msg));
      w.on('error', (e) => this.failAll(e));
      this.workers[i] = w;
    }
    return w;
  }

  private inWorker(job: EncodeJob): Promise<Uint8Array> {
    const id = this.nextId++;
    const promise = new Promise<Uint8Array>((resolve, reject) => this.pending.set(id, { resolve: resolve as Pending['resolve'], reject, what: 'tile encoding' }));
    this.worker().postMessage({ id, job }, [job.data.buffer as ArrayBuffer]);
    return promise;
  }

  private recycle(buffer: ArrayBuffer): void {
    let list = this.spares.get(buffer.byteLength);
    if (!list) this.spares.set(buffer.byteLength, list = []);
    if (list.length < MAX_SPARES) list.push(buffer);
  }

  private settle(msg: Reply): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.input) this.recycle(msg.input);
    const out = msg.out ?? msg.outs;
    if (msg.error !== undefined || !out) p.reject(Object.assign(new Error(`${p.what} failed: ${msg.error}`), { index: msg.index }));
    else p.resolve(out);
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private done(): void {
    this.inFlight--;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
