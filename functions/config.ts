/**
 * Function configuration, from environment variables only (a function package carries no config
 * file), checked once at cold start: a bad value fails the first invocation with a message naming
 * the variable, not a confusing error deep in a tile request.
 */
import type { AdmissionLimits } from '../lib/api/index.ts';
import { accessFromEnv, MAX_MOSAIC_SOURCES, type AccessOptions } from '../lib/api/index.ts';
import { InputError } from '../lib/errors/index.ts';
import { compilePattern, compileRegex } from '../lib/ingest/index.ts';
import { checkLocation, localPrefix, type LocationPolicy } from '../lib/source/index.ts';
import { parseLocation, type Location, type OpenOptions } from '../lib/source/index.ts';
import { STORE_SCHEMES } from '../lib/source/index.ts';
import { STORE_URIS, storeFor } from '../lib/catalog/index.ts';

export class ConfigError extends InputError {
  constructor(message: string) {
    super(`taoguan function configuration: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export interface StoreConfig {
  /** Overrides for the object store the function reads (else OSS_*, COS_*, AWS_* / the runtime's region); http(s) always guarded. */
  openOptions: OpenOptions;
  /** What the function may read: TAOGUAN_ALLOWED_BUCKETS, _PREFIXES, _HOSTS and TAOGUAN_ALLOW_PRIVATE_HOSTS. */
  policy: LocationPolicy;
}

/** Explicit per-request caps (TAOGUAN_MAX_SOURCE_MB, _DECODED_MPIXELS, _DECODED_MB); unset ones come from the instance's memory. */
export interface CapsConfig {
  maxSourceBytes?: number;
  maxDecodedPixels?: number;
  maxDecodedBytes?: number;
}

export interface TilesConfig extends StoreConfig, CapsConfig {
  catalog: string;
  basePath?: string;
  cors: '*' | string[] | false;
  cacheControl?: string;
  tileCacheBytes?: number;
  blockCacheBytes?: number;
  /** API keys / URL signing secret (TAOGUAN_API_KEYS, TAOGUAN_URL_SIGNING_SECRET); undefined = open. */
  access?: AccessOptions;
  /** TAOGUAN_CATALOG_STALE_SECONDS: known records keep answering this long past their ttl while the catalog is down; undefined = the cache's 1 h. */
  catalogStaleMs?: number;
  /** Renders at once, waiting requests, longest wait (TAOGUAN_MAX_IN_FLIGHT, _MAX_QUEUE, _MAX_WAIT_MS); undefined = from memory. */
  admission: Partial<AdmissionLimits>;
  /** TAOGUAN_MAX_MOSAIC_SOURCES: datasets one mosaic tile may combine (more: 422); undefined = the API's 64. */
  maxMosaicSources?: number;
}

export interface IngestConfig extends StoreConfig, CapsConfig {
  catalog: string;
  pattern?: string;
  regex?: { prefix: string; source: string };
  /** TAOGUAN_OPTIMIZE_PREFIX: convert uploaded non-COGs into COGs under it; TAOGUAN_OPTIMIZE_MAX_MB bounds the input. */
  optimize?: { prefix: string; maxBytes: number };
}

const MB = 1024 * 1024;

function catalogUri(env: Env, readOnly: boolean): string {
  const uri = env.TAOGUAN_CATALOG?.trim();
  if (!uri) throw new ConfigError(`TAOGUAN_CATALOG is not set (${STORE_URIS})`);
  const store = storeFor(uri);
  if (!readOnly || !store?.readOnly) return uri;
  try {
    return store.readOnly(uri);
  } catch (e) {
    throw new ConfigError(`TAOGUAN_CATALOG ${(e as Error).message}`);
  }
}

/** A positive whole number of `unit`s (the read caps): 0 would refuse every tile, so it is an error. */
function positive(env: Env, name: string, unit: number): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65536) throw new ConfigError(`${name}=${raw}: expected a whole number from 1 to 65536`);
  return n * unit;
}

/** A whole number in [min, max], or undefined when unset. */
function whole(env: Env, name: string, min: number, max: number): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name}=${raw}: expected a whole number from ${min} to ${max}`);
  return n;
}

function megabytes(env: Env, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 4096) throw new ConfigError(`${name}=${raw}: expected megabytes, 0 to 4096`);
  return Math.round(n * MB);
}

function store(env: Env): StoreConfig {
  const endpoint = env.TAOGUAN_STORE_ENDPOINT?.trim() || undefined;
  if (endpoint && !/^https?:\/\/[^/]+/.test(endpoint)) throw new ConfigError(`TAOGUAN_STORE_ENDPOINT=${endpoint}: expected http(s)://host[:port]`);
  const pathStyle = env.TAOGUAN_STORE_PATH_STYLE?.trim();
  if (pathStyle && pathStyle !== '0' && pathStyle !== '1') throw new ConfigError(`TAOGUAN_STORE_PATH_STYLE=${pathStyle}: expected 0 or 1`);
  const openOptions: OpenOptions = {};
  if (endpoint) openOptions.endpoint = endpoint;
  if (env.TAOGUAN_STORE_REGION?.trim()) openOptions.region = env.TAOGUAN_STORE_REGION.trim();
  if (pathStyle) openOptions.forcePathStyle = pathStyle === '1';
  const policy = locationPolicy(env);
  // A function never lets an http(s) location reach an internal address unless told to.
  openOptions.guard = { allowPrivate: policy.allowPrivate };
  return { openOptions, policy };
}

function locationPolicy(env: Env): LocationPolicy {
  const buckets = list(env.TAOGUAN_ALLOWED_BUCKETS);
  const prefixes = list(env.TAOGUAN_ALLOWED_PREFIXES).map((p) => {
    let loc: Location;
    try {
      loc = parseLocation(p);
    } catch (e) {
      throw new ConfigError(`TAOGUAN_ALLOWED_PREFIXES: ${(e as Error).message}`);
    }
    // Without the trailing "/", oss://b/cogs would admit oss://b/cogs-private/… and https://a.com would admit https://a.com.evil.cn/.
    // A local folder (/mnt/cogs/ or file:///mnt/cogs/) is the one way a function reads files: absolute,
    // existing, and kept as its real path, which file targets are compared with (allow.ts).
    const path = loc.path;
    if (!p.endsWith('/') || (path !== undefined && !path.startsWith('/'))) {
      throw new ConfigError(`TAOGUAN_ALLOWED_PREFIXES=${p}: expected s3://, oss://, cos:// or http(s):// prefixes, or absolute local folders, ending in "/", e.g. oss://bucket/cogs/ or /mnt/cogs/`);
    }
    if (path === undefined) return loc.url ? new URL(p).href : p;
    try {
      return localPrefix(p, path);
    } catch (e) {
      throw new ConfigError(`TAOGUAN_ALLOWED_PREFIXES=${(e as Error).message}`);
    }
  });
  const hosts = list(env.TAOGUAN_ALLOWED_HOSTS).map((h) => h.toLowerCase());
  for (const h of hosts) if (!/^(?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*$/.test(h)) throw new ConfigError(`TAOGUAN_ALLOWED_HOSTS=${h}: expected host names like data.example.cn or *.example.cn`);
  const rawPrivate = env.TAOGUAN_ALLOW_PRIVATE_HOSTS?.trim() || '0';
  const privateHosts = list(rawPrivate).map((h) => h.toLowerCase());
  if (rawPrivate !== '0' && rawPrivate !== '1' && privateHosts.some((h) => !/^[a-z0-9-]+(?:\.[a-z0-9-]+)*$/.test(h))) {
    throw new ConfigError(`TAOGUAN_ALLOW_PRIVATE_HOSTS=${rawPrivate}: expected 0, 1, or host names that may resolve to internal addresses (e.g. minio.intranet)`);
  }
  return {
    buckets: buckets.length ? buckets : undefined, prefixes: prefixes.length ? prefixes : undefined,
    hosts: hosts.length ? hosts : undefined, allowPrivate: rawPrivate === '1' ? true : rawPrivate === '0' ? false : privateHosts,
    // a catalog row naming a file would read the instance's own disk: only under a listed local folder
    localFiles: false,
  };
}

const list = (raw: string | undefined): string[] => (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);

export function tilesConfig(env: Env = process.env): TilesConfig {
  const corsRaw = env.TAOGUAN_CORS?.trim() || '*';
  const cors = corsRaw === '*' ? '*' : corsRaw === 'none' ? false : list(corsRaw);
  if (Array.isArray(cors) && cors.some((o) => !/^https?:\/\/[^/]+$/.test(o))) {
    throw new ConfigError(`TAOGUAN_CORS=${corsRaw}: expected *, none, or comma-separated origins like https://map.example.cn`);
  }
  const basePath = env.TAOGUAN_BASE_PATH?.trim() || undefined;
  if (basePath && !/^\/[\w\-./]*$/.test(basePath)) throw new ConfigError(`TAOGUAN_BASE_PATH=${basePath}: expected a path like /tiles`);
  return {
    ...store(env),
    catalog: catalogUri(env, true),
    basePath,
    cors,
    cacheControl: env.TAOGUAN_CACHE_CONTROL?.trim() || undefined,
    tileCacheBytes: megabytes(env, 'TAOGUAN_TILE_CACHE_MB'),
    blockCacheBytes: megabytes(env, 'TAOGUAN_BLOCK_CACHE_MB'),
    ...capsConfig(env),
    access: accessConfig(env),
    catalogStaleMs: seconds(env, 'TAOGUAN_CATALOG_STALE_SECONDS', 604_800),
    maxMosaicSources: whole(env, 'TAOGUAN_MAX_MOSAIC_SOURCES', 1, MAX_MOSAIC_SOURCES),
    admission: {
      maxInFlight: whole(env, 'TAOGUAN_MAX_IN_FLIGHT', 1, 4096),
      maxQueue: whole(env, 'TAOGUAN_MAX_QUEUE', 0, 65536),
      maxWaitMs: whole(env, 'TAOGUAN_MAX_WAIT_MS', 0, 600_000),
    },
  };
}

function capsConfig(env: Env): CapsConfig {
  return {
    maxSourceBytes: positive(env, 'TAOGUAN_MAX_SOURCE_MB', 2 ** 20),
    maxDecodedPixels: positive(env, 'TAOGUAN_MAX_DECODED_MPIXELS', 2 ** 20),
    maxDecodedBytes: positive(env, 'TAOGUAN_MAX_DECODED_MB', 2 ** 20),
  };
}

/** Whole seconds from 0 to `max`, as milliseconds. */
function seconds(env: Env, name: string, max: number): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > max) throw new ConfigError(`${name}=${raw}: expected whole seconds from 0 to ${max}`);
  return n * 1000;
}

function accessConfig(env: Env): AccessOptions | undefined {
  try {
    return accessFromEnv(env);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
}

export function ingestConfig(env: Env = process.env): IngestConfig {
  const pattern = env.TAOGUAN_PATTERN?.trim() || undefined;
  const regex = env.TAOGUAN_REGEX?.trim() || undefined;
  if (!pattern === !regex) {
    throw new ConfigError('set exactly one of TAOGUAN_PATTERN (e.g. oss://bucket/cogs/{sensor}_{date}_{band}.tif) or TAOGUAN_REGEX (named groups, matched after TAOGUAN_PREFIX)');
  }
  const prefix = env.TAOGUAN_PREFIX?.trim();
  if (regex && !prefix) throw new ConfigError('TAOGUAN_REGEX needs TAOGUAN_PREFIX, the bucket prefix it is matched after (e.g. oss://bucket/cogs/)');
  try {
    // Compiled here only to refuse a bad one ("..", no keys) at cold start, naming the variable.
    if (pattern) compilePattern(pattern);
    else compileRegex(prefix as string, regex as string);
  } catch (e) {
    throw new ConfigError(`${pattern ? 'TAOGUAN_PATTERN' : 'TAOGUAN_REGEX/TAOGUAN_PREFIX'}: ${(e as Error).message}`);
  }
  const stores = store(env);
  return { ...stores, ...capsConfig(env), catalog: catalogUri(env, false), pattern, regex: regex ? { prefix: prefix as string, source: regex } : undefined, optimize: optimizeConfig(env, stores.policy) };
}

function optimizeConfig(env: Env, policy: LocationPolicy): IngestConfig['optimize'] {
  const prefix = env.TAOGUAN_OPTIMIZE_PREFIX?.trim();
  if (!prefix) {
    if (env.TAOGUAN_OPTIMIZE_MAX_MB?.trim()) throw new ConfigError('TAOGUAN_OPTIMIZE_MAX_MB is set but TAOGUAN_OPTIMIZE_PREFIX is not: set the prefix the COGs are written under');
    return undefined;
  }
  if (!new RegExp(`^(?:${STORE_SCHEMES}):\\/\\/[^/]+\\/(?:.*\\/)?$`).test(prefix)) throw new ConfigError(`TAOGUAN_OPTIMIZE_PREFIX=${prefix}: expected an object-store prefix ending in "/", e.g. oss://bucket/cogs/`);
  try {
    checkLocation(policy, `${prefix}x.tif`);
  } catch (e) {
    throw new ConfigError(`TAOGUAN_OPTIMIZE_PREFIX=${prefix}: ${(e as Error).message}`);
  }
  const maxBytes = megabytes(env, 'TAOGUAN_OPTIMIZE_MAX_MB') ?? 256 * MB;
  return { prefix, maxBytes };
}
