/**
 * An in-memory LRU in front of any catalog store, so a warm function answers repeated tiles of a
 * dataset with no catalog query at all. Bounded in bytes (a COG header with many blocks is large),
 * remembers unknown keys for a few seconds so a flood of 404s does not reach the store, and lets
 * concurrent gets of one dataset share one store query.
 *
 * Records handed out are shared between callers: treat them as read-only.
 * Writes through this wrapper invalidate at once; writes by other processes are seen after `ttlMs`,
 * or at once after `invalidate(keys)` (the tile path calls it when a source's ETag no longer matches).
 *
 * While the store is down (it fails 'unavailable'), reads fail fast (outage.ts) and a record past its
 * ttl keeps answering for up to `staleMs` more: it names its object's ETag, which every read is
 * pinned to, so a stale record never renders wrong pixels; an object replaced meanwhile is a 502
 * that forgets it. Key names, once known, are never asked again.
 */
import { ByteLru } from '../util/index.ts';
import { validateKeyValues } from './catalog.ts';
import { isUnavailable, Outage } from './outage.ts';
import { filterKey, filterMembers, listMembers, selectByMembers } from './select.ts';
import type {
  Catalog, CatalogInfo, DatasetBounds, DatasetRecord, DatasetSummary, KeySpec, ListQuery, Lookup, PutResult, SelectQuery,
} from './catalog.ts';

export interface CacheOptions {
  /** Estimated bytes of records kept; the least recently used go first. Default 32 MiB. */
  maxBytes?: number;
  /** How long a record is trusted before the store is asked again. Default 60 s. */
  ttlMs?: number;
  /** How long an unknown dataset is remembered as unknown. Default 5 s; 0 turns the negative cache off. */
  missTtlMs?: number;
  /** The most unknown keys remembered at once. Default 10,000. */
  maxMisses?: number;
  /** How long past `ttlMs` a record keeps answering while the store is unavailable. Default 1 h; 0 turns it off. */
  staleMs?: number;
  /** After the store failed 'unavailable', how long calls fail at once before one asks it again. Default 1 s. */
  backoffMs?: number;
  /** Where the outage's lines go (it started, stale records answer, it ended). Default console.warn. */
  log?: (line: string) => void;
}

export interface CacheStats {
  /** gets answered from memory: a record, or a remembered miss */
  hits: number;
  negativeHits: number;
  /** gets and lookups that queried the store (concurrent ones sharing one query count once) */
  misses: number;
  /** Every read that reached the store: record misses, key names, lists, counts and info. */
  queries: number;
  evictions: number;
  entries: number;
  bytes: number;
}

interface Entry {
  record: DatasetRecord;
  expires: number;
}

/** Mosaic filters whose index is kept at once (an index of 10,000 datasets is about 1 MB). */
const MAX_INDEXES = 32;

/** Values cannot hold control characters, so NUL joins them without ambiguity. */
const cacheKey = (keys: string[]) => keys.join('\u0000');

export class CachedCatalog implements Catalog {
  readonly maxBytes: number;
  readonly ttlMs: number;
  readonly missTtlMs: number;
  readonly maxMisses: number;
  readonly staleMs: number;
  #entries: ByteLru<Entry>;
  #outage: Outage;
  #misses = new Map<string, number>();
  #inflight = new Map<string, Promise<DatasetRecord | undefined>>();
  #keys?: Promise<KeySpec[]>;
  /** What #keys resolved to, once it has. */
  #specs?: KeySpec[];
  /** Cold lookups in flight, by cacheKey: concurrent ones of one dataset share one store query. */
  #lookups = new Map<string, Promise<Lookup>>();
  /** Mosaic indexes: each filter's members (keys and bounds), by filterKey, oldest first. */
  #indexes = new Map<string, { members: Promise<DatasetBounds[]>; expires: number }>();
  /** Bumped by every write, so a get that started before a write does not cache what it read. */
  #generation = 0;
  #stats = { hits: 0, negativeHits: 0, misses: 0, queries: 0 };

  constructor(readonly inner: Catalog, options: CacheOptions = {}) {
    this.maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
    this.ttlMs = options.ttlMs ?? 60_000;
    this.missTtlMs = options.missTtlMs ?? 5_000;
    this.maxMisses = options.maxMisses ?? 10_000;
    this.staleMs = options.staleMs ?? 3_600_000;
    this.#entries = new ByteLru(this.maxBytes);
    this.#outage = new Outage(options.backoffMs ?? 1000, options.log ?? ((line) => console.warn(line)));
  }

  get uri(): string {
    return this.inner.uri;
  }

  get timeoutMs(): number | undefined {
    return this.inner.timeoutMs;
  }

  /** Ask the store (counted), unless it is down: see outage.ts. */
  #ask<T>(ask: () => Promise<T>): Promise<T> {
    return this.#outage.run(() => {
      this.#stats.queries++;
      return ask();
    });
  }

  /** Store queries so far (stats.queries without building the whole record: read twice a request). */
  get queries(): number {
    return this.#stats.queries;
  }

  get stats(): CacheStats {
    return { ...this.#stats, evictions: this.#entries.evictions, entries: this.#entries.size, bytes: this.#entries.bytes };
  }

  get(keys: string[]): Promise<DatasetRecord | undefined> {
    const key = cacheKey(keys);
    const now = Date.now();
    const entry = this.#entries.get(key);
    if (entry && entry.expires > now) {
      this.#stats.hits++;
      return Promise.resolve(entry.record);
    }
    const missUntil = this.#misses.get(key);
    if (missUntil !== undefined && missUntil > now) {
      this.#stats.hits++;
      this.#stats.negativeHits++;
      return Promise.resolve(undefined);
    }
    return this.#inflight.get(key) ?? this.#fetch(keys, key);
  }

  /**
   * With the key names known, a get (from memory when cached). Without them, the store's lookup —
   * key names and record in one query — shared by concurrent lookups of the dataset, and its answer
   * fills both caches.
   */
  lookup(values: string[]): Promise<Lookup> {
    const specs = this.#specs;
    if (specs) {
      const copy = () => specs.map((k) => ({ ...k }));
      if (values.length !== specs.length) {
        return Promise.resolve().then(() => {
          validateKeyValues(values);
          return { keys: copy(), record: undefined };
        });
      }
      return this.get(values).then((record) => ({ keys: copy(), record }));
    }
    const key = cacheKey(values);
    const shared = this.#lookups.get(key) ?? this.#lookupStore(values, key);
    return shared.then(({ keys, record }) => ({ keys: keys.map((k) => ({ ...k })), record }));
  }

  #lookupStore(values: string[], key: string): Promise<Lookup> {
    this.#stats.misses++;
    const generation = this.#generation;
    const query = this.#ask(() => this.inner.lookup(values)).then((found) => {
      if (generation === this.#generation) {
        if (!this.#keys) {
          this.#keys = Promise.resolve(found.keys);
          this.#specs = found.keys;
        }
        // a wrong number of values found nothing, and the store would refuse it: remember nothing
        if (values.length === found.keys.length) this.#remember(key, found.record);
      }
      return found;
    }).finally(() => {
      if (this.#lookups.get(key) === query) this.#lookups.delete(key);
      if (this.#inflight.get(key) === record) this.#inflight.delete(key);
    });
    // a get of the same dataset meanwhile joins this query instead of making its own
    const record = query.then((found) => found.record);
    record.catch(() => undefined); // its failure reaches whoever awaits it, not the process
    this.#lookups.set(key, query);
    if (!this.#inflight.has(key)) this.#inflight.set(key, record);
    return query;
  }

  /**
   * One store query for every concurrent get of these keys; its failure is passed on, never cached,
   * unless the store is unavailable and a record past its ttl is still within `staleMs`.
   */
  #fetch(keys: string[], key: string): Promise<DatasetRecord | undefined> {
    this.#stats.misses++;
    const generation = this.#generation;
    const query = this.#ask(() => this.inner.get(keys)).then((record) => {
      if (generation === this.#generation) this.#remember(key, record);
      return record;
    }, (e: unknown) => {
      const entry = isUnavailable(e) && this.#entries.get(key);
      const age = entry ? Date.now() - entry.expires : Infinity;
      if (!entry || age >= this.staleMs) throw e;
      this.#outage.servedStale(keys.join('/'), age + this.ttlMs);
      return entry.record;
    }).finally(() => {
      if (this.#inflight.get(key) === query) this.#inflight.delete(key);
    });
    this.#inflight.set(key, query);
    return query;
  }

  #remember(key: string, record: DatasetRecord | undefined): void {
    this.#drop(key);
    const now = Date.now();
    if (!record) {
      if (this.missTtlMs <= 0) return;
      this.#misses.set(key, now + this.missTtlMs);
      if (this.#misses.size > this.maxMisses) this.#misses.delete(this.#misses.keys().next().value!);
      return;
    }
    this.#entries.set(key, { record, expires: now + this.ttlMs }, estimateBytes(record));
  }

  #drop(key: string): void {
    this.#entries.delete(key);
    this.#misses.delete(key);
  }

  /**
   * A mosaic filter's members, from memory once asked (ttlMs, like records; any write through this
   * cache forgets every index). Stores without a members query cost one get per dataset the first time.
   */
  members(where?: SelectQuery['where']): Promise<DatasetBounds[]> {
    const key = filterKey(where);
    const now = Date.now();
    const cached = this.#indexes.get(key);
    if (cached && cached.expires > now) return cached.members;
    const generation = this.#generation;
    const members = this.inner.members ? this.#ask(() => this.inner.members!(where)) : listMembers(this, where);
    this.#indexes.delete(key);
    this.#indexes.set(key, { members, expires: now + this.ttlMs });
    if (this.#indexes.size > MAX_INDEXES) this.#indexes.delete(this.#indexes.keys().next().value!);
    members.then((m) => {
      if (generation !== this.#generation) this.#indexes.delete(key);
      return m;
    }, () => {
      if (this.#indexes.get(key)?.members === members) this.#indexes.delete(key);
    });
    return members;
  }

  /**
   * A mosaic tile's datasets. Warm (the filter's index in memory and its records cached): no store
   * query. Otherwise one: the store's indexed select (or the fallback), whose records are kept; the
   * filter's index is then loaded in the background, so the next tiles of the mosaic need none.
   */
  async select(query: SelectQuery): Promise<DatasetRecord[]> {
    const index = this.#indexes.get(filterKey(query.where));
    if (index && index.expires > Date.now()) {
      const hits = filterMembers(await index.members, query.bbox, query.limit);
      const now = Date.now();
      const records = hits.map((h) => this.#entries.get(cacheKey(h.keys))).filter((e) => e && e.expires > now).map((e) => e!.record);
      if (records.length === hits.length) {
        this.#stats.hits += records.length;
        return records;
      }
    }
    const generation = this.#generation;
    const records = this.inner.select
      ? await this.#ask(() => this.inner.select!(query))
      : await selectByMembers(this, query);
    if (generation === this.#generation) for (const r of records) this.#remember(cacheKey(r.keys), r);
    // after this request's query, not inside it: the index is for the tiles that follow
    if (!index) void this.members(query.where).catch(() => undefined);
    return records;
  }

  /** Forget one dataset (its object changed under us), or everything. */
  invalidate(keys?: string[]): void {
    this.#generation++;
    this.#indexes.clear();
    if (!keys) {
      this.#entries.clear();
      this.#misses.clear();
      this.#inflight.clear();
      this.#lookups.clear();
      this.#keys = undefined;
      this.#specs = undefined;
      return;
    }
    const key = cacheKey(keys);
    this.#drop(key);
    this.#inflight.delete(key);
    this.#lookups.delete(key);
  }

  /** Invalidate before (no get started now may join an old query) and after (none that ran meanwhile may stick). */
  async #write<T>(keys: string[] | undefined, write: () => Promise<T>): Promise<T> {
    this.invalidate(keys);
    try {
      return await write();
    } finally {
      this.invalidate(keys);
    }
  }

  put(record: DatasetRecord): Promise<PutResult> {
    return this.#write(record.keys, () => this.inner.put(record));
  }

  delete(keys: string[]): Promise<boolean> {
    return this.#write(keys, () => this.inner.delete(keys));
  }

  create(keys: KeySpec[]): Promise<void> {
    return this.#write(undefined, () => this.inner.create(keys));
  }

  migrate(): Promise<{ from: number; to: number }> {
    return this.#write(undefined, () => this.inner.migrate());
  }

  /** Key names change only by create/migrate, so they are asked once; a failure is asked again. */
  keys(): Promise<KeySpec[]> {
    if (!this.#keys) this.#learnKeys(this.#ask(() => this.inner.keys()));
    return this.#keys!.then((specs) => specs.map((k) => ({ ...k })));
  }

  #learnKeys(asked: Promise<KeySpec[]>): void {
    this.#keys = asked;
    asked.then((specs) => {
      if (this.#keys === asked) this.#specs = specs;
    }, () => {
      if (this.#keys === asked) this.#keys = undefined;
    });
  }

  list(query?: ListQuery): Promise<DatasetSummary[]> {
    return this.#ask(() => this.inner.list(query));
  }

  count(where?: ListQuery['where']): Promise<number> {
    return this.#ask(() => this.inner.count(where));
  }

  info(): Promise<CatalogInfo> {
    return this.#ask(() => this.inner.info());
  }

  async close(): Promise<void> {
    this.invalidate();
    await this.inner.close();
  }
}

/**
 * Rough bytes a record holds in memory, without re-serialising it: block offsets and byte counts
 * dominate a header (two doubles per block), then the metadata (footprint, percentiles), then a
 * fixed share for the small fields.
 */
export function estimateBytes(record: DatasetRecord): number {
  let bytes = 2048 + 2 * record.location.length;
  for (const { image, mask } of record.header.levels) {
    for (const im of mask ? [image, mask] : [image]) bytes += 512 + 8 * (im.offsets.length + im.byteCounts.length) + (im.jpegTables?.length ?? 0);
  }
  return bytes + 2 * JSON.stringify(record.metadata).length;
}
