/**
 * Fail fast while the catalog store is down. Every call to a store that stopped answering waits its
 * whole timeout; after the first one fails 'unavailable' the store is not asked again for
 * `backoffMs`, then by one call at a time (the probe) until one succeeds: the rest fail at once
 * with the last failure's message (or are answered from stale records by the caller). One line is
 * logged when the outage starts, one when a stale record first answers, one when the store is back.
 *
 * Hand-written rather than a library's circuit breaker: cockatiel's makes the other callers wait
 * for the probe (up to the whole timeout) and needs Node 22; opossum's opens on an error rate over
 * a rolling window, not on one 'unavailable' among successes of another kind.
 */
import { CatalogError } from './catalog.ts';

interface Down {
  since: number;
  /** No probe before this. */
  retryAt: number;
  probing: boolean;
  last: CatalogError;
  stale: number;
  notAsked: number;
}

export const isUnavailable = (e: unknown): e is CatalogError => e instanceof CatalogError && e.code === 'unavailable';

export class Outage {
  #down?: Down;

  constructor(readonly backoffMs: number, readonly log: (line: string) => void) {}

  get down(): boolean {
    return this.#down !== undefined;
  }

  /**
   * `ask` the store, unless it is down and this call is not the probe: then fail at once. `ask` runs
   * synchronously when it runs (callers count store queries by it).
   */
  run<T>(ask: () => Promise<T>): Promise<T> {
    const down = this.#down;
    let probe = false;
    if (down) {
      if (down.probing || Date.now() < down.retryAt) {
        down.notAsked++;
        return Promise.reject(new CatalogError(`${down.last.message} (not asked again for ${this.backoffMs} ms)`, 'unavailable'));
      }
      down.probing = probe = true;
    }
    let asked: Promise<T>;
    try {
      asked = ask();
    } catch (e) {
      asked = Promise.reject(e);
    }
    return asked.then((value) => {
      this.#up();
      return value;
    }, (e: unknown) => {
      if (isUnavailable(e)) this.#failed(e);
      // any other answer is not a verdict on the store (a bad key value never reaches it): let the next call probe
      else if (probe && this.#down) this.#down.probing = false;
      throw e;
    });
  }

  /** A record past its ttl answered because the store is down: logged the first time in an outage. */
  servedStale(name: string, ageMs: number): void {
    const down = this.#down;
    if (!down) return;
    if (down.stale++ === 0) this.log(`taoguan catalog: answering from records kept in memory while the store is down (first: ${name}, ${(ageMs / 1000).toFixed(1)} s old)`);
  }

  #failed(e: CatalogError): void {
    const now = Date.now();
    if (!this.#down) {
      this.#down = { since: now, retryAt: 0, probing: false, last: e, stale: 0, notAsked: 0 };
      this.log(`taoguan catalog: ${e.message}; asking again every ${this.backoffMs} ms, one call at a time`);
    }
    Object.assign(this.#down, { retryAt: now + this.backoffMs, probing: false, last: e });
  }

  #up(): void {
    const down = this.#down;
    if (!down) return;
    this.#down = undefined;
    this.log(`taoguan catalog: the store answers again after ${((Date.now() - down.since) / 1000).toFixed(1)} s `
      + `(meanwhile ${down.stale} answers from stale records, ${down.notAsked} calls not sent to it)`);
  }
}
