/**
 * What every provider's functions share: the API and the catalog as module-level lazy singletons, so
 * a warm instance reuses its catalog connection, header LRU, decoded-block and tile caches and the
 * shared S3 clients' keep-alive pools; and the ingest run over object records.
 */
import { handleObjectEvents, throwOnFailures, type ObjectRecord, type RecordResult } from '../lib/ingest/index.ts';
import { limitsFor, machineMemoryMb } from '../lib/api/index.ts';
import { createApi, type Api } from '../lib/api/index.ts';
import { DEFAULT_READ_LIMITS } from '../lib/raster/index.ts';
import type { Catalog } from '../lib/catalog/index.ts';
import { openCatalog } from '../lib/catalog/index.ts';
import { compilePattern, compileRegex, type KeyPattern } from '../lib/ingest/index.ts';
import { checkLocation, openAllowed } from '../lib/source/index.ts';
import type { S3Credentials } from '../lib/source/index.ts';
import type { ReadOptions, Source } from '../lib/source/index.ts';
import { ConfigError, type IngestConfig, type TilesConfig } from './config.ts';
import { BASE_MB, cacheBudget, ingestCaps, memoryLimitMb, MIN_REQUEST_MB, requestMemory, tileCaps } from './memory.ts';

/** Role credentials handed over per invocation (FC's context.credentials); they rotate while an instance lives. */
let credentials: S3Credentials | undefined;

export function setCredentials(next: S3Credentials | undefined): void {
  credentials = next;
}

const withCredentials = (options: TilesConfig['openOptions']) => (credentials ? { ...options, credentials } : options);

/**
 * The API keeps one Source per location for the instance's life; this one re-opens its inner source
 * when the credentials have rotated, so a long-lived warm instance never signs with expired keys.
 */
function rotatingSource(location: string, config: TilesConfig): Source {
  let inner: Source | undefined, signedWith: S3Credentials | undefined;
  const current = (): Source => {
    if (!inner || signedWith !== credentials) {
      // a remote location is checked by its name, a local file by where its links lead, at every open
      inner = openAllowed(location, withCredentials(config.openOptions), config.policy);
      signedWith = credentials;
    }
    return inner;
  };
  return {
    location,
    read: (offset: number, length: number, options?: ReadOptions) => current().read(offset, length, options),
    head: (options?: ReadOptions) => current().head(options),
    close: async () => inner?.close?.(),
  };
}

let tiles: Promise<Api> | undefined;

/** The tiles API, built on the first invocation from a configuration validated at module load. */
export function tilesApi(config: TilesConfig, context?: unknown): Promise<Api> {
  tiles ??= (async () => {
    const memoryMb = memoryLimitMb(context);
    // Sized to the instance's memory unless TAOGUAN_TILE_CACHE_MB / TAOGUAN_BLOCK_CACHE_MB say otherwise.
    const budget = cacheBudget(memoryMb);
    const tileCacheBytes = config.tileCacheBytes ?? budget.tileCacheBytes, blockCacheBytes = config.blockCacheBytes ?? budget.blockCacheBytes;
    // What is left after the caches is what one request may use: a tile that cannot fit is a 422, not a killed instance.
    const caps = tileCaps(leftForRequests(memoryMb, (tileCacheBytes ?? 0) + (blockCacheBytes ?? 0), 'TAOGUAN_TILE_CACHE_MB and TAOGUAN_BLOCK_CACHE_MB'));
    const catalog = await openCatalog(config.catalog, { staleMs: config.catalogStaleMs });
    return createApi({
      catalog, basePath: config.basePath, cors: config.cors, cacheControl: config.cacheControl, trustForwardedPrefix: true,
      tileCacheBytes, blockCacheBytes, access: config.access, maxMosaicSources: config.maxMosaicSources,
      maxSourceBytes: config.maxSourceBytes ?? caps.maxSourceBytes, maxDecodedPixels: config.maxDecodedPixels,
      maxDecodedBytes: config.maxDecodedBytes ?? caps.maxDecodedBytes,
      // Renders at once: FC 3.0 (instance concurrency) and SCF (multi-concurrency) hand one instance
      // several requests; from its memory unless TAOGUAN_MAX_IN_FLIGHT says otherwise.
      ...limitsFor(memoryMb ?? machineMemoryMb(), config.admission),
      openSource: (location) => rotatingSource(location, config),
    });
  })();
  // A failed start is not cached: the next invocation tries again (a catalog that was briefly down).
  tiles.catch(() => (tiles = undefined));
  return tiles;
}

/** Memory left for requests, or a ConfigError when the caches leave less than a request needs. */
function leftForRequests(memoryMb: number | undefined, cacheBytes: number, caches: string): number | undefined {
  const free = requestMemory(memoryMb, cacheBytes);
  if (free !== undefined && free < MIN_REQUEST_MB * 2 ** 20) {
    throw new ConfigError(`a ${memoryMb} MB instance cannot hold ${caches ? `${Math.round(cacheBytes / 2 ** 20)} MB of caches (${caches}) beside ` : ''}Node and the bundle (~${BASE_MB} MB) and still serve a request: lower them, or give the function more memory`);
  }
  return free;
}

/**
 * The provider's HTTP handler around the tiles API, wrapped once per API (so once per instance, or
 * again after a failed start) rather than on every invocation.
 */
export function tilesHandler<H>(config: TilesConfig, wrap: (api: Api) => H): (context?: unknown) => Promise<H> {
  let built: { api: Api; handle: H } | undefined;
  return async (context) => {
    const api = await tilesApi(config, context);
    if (built?.api !== api) built = { api, handle: wrap(api) };
    return built.handle;
  };
}

let ingest: Promise<{ catalog: Catalog; pattern: KeyPattern }> | undefined;
let ingestFor: IngestConfig | undefined;

function ingestState(config: IngestConfig) {
  // One configuration per instance; a new one (a test's) starts afresh.
  if (ingestFor !== config) [ingest, ingestFor] = [undefined, config];
  ingest ??= (async () => {
    const pattern = config.pattern ? compilePattern(config.pattern) : compileRegex(config.regex!.prefix, config.regex!.source);
    return { pattern, catalog: await openCatalog(config.catalog) };
  })();
  ingest.catch(() => (ingest = undefined));
  return ingest;
}

/**
 * Ingests (or removes) each record, logs one JSON line per record, and throws when any failed in a
 * way a retry may cure, so the platform's retry policy re-runs the batch (finished records are then
 * no-ops); refused and invalid records are logged and not retried.
 */
export async function runIngest(records: ObjectRecord[], config: IngestConfig, context?: unknown): Promise<RecordResult[]> {
  const { catalog, pattern } = await ingestState(config);
  // Caps on one object's statistics pass, from the instance's memory unless TAOGUAN_MAX_* say otherwise.
  const caps = ingestCaps(leftForRequests(memoryLimitMb(context), 0, ''));
  const limits = {
    maxSourceBytes: config.maxSourceBytes ?? caps.maxSourceBytes ?? DEFAULT_READ_LIMITS.maxSourceBytes,
    maxDecodedPixels: config.maxDecodedPixels ?? caps.maxDecodedPixels ?? DEFAULT_READ_LIMITS.maxDecodedPixels,
    maxDecodedBytes: config.maxDecodedBytes ?? caps.maxDecodedBytes,
  };
  const allowed: ObjectRecord[] = [], refused: RecordResult[] = [];
  for (const r of records) {
    try {
      // a malformed record is reported as such by handleObjectEvents, not as a refused location
      if (!r.problem) checkLocation(config.policy, r.location);
      allowed.push(r);
    } catch (e) {
      refused.push({ ...r, status: 'refused', message: (e as Error).message });
    }
  }
  const results = [...refused, ...(await handleObjectEvents(allowed, { catalog, pattern, openOptions: withCredentials(config.openOptions), optimize: config.optimize, ingest: { limits } }))];
  for (const r of results) console.log(JSON.stringify({ taoguan: 'ingest', ...r }));
  return throwOnFailures(results);
}
