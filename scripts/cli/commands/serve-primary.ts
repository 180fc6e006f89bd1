/**
 * `serve`'s primary process: opens the one catalog of the machine, starts the workers, and keeps
 * them running. A worker that cannot start says why (a port in use, an address this machine does
 * not have, a bad option): the primary prints it once and exits 1, so systemd or a container
 * runtime sees the failure instead of a server that is "active" and listens nowhere. A worker
 * that dies later (killed, out of memory, a crash) is replaced, with a log line and a back-off
 * that grows while replacements keep dying early; five early deaths within a minute and the
 * primary gives up with exit 1 (something in the environment is wrong, not one request).
 */
import cluster, { type Worker } from 'node:cluster';
import { SERVE_MALLOC_ENV } from '../../../lib/util/index.ts';
import type { Catalog } from '../../../lib/catalog/index.ts';
import { openCatalog } from '../../../lib/catalog/index.ts';
import { relativeRowsWarning } from '../../../lib/ingest/index.ts';
import { catalogUri } from './catalog.ts';
import { answerCatalogCalls } from '../../../lib/catalog/index.ts';
import type { ServeOptions } from './serve.ts';

/**
 * A worker's memory is mostly not its JavaScript heap: see MALLOC_ENV and SERVE_MALLOC_ENV. V8's young generation also
 * grows to 3 × 16 MB under load. Measured per worker over the serve bench (peak RSS): 248 MB through
 * tsx with Node's defaults and 16/24 MB caches, 204 MB bundled, 115 MiB bundled with 1 MB
 * semi-spaces and 8/12 MB caches, 100–106 MiB with the catalog in the primary. 4 MB semi-spaces
 * against 1 MB, fresh bench, two runs each on this shared 2-core box: fresh tiles 9.31/9.73 against
 * 9.89/10.79 ms CPU a tile, viewport tiles 5.71/5.93 against 6.40/6.47 (fewer scavenges, and fewer
 * tile buffers promoted to wait for a mark-compact), peak RSS per worker 148–168 against 139–153
 * MiB. The functions keep 1 MB (their 128 MB target). The user's own environment wins.
 *
 * --initial-heap-size=64: from V8's default start, a worker's old generation stays near the ~20 MB
 * that survives, and V8 ran a full mark-compact every ~16 fresh tiles per worker, at a rate that
 * followed the ArrayBuffer bytes the tiles allocated (364 over 5,700 fresh tiles, against 117
 * scavenges; each ~5 ms on the main thread plus its concurrent marking on V8's helper threads,
 * which took 1.6 ms of CPU a tile). Started at 64 MB: 82 of them, fresh tiles 6.3 → 4.9 ms of
 * server CPU, viewport tiles 4.4 → 3.5, peak RSS per worker 149 → 164–168 MiB. 128 MB made 47, with
 * no CPU difference the bench could see, and 8 MiB more. --single-threaded-gc (no helper threads)
 * saved nothing more and cost 20 MiB.
 */
const WORKER_NODE_FLAGS = ['--max-semi-space-size=4', '--initial-heap-size=64'];

/** Respawn policy: a death within STABLE_MS of listening (or before) is early; back-off doubles per early death. */
export const RESPAWN = { baseMs: 100, capMs: 10_000, stableMs: 10_000, windowMs: 60_000, maxEarlyDeaths: 5 } as const;

/** How a worker ended, for the log. */
const ending = (code: number | null, signal: string | null) => (signal ? `was killed (${signal})` : `exited with code ${code}`);

export async function runPrimary(opts: ServeOptions, workers: number): Promise<void> {
  // The primary holds the one catalog connection (or SQLite engine) of the machine; workers ask it.
  // Only workers answer from stale records: they know how old theirs are (one the primary passed on
  // stale would look fresh to them, and could outlive the window).
  const catalog = await openCatalog(catalogUri(opts.catalog), { staleMs: 0 });
  try {
    await catalog.keys(); // fail now, with the catalog's own message, before any worker starts
    const relative = await relativeRowsWarning(catalog);
    if (relative) console.error(relative);
  } catch (e) {
    await catalog.close().catch(() => undefined);
    throw e;
  }
  // From bin/taoguan.mjs's bundle (the usual way) workers run that bundle; otherwise they run the CLI
  // again through tsx (the bundle did not build, or serveCommand was called from other code).
  const bundle = process.env.TAOGUAN_SERVE_BUNDLE;
  cluster.setupPrimary({
    // profiling flags given to serve (the fresh-tile bench's --cpu-prof) reach its workers too
    ...(bundle && bundle !== 'none' ? { exec: bundle, execArgv: [...WORKER_NODE_FLAGS, ...process.execArgv.filter((a) => a.startsWith('--cpu-prof'))] } : {}),
    // advanced serialization: catalog records cross over with their typed arrays intact
    serialization: 'advanced',
  });
  new Supervisor(catalog, workers).start();
}

class Supervisor {
  #stopping = false;
  #announced = false;
  #earlyDeaths: number[] = [];
  /** When each live worker started listening, and what a worker that could not start said. */
  #listening = new Map<Worker, number>();
  #startupError = new Map<Worker, string>();

  constructor(readonly catalog: Catalog, readonly workers: number) {}

  start(): void {
    for (let i = 0; i < this.workers; i++) this.#fork();
    const stop = () => this.#stop(0);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }

  #fork(): void {
    const w = cluster.fork({
      ...SERVE_MALLOC_ENV, ...process.env, TAOGUAN_SERVE_CATALOG_URI: this.catalog.uri, TAOGUAN_SERVE_CATALOG_TIMEOUT_MS: String(this.catalog.timeoutMs ?? ''),
    });
    answerCatalogCalls(w, this.catalog);
    // A send to a worker that just died fails with EPIPE; its 'exit' is what matters, handled below.
    w.on('error', () => undefined);
    w.on('message', (m: { listening?: string; startupError?: string }) => {
      if (m.listening) {
        this.#listening.set(w, Date.now());
        if (!this.#announced) {
          this.#announced = true;
          console.log(`taoguan serving ${this.catalog.uri} at ${m.listening}/ with ${this.workers} workers (Ctrl-C to stop)`);
        }
      }
      if (m.startupError) {
        this.#startupError.set(w, m.startupError);
        // Nothing has listened yet: the configuration is wrong, and every worker would say the same.
        if (!this.#announced) this.#fail(m.startupError);
      }
    });
    w.on('exit', (code, signal) => this.#exited(w, code, signal));
  }

  #exited(w: Worker, code: number | null, signal: string | null): void {
    const listenedAt = this.#listening.get(w), why = this.#startupError.get(w);
    this.#listening.delete(w);
    this.#startupError.delete(w);
    // Stopping, or a worker that stopped cleanly on a signal of its own (Ctrl-C and systemd signal
    // every process of the group; the worker may get there before the primary): not replaced.
    if (this.#stopping || (code === 0 && !signal)) {
      if (this.#alive() === 0) this.#exit();
      return;
    }
    const now = Date.now();
    const early = listenedAt === undefined || now - listenedAt < RESPAWN.stableMs;
    if (early) this.#earlyDeaths = [...this.#earlyDeaths.filter((t) => now - t < RESPAWN.windowMs), now];
    const cause = `worker ${w.process.pid} ${ending(code, signal)}${why ? `: ${why}` : ''}`;
    if (this.#earlyDeaths.length >= RESPAWN.maxEarlyDeaths) {
      this.#fail(`workers keep dying at start (${this.#earlyDeaths.length} within ${RESPAWN.windowMs / 1000} s); the last: ${cause}`);
      return;
    }
    const delay = early ? Math.min(RESPAWN.capMs, RESPAWN.baseMs * 2 ** (this.#earlyDeaths.length - 1)) : RESPAWN.baseMs;
    console.error(`taoguan serve: ${cause}; starting another in ${delay} ms`);
    setTimeout(() => {
      if (!this.#stopping) this.#fork();
    }, delay);
  }

  #alive(): number {
    return Object.keys(cluster.workers ?? {}).length;
  }

  /** Say why once, stop every worker, exit 1. */
  #fail(message: string): void {
    if (this.#stopping) return;
    console.error(`taoguan serve: ${message}`);
    this.#stop(1);
  }

  #stop(code: number): void {
    this.#stopping = true;
    process.exitCode = code;
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
    // Workers stop within 5 s (startServer's stop); this is for one that does not.
    setTimeout(() => process.exit(code), 8000).unref();
    if (this.#alive() === 0) this.#exit();
  }

  /** The last worker gone: the primary's catalog (a MySQL pool keeps the process alive) goes too. */
  #exit(): void {
    void this.catalog.close().catch(() => undefined).finally(() => process.exit());
  }
}
