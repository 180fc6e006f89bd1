/**
 * A decoded-block cache for readWindow (its `cache` option): neighbouring tiles and zoom levels read
 * the same internal blocks, and decoding (deflate of a 512² block: ~1.5 ms) is most of a tile's CPU.
 * Blocks are keyed by location + ETag + level + image + index, so a replaced object can never be
 * served from stale blocks; the cache is bounded in bytes (least recently used go first), and
 * concurrent reads of one block share one fetch and one decode (single flight).
 *
 * Cached blocks are shared between readers: assembleDecoded only reads them.
 */
import { ByteLru, releaseBytes } from '../util/index.ts';
import { readRanges } from '../source/index.ts';
import type { Source } from '../source/index.ts';
import type { CogHeader } from '../tiff/index.ts';
import type { BlockRef, WindowPlan } from './window-plan.ts';
import { decodeBlockRef, decodedRows, rowsNeeded, type BlockLoader } from './window.ts';

/** A block this reader fetches and decodes (for its first `rows` rows), and how its waiters hear of it. */
interface Pending {
  block: BlockRef;
  key: string;
  rows: number;
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

export class BlockCache {
  readonly maxBytes: number;
  #blocks: ByteLru<Uint8Array>;
  #inflight = new Map<string, Promise<Uint8Array>>();

  /** `maxBytes` of decoded samples kept (default 24 MiB: ~48 decoded 512² uint16 blocks). */
  constructor(maxBytes = 24 * 1024 * 1024) {
    this.maxBytes = maxBytes;
    this.#blocks = new ByteLru(maxBytes);
  }

  get bytes(): number {
    return this.#blocks.bytes;
  }

  get size(): number {
    return this.#blocks.size;
  }

  /** A loader for readWindow that counts this reader's hits and misses into `stats`. */
  loader(stats?: BlockCacheStats): BlockLoader {
    return { load: (header, source, plan, options) => this.#load(header, source, plan, options, stats) };
  }

  clear(): void {
    this.#blocks.clear();
  }

  async #load(
    header: CogHeader, source: Source, plan: WindowPlan,
    options: { signal?: AbortSignal; etag?: string }, stats?: BlockCacheStats,
  ): Promise<Map<BlockRef, Uint8Array | undefined>> {
    const decoded = new Map<BlockRef, Uint8Array | undefined>();
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
          decoded.set(b, hit);
          if (stats) stats.hits++;
          continue;
        }
        const pending = this.#inflight.get(key);
        if (pending) {
          waits.push(pending.then((bytes) => (enough(bytes) ? decoded.set(b, bytes) : (waitedShort++, short.push(b)))));
          if (stats) stats.hits++;
          continue;
        }
        let resolve!: (b: Uint8Array) => void, reject!: (e: unknown) => void;
        const promise = new Promise<Uint8Array>((res, rej) => { resolve = res; reject = rej; });
        // Another reader may wait on it; an unobserved rejection must not crash the process.
        promise.catch(() => undefined);
        this.#inflight.set(key, promise);
        // Decoded again, a block is decoded whole: neighbouring windows are reading it.
        mine.push({ block: b, key, rows: again || hit ? Infinity : rows, resolve, reject });
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
        const bytes = await decodeBlockRef(header, level, m.block, buffers[i], m.rows);
        decoded.set(m.block, bytes);
        if (stats) stats.decodedBytes = (stats.decodedBytes ?? 0) + bytes.byteLength;
        this.#blocks.set(m.key, bytes, bytes.byteLength);
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
