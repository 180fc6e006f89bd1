/**
 * A location string → the Source that reads it: a path or file:// URL, http(s)://, s3://, oss://
 * (Aliyun) or cos:// (Tencent). Object-store settings come from the environment, each one
 * overridable by options (so a function can pass its role's credentials).
 */
import { fileURLToPath } from 'node:url';
import { FileSource } from './file.ts';
import { guardedFetch, type GuardOptions } from './guarded-fetch.ts';
import { HttpSource } from './http.ts';
import type { HttpSourceOptions } from './http.ts';
import { withRetry } from './retry.ts';
import type { RetryOptions } from './retry.ts';
import { S3Source } from './s3.ts';
import type { S3Config, S3Credentials } from './s3.ts';
import type { Source } from './source.ts';

export type Scheme = 'file' | 'http' | 'https' | 's3' | 'oss' | 'cos';

export interface Location {
  scheme: Scheme;
  /** file: the local path. */
  path?: string;
  /** http(s): the URL. */
  url?: string;
  /** s3, oss, cos. */
  bucket?: string;
  key?: string;
}

const STORES = new Set(['s3', 'oss', 'cos']);

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
  if (STORES.has(scheme)) {
    const rest = location.slice(m[0].length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const key = slash < 0 ? '' : rest.slice(slash + 1);
    if (!bucket || !key) throw new Error(`${location}: expected ${scheme}://BUCKET/KEY`);
    return { scheme: scheme as Scheme, bucket, key };
  }
  throw new Error(`unknown location scheme "${scheme}://" in ${location}; expected a path, file://, http(s)://, s3://, oss:// or cos://`);
}

export interface OpenOptions extends S3Config {
  /** Extra headers for http(s) locations. */
  headers?: HttpSourceOptions['headers'];
  /** Timeouts and retries for remote sources; false for none. Local files get none. */
  retry?: RetryOptions | false;
  /** Where settings are read from; default process.env. */
  env?: Record<string, string | undefined>;
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

function first(env: Env, ...names: string[]): string | undefined {
  for (const n of names) if (env[n]) return env[n];
  return undefined;
}

function credentialsFrom(env: Env, id: string, secret: string, token: string): S3Credentials | undefined {
  const accessKeyId = env[id];
  const secretAccessKey = env[secret];
  if (!accessKeyId || !secretAccessKey) return undefined;
  return env[token] ? { accessKeyId, secretAccessKey, sessionToken: env[token] } : { accessKeyId, secretAccessKey };
}

/** The client settings for an object-store location: environment first, options over it. Pure. */
export function storeConfig(loc: Location, options: OpenOptions = {}, env: Env = {}): S3Config {
  let config: S3Config;
  if (loc.scheme === 's3') {
    const endpoint = first(env, 'TAOGUAN_S3_ENDPOINT', 'AWS_ENDPOINT_URL');
    config = { endpoint, region: first(env, 'AWS_REGION', 'AWS_DEFAULT_REGION'), forcePathStyle: env.TAOGUAN_S3_PATH_STYLE === '1', followRegionRedirects: !endpoint };
  } else if (loc.scheme === 'oss') {
    // Accept ali-oss's region spelling (oss-cn-hangzhou) as well as the plain one; FC sets FC_REGION.
    const region = (options.region ?? first(env, 'OSS_REGION', 'ALIBABA_CLOUD_REGION', 'FC_REGION'))?.replace(/^oss-/, '');
    const endpoint = options.endpoint ?? env.OSS_ENDPOINT ?? (region && `https://oss-${region}.aliyuncs.com`);
    if (!endpoint) throw new Error(`${loc.scheme}://${loc.bucket}/${loc.key}: set OSS_REGION (e.g. cn-hangzhou) or OSS_ENDPOINT`);
    const credentials =
      credentialsFrom(env, 'ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'ALIBABA_CLOUD_SECURITY_TOKEN') ??
      credentialsFrom(env, 'OSS_ACCESS_KEY_ID', 'OSS_ACCESS_KEY_SECRET', 'OSS_SESSION_TOKEN');
    // OSS serves buckets only as virtual hosts (bucket.oss-….aliyuncs.com).
    config = { endpoint, region: region ?? /oss-([a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com/.exec(endpoint)?.[1], forcePathStyle: false, credentials };
  } else if (loc.scheme === 'cos') {
    if (!/-\d+$/.test(loc.bucket ?? '')) throw new Error(`cos://${loc.bucket}/…: COS bucket names end in the APPID, e.g. cos://data-1250000000/key`);
    const region = options.region ?? first(env, 'COS_REGION', 'TENCENTCLOUD_REGION');
    const endpoint = options.endpoint ?? env.COS_ENDPOINT ?? (region && `https://cos.${region}.myqcloud.com`);
    if (!endpoint) throw new Error(`${loc.scheme}://${loc.bucket}/${loc.key}: set COS_REGION (e.g. ap-guangzhou) or COS_ENDPOINT`);
    const credentials = credentialsFrom(env, 'TENCENTCLOUD_SECRETID', 'TENCENTCLOUD_SECRETKEY', 'TENCENTCLOUD_SESSIONTOKEN');
    config = { endpoint, region: region ?? /cos\.([a-z0-9-]+)\.myqcloud\.com/.exec(endpoint)?.[1], forcePathStyle: false, credentials };
  } else {
    throw new Error(`${loc.scheme}: not an object-store location`);
  }
  const { endpoint, region, forcePathStyle, credentials, followRegionRedirects } = options;
  const overrides = Object.entries({ endpoint, region, forcePathStyle, credentials, followRegionRedirects }).filter(([, v]) => v !== undefined);
  return { ...config, ...Object.fromEntries(overrides) };
}

/** Opens a location for reading. Remote sources come wrapped in timeouts and retries (options.retry). */
export function openSource(location: string, options: OpenOptions = {}): Source {
  const loc = parseLocation(location);
  if (loc.scheme === 'file') return new FileSource(loc.path as string);
  const source =
    loc.scheme === 'http' || loc.scheme === 'https'
      ? new HttpSource(location, { headers: options.headers, fetch: options.guard && fetchFor(options.guard) })
      : new S3Source(loc.bucket as string, loc.key as string, { ...storeConfig(loc, options, options.env ?? process.env), location });
  return options.retry === false ? source : withRetry(source, options.retry);
}
