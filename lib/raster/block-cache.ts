/**
 * A decoded-block cache for readWindow (its `cache` option): neighbouring tiles and zoom levels read
 * the same internal blocks, and decoding (deflate of a 512² block: ~1.5 ms) is most of a tile's CPU.
 * Blocks are keyed by location + ETag + level + image + index, so a replaced object can never be
 * served from stale blocks; the cache is bounded in bytes (least recently used go first), and
 * concurrent reads of one block share one fetch and one decode (single flight).
 *
 * Cached blocks are shared between readers: assembleDecoded only reads them.
 *
 * Evicted blocks' buffers are inflated into again (`spare`) instead of left to the collector. V8
 * runs a full mark-compact at a rate that follows the ArrayBuffer bytes allocated, and a fresh tile
 * decodes ~0.6 MB of blocks. A buffer is reused only once no reader holds it: each block a reader
 * is given is pinned until the reader releases it (readPlan does, once assembled), and a block that
 * waiters may still be picking up stays pinned until the next macrotask. Buffers come in eighths of
 * a whole block (a window needs only a block's top rows), so a spare fits the next block of its size.
 */
import { ByteLru, releaseBytes } from '../util/index.ts';
import { readRanges } from '../source/index.ts';
import type { Source } from '../source/index.ts';
import type { CogHeader } from '../tiff/index.ts';
import type { BlockRef, WindowPlan } from './window-plan.ts';
import { blockRowsOf, decodeBlockRef, decodedRows, rowsNeeded, type BlockLoader } from './window.ts';

/** A block this reader fetches and decodes (for its first `rows` rows), and how its waiters hear of it. */
interface Pending {
  block: BlockRef;
  key: string;
  rows: number;
  /** Rows the window needed, when fewer than the block has (BlockCache's #firstRows). */
  first?: number;
  resolve: (b: Uint8Array) => void;
  reject: (e: unknown) => void;
}

/** Per-reader counters: blocks found in memory (or being loaded by another reader) vs fetched. */
export interface BlockCacheStats {
  hits: number;
  misses: number;
  /** Bytes of samples this reader decoded itself (its misses), for the request log and the fresh-tile bench. */
  decodedBytes?: number;
}

/** Spare buffers kept for reuse, at most (a few blocks' worth: evictions refill it as decodes drain it). */
const MAX_SPARE_BYTES = 4 << 20;
const MAX_SPARES = 12;

export class BlockCache {
  readonly maxBytes: number;
  #blocks: ByteLru<Uint8Array>;
  #inflight = new Map<string, Promise<Uint8Array>>();
  /** Readers (and in-flight hand-overs) holding each block's buffer; evicted ones wait here until free. */
  // weak: a reader that never releases (none in this code) leaks no buffer, it only keeps it from reuse
  #pins = new WeakMap<ArrayBufferLike, number>();
  #evicted = new WeakSet<ArrayBufferLike>();
  #spare: ArrayBuffer[] = [];
  #spareBytes = 0;
  /** Buffers handed out again instead of allocated, for tests and the bench. */
  reused = 0;
  /**
   * Of the blocks a window needed only the top of (`#trials`, halved past 64 with `#extensions`),
   * how many a later window read below those rows: most in a panning viewport, a few percent for
   * random tiles. Decoded short, such a block costs the fraction f of its rows, and the whole block
   * again if it is read further down (share p); decoded whole, the whole block. So it is decoded
   * short while f + p < 1. Viewport bench (2 workers): 0.61 → 0.50 blocks decoded a tile, 227 → 206
   * KiB inflated, 3.17–3.47 → 3.03–3.09 ms of CPU; fresh tiles unchanged (560 KiB).
   */
  #trials = 0;
  #extensions = 0;
  /** Rows the first window needed of a block it needed only the top of (decoded short or not). */
  #firstRows = new WeakMap<Uint8Array, number>();

  /** `maxBytes` of decoded samples kept (default 24 MiB: ~48 decoded 512² uint16 blocks). */
  constructor(maxBytes = 24 * 1024 * 1024) {
    this.maxBytes = maxBytes;
    this.#blocks = new ByteLru(maxBytes, (_key, bytes) => this.#retire(bytes.buffer));
  }

  get bytes(): number {
    return this.#blocks.bytes;
  }

  get size(): number {
    return this.#blocks.size;
  }

  /** A loader for readWindow that counts this reader's hits and misses into `stats`. */
  loader(stats?: BlockCacheStats): BlockLoader {
    return {
      load: (header, source, plan, options) => this.#load(header, source, plan, options, stats),
      release: (decoded) => this.#releaseAll(decoded),
    };
  }

  clear(): void {
    this.#blocks.clear();
  }

  #pin(bytes: Uint8Array): void {
    this.#pins.set(bytes.buffer, (this.#pins.get(bytes.buffer) ?? 0) + 1);
  }

  #unpin(buffer: ArrayBufferLike): void {
    const n = (this.#pins.get(buffer) ?? 1) - 1;
    if (n > 0) {
      this.#pins.set(buffer, n);
      return;
    }
    this.#pins.delete(buffer);
    if (this.#evicted.delete(buffer)) this.#keep(buffer);
  }

  #releaseAll(decoded: Map<BlockRef, Uint8Array | undefined>): void {
    for (const bytes of decoded.values()) if (bytes) this.#unpin(bytes.buffer);
    decoded.clear();
  }

  /** An evicted block: spare once no reader holds it. */
  #retire(buffer: ArrayBufferLike): void {
    if (this.#pins.has(buffer)) this.#evicted.add(buffer);
    else this.#keep(buffer);
  }

  #keep(buffer: ArrayBufferLike): void {
    if (!(buffer instanceof ArrayBuffer) || buffer.byteLength > MAX_SPARE_BYTES) return;
    this.#spare.push(buffer);
    this.#spareBytes += buffer.byteLength;
    while (this.#spare.length > MAX_SPARES || this.#spareBytes > MAX_SPARE_BYTES) this.#spareBytes -= this.#spare.shift()!.byteLength;
  }

  /** A buffer for `needed` bytes of a `whole`-byte block: a spare of its eighth (or the next), else a new one. */
  #take(needed: number, whole: number): Uint8Array {
    const unit = Math.ceil(whole / 8);
    const size = Math.min(whole, Math.ceil(needed / unit) * unit);
    let best = -1;
    for (let i = 0; i < this.#spare.length; i++) {
      const len = this.#spare[i].byteLength;
      if (len >= size && len <= Math.min(whole, size + unit) && (best < 0 || len < this.#spare[best].byteLength)) best = i;
    }
    if (best < 0) return new Uint8Array(Buffer.allocUnsafeSlow(size).buffer, 0, size);
    const [buffer] = this.#spare.splice(best, 1);
    this.#spareBytes -= buffer.byteLength;
    this.reused++;
    return new Uint8Array(buffer);
  }

  /** Rows to decode of a block a window needs `rows` of (out of `full`, more): those, or all of them. */
  #decodeRows(rows: number, full: number): number {
    const share = this.#trials > 0 ? this.#extensions / this.#trials : 0;
    this.#trials++;
    if (this.#trials > 64) {
      this.#trials /= 2;
      this.#extensions /= 2;
    }
    return rows / full < 1 - share ? rows : Infinity;
  }

  /** A window reads `rows` of a block: below the rows its first window needed counts once, as an extension. */
  #reachedBelow(bytes: Uint8Array, rows: number): void {
    const first = this.#firstRows.get(bytes);
    if (first === undefined || rows <= first) return;
    this.#firstRows.delete(bytes);
    this.#extensions = Math.min(this.#trials, this.#extensions + 1);
  }

  async #load(
    header: CogHeader, source: Source, plan: WindowPlan,
    options: { signal?: AbortSignal; etag?: string }, stats?: BlockCacheStats,
  ): Promise<Map<BlockRef, Uint8Array | undefined>> {
    const decoded = new Map<BlockRef, Uint8Array | undefined>();
    try {
      return await this.#collect(header, source, plan, options, decoded, stats);
    } catch (e) {
      this.#releaseAll(decoded);
      throw e;
    }
  }

  async #collect(
    header: CogHeader, source: Source, plan: WindowPlan, options: { signal?: AbortSignal; etag?: string },
    decoded: Map<BlockRef, Uint8Array | undefined>, stats?: BlockCacheStats,
  ): Promise<Map<BlockRef, Uint8Array | undefined>> {
    const prefix = `${source.location}\u0000${options.etag ?? `size:${header.size}`}\u0000${plan.level}\u0000`;
    // A block decoded for its top rows only (decode/deflate.ts) and kept, or being decoded, for fewer
    // rows than this window reaches is decoded again, whole this time, and replaces the shorter one
    // (after waiting on others' decodes, a second round). Random fresh tiles inflate ~35% fewer bytes
    // so; tiles of a panning viewport decode some blocks twice.
    let todo = plan.blocks, again = false;
    while (todo.length > 0) {
      const short: BlockRef[] = [];
      let waitedShort = 0;
      const waits: Promise<unknown>[] = [];
      const mine: Pending[] = [];
      for (const b of todo) {
        // Sparse blocks (no bytes) read as the fill value; there is nothing to fetch or keep.
        if (b.byteCount <= 0 || b.offset <= 0) {
          decoded.set(b, undefined);
          continue;
        }
        const key = `${prefix}${b.image}:${b.index}`;
        const rows = rowsNeeded(header, plan, b);
        const enough = (bytes: Uint8Array) => decodedRows(header, plan.level, b, bytes) >= rows;
        const hit = this.#blocks.get(key);
        if (hit && enough(hit)) {
          this.#reachedBelow(hit, rows);
          this.#pin(hit);
          decoded.set(b, hit);
          if (stats) stats.hits++;
          continue;
        }
        // a short block read below its rows: decoded again below, whole
        if (hit) this.#reachedBelow(hit, rows);
        const pending = this.#inflight.get(key);
        if (pending) {
          waits.push(pending.then((bytes) => (enough(bytes) ? (this.#reachedBelow(bytes, rows), this.#pin(bytes), decoded.set(b, bytes)) : (waitedShort++, short.push(b)))));
          if (stats) stats.hits++;
          continue;
        }
        let resolve!: (b: Uint8Array) => void, reject!: (e: unknown) => void;
        const promise = new Promise<Uint8Array>((res, rej) => { resolve = res; reject = rej; });
        // Another reader may wait on it; an unobserved rejection must not crash the process.
        promise.catch(() => undefined);
        this.#inflight.set(key, promise);
        // Decoded again, a block is decoded whole: neighbouring windows are reading it.
        const full = blockRowsOf(header, plan.level, b);
        const first = again || hit || rows >= full ? undefined : rows;
        mine.push({ block: b, key, rows: first === undefined ? Infinity : this.#decodeRows(first, full), first, resolve, reject });
        if (stats) stats.misses++;
      }
      if (mine.length > 0) waits.push(this.#fetch(header, source, plan.level, mine, options, decoded, stats));
      await Promise.all(waits);
      // a waited-on decode that fell short was counted a hit: it is a miss after all
      if (stats) stats.hits -= waitedShort;
      todo = short;
      again = true;
    }
    return decoded;
  }

  /** Fetch this reader's blocks in coalesced ranges, decode, publish each to the cache and its waiters. */
  async #fetch(
    header: CogHeader, source: Source, level: number,
    mine: Pending[],
    options: { signal?: AbortSignal; etag?: string }, decoded: Map<BlockRef, Uint8Array | undefined>, stats?: BlockCacheStats,
  ): Promise<void> {
    try {
      // No abort signal: other readers may be waiting on these blocks, and one client going away
      // must not fail them. The fetch is bounded by the source's own timeouts.
      const ranges = mine.map(({ block }) => ({ offset: block.offset, length: block.byteCount }));
      const buffers = await readRanges(source, ranges, { etag: options.etag });
      await Promise.all(mine.map(async (m, i) => {
        // predictor 2 deferred: copyBlock, the only reader of cached blocks, settles the rows it reads
        const bytes = await decodeBlockRef(header, level, m.block, buffers[i], m.rows, { buffer: (needed, whole) => this.#take(needed, whole), deferPredictor: true });
        // this reader's pin, and one for waiters still to pick it up (their callbacks run before the next macrotask)
        this.#pin(bytes);
        this.#pin(bytes);
        setImmediate(() => this.#unpin(bytes.buffer));
        decoded.set(m.block, bytes);
        if (m.first !== undefined) this.#firstRows.set(bytes, m.first);
        if (stats) stats.decodedBytes = (stats.decodedBytes ?? 0) + bytes.byteLength;
        this.#blocks.set(m.key, bytes, bytes.buffer.byteLength);
        this.#inflight.delete(m.key);
        m.resolve(bytes);
      }));
      // Every block is decoded, into buffers of its own (no codec returns a view of its input): the
      // compressed bytes go back to the read-buffer pool. Not on a failure: a decode may still run.
      releaseBytes(buffers);
    } catch (err) {
      // Failures are never cached: the next reader tries again.
      for (const m of mine) {
        if (this.#inflight.get(m.key)) this.#inflight.delete(m.key);
        m.reject(err);
      }
      throw err;
    }
  }

}
