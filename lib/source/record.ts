/**
 * A Source that remembers every request made through it, for `info --requests`, the bench and
 * tests that assert exact request lists. Inside a RetryingSource it sees each attempt; outside,
 * each logical read.
 */
import type { ObjectInfo, RangeResult, ReadOptions, Source } from './source.ts';

export interface RecordedRequest {
  kind: 'read' | 'head';
  /** As asked; 0 for a head. */
  offset: number;
  length: number;
  /** Bytes that came back (fewer at the end of the object; 0 on failure). */
  bytes: number;
  ms: number;
  /** The failure's message, when it failed. */
  error?: string;
}

export class RecordingSource implements Source {
  readonly requests: RecordedRequest[] = [];

  constructor(readonly inner: Source) {}

  get location(): string {
    return this.inner.location;
  }

  get count(): number {
    return this.requests.length;
  }

  get bytesRead(): number {
    return this.requests.reduce((n, r) => n + r.bytes, 0);
  }

  /** Forgets what was recorded so far (between bench phases). */
  reset(): void {
    this.requests.length = 0;
  }

  read(offset: number, length: number, options?: ReadOptions): Promise<RangeResult> {
    return this.record('read', offset, length, () => this.inner.read(offset, length, options), (r) => r.bytes.length);
  }

  head(options?: ReadOptions): Promise<ObjectInfo> {
    return this.record('head', 0, 0, () => this.inner.head(options), () => 0);
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }

  private async record<T>(kind: RecordedRequest['kind'], offset: number, length: number, call: () => Promise<T>, bytes: (r: T) => number): Promise<T> {
    const t0 = performance.now();
    const entry: RecordedRequest = { kind, offset, length, bytes: 0, ms: 0 };
    // Pushed before the call so the list keeps the order requests were made in.
    this.requests.push(entry);
    try {
      const result = await call();
      entry.bytes = bytes(result);
      return result;
    } catch (err) {
      entry.error = err instanceof Error ? err.message : String(err);
      throw err;
    } finally {
      entry.ms = performance.now() - t0;
    }
  }
}
