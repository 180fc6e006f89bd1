/**
 * What every handler shares: the catalog (with per-request query counting), one Source per object
 * location, the decoded-block and rendered-tile caches, and the per-request counters that end up in
 * the request log. Security lives here too: a dataset is reached only through its catalog keys, so
 * the server reads only objects that were ingested — no parameter ever names a location.
 */
import { CachedCatalog } from '../catalog/index.ts';
import { ByteLru } from '../util/index.ts';
import { catalogMembers, selectDatasets, validateKeys, validateKeyValues, type Catalog, type DatasetBounds, type DatasetRecord, type DatasetSummary, type KeySpec, type ListQuery, type SelectQuery } from '../catalog/index.ts';
import { BlockCache, type BlockCacheStats } from '../raster/index.ts';
import { ReadBudget, type ReadLimits } from '../raster/index.ts';
import type { StretchMetadata } from '../render/index.ts';
import { ObjectChangedError, ObjectMissingError, type ObjectInfo, type RangeResult, type ReadOptions, type Source } from '../source/index.ts';
import type { TileDataset } from '../pipeline/index.ts';
import { Admission, type AdmissionLimits } from './admission.ts';
import { notFound } from './errors.ts';
import { TileCache, type TileCacheOutcome } from './tile-cache.ts';

/** One line per request, for the logger option. */
export interface RequestLog {
  method: string;
  /** The path after the base path, without the query. */
  path: string;
  status: number;
  ms: number;
  /** Queries that reached the catalog store (answers from the in-memory catalog cache are not counted). */
  catalog: number;
  /** Requests made to object storage (range reads and HEADs; retries not counted). */
  source: number;
  cache: { tile?: TileCacheOutcome; blockHits: number; blockMisses: number; decodedBytes?: number };
  /** The original error of a 5xx answer (never sent to the client), or why a malformed request was refused. */
  error?: string;
}

/** Counters a request accumulates while it runs. */
export interface RequestStats {
  catalog: number;
  source: number;
  tile?: TileCacheOutcome;
  blocks: BlockCacheStats;
  error?: string;
  /** Source bytes and decoded pixels charged so far, against the per-request caps. */
  budget?: ReadBudget;
}

export const newStats = (): RequestStats => ({ catalog: 0, source: 0, blocks: { hits: 0, misses: 0, decodedBytes: 0 } });

/** createApi's options with their defaults applied. */
export interface ApiConfig {
  openSource: (location: string) => Source;
  basePath: string;
  publicUrl?: string;
  /** Honour X-Forwarded-Prefix in links: only where an adapter sets it (the serverless functions). */
  trustForwardedPrefix?: boolean;
  cacheControl: string;
  maxTileSize: number;
  tileCacheBytes: number;
  blockCacheBytes: number;
  /** Per-request caps on source bytes and decoded pixels (default DEFAULT_READ_LIMITS). */
  readLimits?: ReadLimits;
  /** Datasets one mosaic tile may combine; more is a 422 (mosaic.ts). */
  maxMosaicSources: number;
  /** Renders at once, and the queue behind them (admission.ts). */
  admission: AdmissionLimits;
}

/** Sources kept open at once (each is small; a file source holds a descriptor). */
const MAX_SOURCES = 256;

export class ApiContext {
  readonly blocks: BlockCache;
  readonly tiles: TileCache;
  /** Every render (tile, preview, /point read) runs through this. */
  readonly admission: Admission;
  readonly #cached?: CachedCatalog;
  #keys?: Promise<KeySpec[]>;
  /** What #keys resolved to, once it has. */
  #specs?: KeySpec[];
  #sources = new ByteLru<Source>(MAX_SOURCES, (_location, old) => void old.close?.().catch(() => undefined));

  constructor(readonly catalog: Catalog, readonly config: ApiConfig) {
    this.blocks = new BlockCache(config.blockCacheBytes);
    this.tiles = new TileCache(config.tileCacheBytes);
    this.admission = new Admission(config.admission);
    this.#cached = catalog instanceof CachedCatalog ? catalog : undefined;
  }

  /**
   * The catalog's key names, asked once per process (they change only by `catalog create`). A route
   * that knows which dataset it will ask for next passes its key values as `likely`: cold, the names
   * and that record then come in one store query (Catalog.lookup), and record() finds it cached.
   */
  keys(stats: RequestStats, likely?: () => string[] | undefined): Promise<KeySpec[]> {
    if (!this.#keys) {
      // a thunk: the guess is worth working out only while the names are unknown
      const guess = likely?.();
      const probe = guess && validValues(guess);
      const asked = this.#counted(stats, () => (probe ? this.catalog.lookup(probe).then((found) => found.keys) : this.catalog.keys()));
      this.#learn(asked);
    }
    return this.#keys!;
  }

  #learn(asked: Promise<KeySpec[]>): void {
    this.#keys = asked;
    asked.then((specs) => {
      if (this.#keys === asked) this.#specs = specs;
    }, () => {
      if (this.#keys === asked) this.#keys = undefined;
    });
  }

  /**
   * The dataset under these key values: 400 for malformed values, 404 when there is none. Cold (key
   * names not known yet) it is one lookup for both: each value is checked on its own first, the
   * number of values once the names are known.
   */
  async record(values: string[], stats: RequestStats): Promise<DatasetRecord> {
    let specs = this.#specs;
    // a malformed value is named by its key in the 400 ('key "band": …', not '#3'): worth asking the names
    if (!specs && !validValues(values)) specs = await this.keys(stats);
    let record: DatasetRecord | undefined;
    if (specs) {
      validateKeys(specs, values);
      record = await this.#counted(stats, () => this.catalog.get(values));
    } else {
      const found = await this.#counted(stats, () => this.catalog.lookup(values));
      specs = found.keys;
      if (!this.#keys) this.#learn(Promise.resolve(specs));
      validateKeys(specs, values);
      record = found.record;
    }
    if (!record) throw notFound(`no dataset with keys ${specs.map((k, i) => `${k.name}=${values[i]}`).join(', ')}`);
    return record;
  }

  /**
   * Count the store queries `ask` makes for this request's log. CachedCatalog counts a store query
   * synchronously inside the call, so the difference is exactly this request's share even with other
   * requests in flight; any other catalog is asked every time.
   */
  #counted<T>(stats: RequestStats, ask: () => Promise<T>): Promise<T> {
    const before = this.#cached?.queries ?? 0;
    const pending = ask();
    stats.catalog += this.#cached ? this.#cached.queries - before : 1;
    return pending;
  }

  /** A mosaic's datasets under a box: one indexed query cold, none warm (CachedCatalog.select). */
  select(query: SelectQuery, stats: RequestStats): Promise<DatasetRecord[]> {
    return this.#counted(stats, () => selectDatasets(this.catalog, query));
  }

  /** Keys and bounds of a mosaic's every member (the cached index when there is one). */
  members(where: SelectQuery['where'], stats: RequestStats): Promise<DatasetBounds[]> {
    return this.#counted(stats, () => catalogMembers(this.catalog, where));
  }

  list(query: ListQuery, stats: RequestStats): Promise<DatasetSummary[]> {
    stats.catalog++;
    return this.catalog.list(query);
  }

  /**
   * Absolute URL prefix for links in TileJSON and WMTS documents: the configured public URL, else the
   * request's own origin plus the base path. Forwarded-host headers are not trusted: a CDN would
   * cache a document pointing wherever a forged header said.
   */
  publicBase(requestUrl: string, forwardedPrefix?: string): string {
    if (this.config.publicUrl) return this.config.publicUrl.replace(/\/+$/, '');
    // A serverless adapter that stripped a stage ('/release') says so; links must put it back.
    const prefix = this.config.trustForwardedPrefix && forwardedPrefix && /^\/[\w.~-]+(\/[\w.~-]+)*$/.test(forwardedPrefix) ? forwardedPrefix : '';
    return new URL(requestUrl).origin + prefix + this.config.basePath;
  }

  /**
   * Run a read of these datasets' objects; if one was replaced or removed since ingest, forget its
   * record first, so the next request sees a re-ingest at once (the error still answers this one: 502).
   */
  async forgettingChanged<T>(records: readonly DatasetRecord[], run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof ObjectChangedError || err instanceof ObjectMissingError) for (const r of records) this.forget(r.keys);
      throw err;
    }
  }

  /** A replaced object was detected: forget its record so the next request sees a re-ingest at once. */
  forget(values: string[]): void {
    this.#cached?.invalidate(values);
  }

  /** A dataset ready for renderTile / readWindow, reading through counters for this request's log. */
  tileDataset(record: DatasetRecord, stats: RequestStats): TileDataset {
    stats.budget ??= new ReadBudget(this.config.readLimits);
    return { header: record.header, source: counted(this.source(record.location), stats), etag: record.etag, blockCache: this.blocks.loader(stats.blocks), budget: stats.budget };
  }

  /** One Source per location, kept (the least recently used closed past MAX_SOURCES) for its connections. */
  source(location: string): Source {
    let source = this.#sources.get(location);
    if (!source) this.#sources.set(location, source = this.config.openSource(location), 1);
    return source;
  }

}

/** What stretch bounds like null and "p2" resolve against: the dataset's ingested statistics. */
export function stretchStats(record: DatasetRecord): StretchMetadata {
  const m = record.metadata;
  return { min: m.min, max: m.max, percentiles: m.percentiles };
}

/** `values` when each is a valid key value (so worth a lookup), else undefined. */
function validValues(values: string[]): string[] | undefined {
  try {
    validateKeyValues(values);
    return values;
  } catch {
    return undefined;
  }
}

/** A per-request view of a shared Source that counts the requests it makes. */
function counted(source: Source, stats: RequestStats): Source {
  return {
    location: source.location,
    read(offset: number, length: number, options?: ReadOptions): Promise<RangeResult> {
      stats.source++;
      return source.read(offset, length, options);
    },
    head(options?: ReadOptions): Promise<ObjectInfo> {
      stats.source++;
      return source.head(options);
    },
  };
}

/** `fn` over `items` with at most `limit` running at once, results in order (bounded catalog fan-out). */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
