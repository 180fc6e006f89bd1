/**
 * Admission control: at most `maxInFlight` renders at once in this process, a short queue behind
 * them, and beyond that (queue full, or a wait longer than `maxWaitMs`) a 503 with Retry-After.
 *
 * What it bounds is memory. A render holds its decoded blocks, the warped floats, the RGBA image and
 * the encoded bytes until it is answered (a 1024 px tile: tens of MB); nothing else a request does
 * comes near that. So the renders are what is counted — tiles, previews and /point — and the cheap
 * answers (304s, rendered-tile cache hits, documents, /healthz) never wait behind them: a client
 * whose map is mostly cached keeps getting answers while the renders queue. Waiters hold only their
 * request. `serve` and the functions (FC 3.0 instance concurrency, SCF multi-concurrency) share this.
 */
import { totalmem } from 'node:os';
import { InputError } from '../errors/index.ts';
import { ApiError } from './errors.ts';

export interface AdmissionLimits {
  /** Renders at once (≥ 1). */
  maxInFlight: number;
  /** Requests waiting for a render slot (≥ 0); one more is answered 503 at once. */
  maxQueue: number;
  /** Longest wait for a slot in ms; then 503. */
  maxWaitMs: number;
}

/** Seconds a client is told to wait after a 503 for a busy server: renders take milliseconds. */
const RETRY_AFTER = '1';

/**
 * The memory one render slot stands for, in MiB. What a render adds at its peak depends on the tile:
 * a few MiB for 256 px, 8–30 MiB for 1024 px (measured over `serve`: 16 such renders at once took
 * ~100 MiB more than 2), more for band math over several datasets.
 */
export const SLOT_MB = 32;

/**
 * The limits for a process that may use `processMemoryMb`, where not given: a render slot per
 * SLOT_MB, between 1 and 16 — a 128 MB function gets 4 (the four concurrent requests its budget is
 * measured with, peak RSS under 110 MB), 512 MB and more 16 (past that, renders on one core only
 * add latency); a queue four times that; waits of up to 5 s, well under the 30 s an API gateway
 * allows a request.
 */
export function limitsFor(processMemoryMb: number, given: Partial<AdmissionLimits> = {}): AdmissionLimits {
  const maxInFlight = given.maxInFlight ?? Math.max(1, Math.min(16, Math.floor(processMemoryMb / SLOT_MB)));
  return checkLimits({ maxInFlight, maxQueue: given.maxQueue ?? 4 * maxInFlight, maxWaitMs: given.maxWaitMs ?? 5000 });
}

/** This machine's memory in MiB, or its container's limit when lower (unlimited reads as 2^64). */
export function machineMemoryMb(): number {
  return Math.min(process.constrainedMemory?.() || Infinity, totalmem()) / 2 ** 20;
}

function checkLimits(limits: AdmissionLimits): AdmissionLimits {
  const check = (name: keyof AdmissionLimits, min: number, max: number) => {
    const v = limits[name];
    if (!Number.isInteger(v) || v < min || v > max) throw new InputError(`${name}: expected a whole number from ${min} to ${max}, got ${v}`);
  };
  check('maxInFlight', 1, 4096);
  check('maxQueue', 0, 65536);
  check('maxWaitMs', 0, 600_000);
  return limits;
}

interface Waiter { admit: () => void; timer: NodeJS.Timeout }

export class Admission {
  #running = 0;
  readonly #queue: Waiter[] = [];
  /** Requests refused since the process started (a full queue or a wait too long). */
  refused = 0;

  constructor(readonly limits: AdmissionLimits) {}

  get inFlight(): number { return this.#running; }
  get queued(): number { return this.#queue.length; }

  /** Runs `work` once a slot is free; a 503 ApiError when none frees up in time. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running < this.limits.maxInFlight) this.#running++;
    else await this.#wait();
    try {
      return await work();
    } finally {
      this.#release();
    }
  }

  #wait(): Promise<void> {
    const { maxInFlight, maxQueue, maxWaitMs } = this.limits;
    if (this.#queue.length >= maxQueue) return Promise.reject(this.#busy(`${maxInFlight} renders running and ${maxQueue} waiting`));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        admit: resolve,
        timer: setTimeout(() => {
          this.#queue.splice(this.#queue.indexOf(waiter), 1);
          reject(this.#busy(`no render slot of ${maxInFlight} came free in ${maxWaitMs} ms`));
        }, maxWaitMs),
      };
      this.#queue.push(waiter);
    });
  }

  /** The slot goes straight to the longest waiter, so a newcomer cannot overtake the queue. */
  #release(): void {
    const next = this.#queue.shift();
    if (!next) {
      this.#running--;
      return;
    }
    clearTimeout(next.timer);
    next.admit();
  }

  #busy(why: string): ApiError {
    this.refused++;
    return new ApiError(503, `the server is busy (${why}); try again shortly`, { 'retry-after': RETRY_AFTER });
  }
}
