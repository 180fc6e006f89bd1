/**
 * Rendered tiles by ETag, bounded in bytes: a map lookup answers a tile requested again (map clients
 * and CDNs ask for the same tiles over and over), and concurrent requests for one tile share one
 * render (single flight). The ETag already names the datasets' object versions and the normalised
 * request, so an entry can never be stale: nothing here needs a TTL.
 */
import { ByteLru } from '../util/index.ts';

export interface CachedTile {
  bytes: Uint8Array;
  contentType: string;
  empty: boolean;
}

export type TileCacheOutcome = 'hit' | 'shared' | 'miss';

export class TileCache {
  readonly maxBytes: number;
  #tiles: ByteLru<CachedTile>;
  #inflight = new Map<string, Promise<CachedTile>>();

  /** `maxBytes` of encoded tiles kept; 0 turns the cache off (single flight stays). */
  constructor(maxBytes = 16 * 1024 * 1024) {
    this.maxBytes = maxBytes;
    this.#tiles = new ByteLru(maxBytes);
  }

  get bytes(): number {
    return this.#tiles.bytes;
  }

  get size(): number {
    return this.#tiles.size;
  }

  /**
   * The tile under `etag`: from memory, from a render already running, or from `render()` now.
   * Says which, for the request log. A failed render is never kept.
   */
  async get(etag: string, render: () => Promise<CachedTile>): Promise<{ tile: CachedTile; outcome: TileCacheOutcome }> {
    const hit = this.#tiles.get(etag);
    if (hit) return { tile: hit, outcome: 'hit' };
    const pending = this.#inflight.get(etag);
    if (pending) return { tile: await pending, outcome: 'shared' };
    const promise = render();
    this.#inflight.set(etag, promise);
    try {
      const tile = await promise;
      this.#remember(etag, tile);
      return { tile, outcome: 'miss' };
    } finally {
      this.#inflight.delete(etag);
    }
  }

  clear(): void {
    this.#tiles.clear();
  }

  #remember(etag: string, tile: CachedTile): void {
    // An encoder's output may be a view into a larger buffer: keep only the bytes, or the bound lies.
    if (tile.bytes.buffer.byteLength > tile.bytes.byteLength + 4096) tile = { ...tile, bytes: tile.bytes.slice() };
    // The key and bookkeeping cost ~200 bytes besides the image itself.
    this.#tiles.set(etag, tile, tile.bytes.byteLength + 200);
  }
}
