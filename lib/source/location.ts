/**
 * A location string → the Source that reads it: a path or file:// URL, http(s)://, or an object
 * store's scheme (stores/: s3://, oss:// for Aliyun, cos:// for Tencent). Object-store settings come
 * from the environment, each one overridable by options (so a function can pass its role's credentials).
 */
import { fileURLToPath } from 'node:url';
import { FileSource } from './file.ts';
import { guardedFetch, type GuardOptions } from './guarded-fetch.ts';
import { HttpSource } from './http.ts';
import type { HttpSourceOptions } from './http.ts';
import { withRetry } from './retry.ts';
import type { RetryOptions } from './retry.ts';
import { S3Source } from './s3.ts';
import type { S3Config } from './s3.ts';
import type { Source } from './source.ts';
import { OBJECT_STORES, objectStore } from './stores/index.ts';

/** 'file', 'http', 'https', or an object store's scheme (stores/index.ts). */
export type Scheme = string;

export interface Location {
  scheme: Scheme;
  /** file: the local path. */
  path?: string;
  /** http(s): the URL. */
  url?: string;
  /** An object store (s3, oss, cos…). */
  bucket?: string;
  key?: string;
}

/** Pure: splits a location without touching the environment or the network. */
export function parseLocation(location: string): Location {
  // A one-letter "scheme" is a Windows drive (C:\…); anything without :// is a path.
  const m = /^([a-z][a-z0-9+.-]+):\/\//i.exec(location);
  if (!m) {
    if (location === '') throw new Error('empty location');
    return { scheme: 'file', path: location };
  }
  const scheme = m[1].toLowerCase();
  if (scheme === 'file') return { scheme, path: fileURLToPath(location) };
  if (scheme === 'http' || scheme === 'https') return { scheme, url: location };
  if (objectStore(scheme)) {
    const rest = location.slice(m[0].length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const key = slash < 0 ? '' : rest.slice(slash + 1);
    if (!bucket || !key) throw new Error(`${location}: expected ${scheme}://BUCKET/KEY`);
    return { scheme, bucket, key };
  }
  throw new Error(`unknown location scheme "${scheme}://" in ${location}; expected a path, file://, http(s)://, ${Object.keys(OBJECT_STORES).map((k) => `${k}://`).join(', ')}`);
}

export interface OpenOptions extends S3Config {
  /** Extra headers for http(s) locations. */
  headers?: HttpSourceOptions['headers'];
  /** Timeouts and retries for remote sources; false for none. Local files get none. */
  retry?: RetryOptions | false;
  /** Where settings are read from; default process.env. */
  env?: Record<string, string | undefined>;
  /** Local files: how long a stat of the path stands for the file (FileSourceOptions.statMaxAgeMs; default 0, every read). */
  fileStatMaxAgeMs?: number;
  /** http(s) only through a fetch that refuses internal addresses (see guarded-fetch.ts); the functions set it. */
  guard?: GuardOptions;
}

const guardedFetches = new WeakMap<GuardOptions, typeof fetch>();
const fetchFor = (guard: GuardOptions): typeof fetch => {
  let f = guardedFetches.get(guard);
  if (!f) guardedFetches.set(guard, (f = guardedFetch(guard)));
  return f;
};

type Env = Record<string, string | undefined>;

/** The client settings for an object-store location: environment first, options over it. Pure. */
export function storeConfig(loc: Location, options: OpenOptions = {}, env: Env = {}): S3Config {
  const store = objectStore(loc.scheme);
  if (!store) throw new Error(`${loc.scheme}: not an object-store location`);
  store.checkBucket?.(loc.bucket ?? '');
  const config = store.config(`${loc.scheme}://${loc.bucket}/${loc.key}`, env, { region: options.region, endpoint: options.endpoint });
  const { endpoint, region, forcePathStyle, credentials, followRegionRedirects } = options;
  const overrides = Object.entries({ endpoint, region, forcePathStyle, credentials, followRegionRedirects }).filter(([, v]) => v !== undefined);
  return { ...config, ...Object.fromEntries(overrides) };
}

/** Opens a location for reading. Remote sources come wrapped in timeouts and retries (options.retry). */
export function openSource(location: string, options: OpenOptions = {}): Source {
  const loc = parseLocation(location);
  if (loc.scheme === 'file') return new FileSource(loc.path as string, { statMaxAgeMs: options.fileStatMaxAgeMs });
  const source =
    loc.scheme === 'http' || loc.scheme === 'https'
      ? new HttpSource(location, { headers: options.headers, fetch: options.guard && fetchFor(options.guard) })
      : new S3Source(loc.bucket as string, loc.key as string, { ...storeConfig(loc, options, options.env ?? process.env), location });
  return options.retry === false ? source : withRetry(source, options.retry);
}
