/**
 * A least-recently-used map bounded in bytes: the one mechanism behind the catalog cache, the
 * decoded-block cache and the rendered-tile cache. A Map's iteration order is its insertion order,
 * so a hit re-inserts its entry at the end and eviction takes from the front.
 */
export class ByteLru<V> {
  #entries = new Map<string, { value: V; bytes: number }>();
  #bytes = 0;
  /** Entries pushed out to make room (not deletes, not replacements). */
  evictions = 0;

  /** `onEvict` hears of entries pushed out to make room (a Source to close, say), not of deletes. */
  constructor(readonly maxBytes: number, private readonly onEvict?: (key: string, value: V) => void) {}

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value under `key`, marked most recently used; undefined when absent. */
  get(key: string): V | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, e);
    return e.value;
  }

  /** Keep `value` as costing `bytes`; a value larger than the whole bound is not kept at all. */
  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    if (bytes > this.maxBytes) return;
    this.#entries.set(key, { value, bytes });
    this.#bytes += bytes;
    for (const [oldest, e] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= e.bytes;
      this.evictions++;
      this.onEvict?.(oldest, e.value);
    }
  }

  delete(key: string): boolean {
    const e = this.#entries.get(key);
    if (!e) return false;
    this.#entries.delete(key);
    this.#bytes -= e.bytes;
    return true;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
