/**
 * Timeouts and bounded retries around any Source, so an origin fault becomes a clear error within a
 * known time instead of a hang. The caller's AbortSignal always wins at once, even mid-backoff.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { errorCode } from './check.ts';
import { ObjectChangedError, SourceError, SourceTimeoutError } from './source.ts';
import type { ObjectInfo, RangeResult, ReadOptions, Source } from './source.ts';

export interface RetryOptions {
  /** Retries after the first attempt. Default 3. */
  retries?: number;
  /** Per attempt. Default 10 000 ms. */
  timeoutMs?: number;
  /** For all attempts and the waits between them. Default 20 000 ms (under API gateways' 30 s). */
  totalMs?: number;
  /** First backoff; it doubles each retry, with jitter, up to maxDelayMs. Default 100 ms. */
  baseDelayMs?: number;
  /** Default 2 000 ms. */
  maxDelayMs?: number;
  /** Called before each wait, e.g. to log the fault. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Whether another attempt could succeed: never for a changed object, a 4xx (but 408/429) or an abort. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof ObjectChangedError) return false;
  if (err instanceof SourceError) return err.retryable;
  const code = errorCode(err);
  return code !== undefined && TRANSIENT_CODES.has(code);
}

export class RetryingSource implements Source {
  private readonly o: Required<Omit<RetryOptions, 'onRetry'>> & Pick<RetryOptions, 'onRetry'>;

  constructor(readonly inner: Source, options: RetryOptions = {}) {
    this.o = { retries: 3, timeoutMs: 10_000, totalMs: 20_000, baseDelayMs: 100, maxDelayMs: 2_000, ...options };
  }

  get location(): string {
    return this.inner.location;
  }

  read(offset: number, length: number, options: ReadOptions = {}): Promise<RangeResult> {
    return this.run(options, (signal) => this.inner.read(offset, length, { ...options, signal }));
  }

  head(options: ReadOptions = {}): Promise<ObjectInfo> {
    return this.run(options, (signal) => this.inner.head({ ...options, signal }));
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }

  private async run<T>(options: ReadOptions, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const caller = options.signal;
    const deadline = performance.now() + this.o.totalMs;
    for (let attempt = 0; ; attempt++) {
      caller?.throwIfAborted();
      const ms = Math.min(this.o.timeoutMs, Math.max(1, Math.round(deadline - performance.now())));
      try {
        return await this.attempt(call, ms, caller);
      } catch (err) {
        if (caller?.aborted) throw caller.reason;
        if (attempt >= this.o.retries || !isRetryable(err)) throw err;
        // Equal jitter: spreads retries from many functions, yet always waits half the step.
        const step = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** attempt);
        const delay = Math.round(step / 2 + (Math.random() * step) / 2);
        // A retry left with only a sliver of the time budget would just time out and hide the real error.
        if (performance.now() + delay + Math.min(this.o.timeoutMs, 50) >= deadline) throw err;
        this.o.onRetry?.(err, attempt + 1, delay);
        await sleep(delay, undefined, { signal: caller }).catch(() => caller?.throwIfAborted());
      }
    }
  }

  /** Races the call against its timeout, so a source that ignores its signal still cannot hang us. */
  private async attempt<T>(call: (signal: AbortSignal) => Promise<T>, ms: number, caller?: AbortSignal): Promise<T> {
    const timeout = AbortSignal.timeout(ms);
    const signal = caller ? AbortSignal.any([caller, timeout]) : timeout;
    const failure = () => (caller?.aborted ? caller.reason : new SourceTimeoutError(this.location, ms));
    let onAbort = (): void => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(failure());
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([call(signal), aborted]);
    } catch (err) {
      throw signal.aborted ? failure() : err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
}

export function withRetry(source: Source, options?: RetryOptions): RetryingSource {
  return new RetryingSource(source, options);
}
