/**
 * Optional access control, checked here in the core so every provider and `taoguan serve` get the
 * same rules: an API key (`x-api-key` header or `?api_key=`; several keys may be valid at once, for
 * rotation) and/or signed URLs (`?exp=UNIX_SECONDS&sig=…`, an HMAC-SHA256 over the path after the
 * base path and the sorted query without `sig`). Either one lets a request in. Without keys and
 * without a secret, nothing is checked.
 *
 * A signature's scope is a path: for tile-family routes the path up to the key values, so one
 * signature covers every tile, preview, TileJSON and WMTS document of one dataset with one query —
 * which is what a map client's `{z}/{x}/{y}` template needs. Everything else is signed path-exact.
 *
 * Comparisons are constant-time (timingSafeEqual over fixed-length digests), so neither a key's
 * length nor its prefix can be found by timing the 401.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { InputError } from '../errors/index.ts';

export interface AccessOptions {
  /** Keys accepted in the x-api-key header or the api_key query parameter. */
  apiKeys?: readonly string[];
  /** Secret for signed URLs (HMAC-SHA256). */
  signingSecret?: string;
  /** Seconds a signature is still accepted after its exp, for clocks that disagree. Default 60. */
  clockSkewSeconds?: number;
  /** The clock, in milliseconds (tests). */
  now?: () => number;
}

/** How a request got in: what links in its TileJSON / WMTS documents must carry. */
export type Grant =
  | { kind: 'open' }
  | { kind: 'key'; via: 'header' }
  | { kind: 'key'; via: 'query'; key: string }
  | { kind: 'signed'; exp: number };

/** Query parameters that carry credentials: checked, then removed before any handler sees the query. */
export const AUTH_PARAMS = ['api_key', 'exp', 'sig'] as const;

/** Shortest key or secret accepted: a guessable secret is no access control. */
export const MIN_SECRET_LENGTH = 16;

/**
 * Routes anyone may fetch: the preview page shell and its assets, the API's own documentation, and
 * /colormap (a pure function of its query: it reads no catalog and no object). The page loads data
 * only through protected routes.
 */
export function isPublicPath(path: string): boolean {
  return path === '/' || path === '/healthz' || path === '/openapi.json' || path === '/swagger.json' || path === '/apidoc' || path === '/colormap' || path.startsWith('/web/');
}

export class AccessDenied extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'AccessDenied';
  }
}

export class AccessControl {
  readonly #keyDigests: Buffer[];
  readonly #secret?: string;
  readonly #skew: number;
  readonly #now: () => number;

  constructor(options: AccessOptions) {
    for (const k of options.apiKeys ?? []) checkSecret('apiKeys', k);
    if (options.signingSecret !== undefined) checkSecret('signingSecret', options.signingSecret);
    this.#keyDigests = (options.apiKeys ?? []).map(digest);
    this.#secret = options.signingSecret;
    this.#skew = options.clockSkewSeconds ?? 60;
    this.#now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.#keyDigests.length > 0 || this.#secret !== undefined;
  }

  /** Lets the request in (saying how) or throws AccessDenied with a message fit for the client. */
  check(path: string, query: URLSearchParams, headerKey: string | undefined): Grant {
    if (!this.enabled || isPublicPath(path)) return { kind: 'open' };
    const queryKey = query.get('api_key') ?? undefined;
    const key = headerKey ?? queryKey;
    const sig = query.get('sig');
    if (key !== undefined && this.#keyDigests.length > 0) {
      if (this.#matchesKey(key)) return headerKey !== undefined ? { kind: 'key', via: 'header' } : { kind: 'key', via: 'query', key };
      if (sig === null) throw new AccessDenied('api_key: not a valid API key');
    }
    if (sig !== null && this.#secret !== undefined) return { kind: 'signed', exp: this.#verify(path, query, sig) };
    const ways = [this.#keyDigests.length ? 'an API key (x-api-key header or api_key parameter)' : '', this.#secret ? 'a signed URL (exp and sig parameters)' : ''].filter(Boolean);
    throw new AccessDenied(`access: this API needs ${ways.join(' or ')}`);
  }

  /** Query parameters a link to `path?query` (after the base path) must carry for a client let in by `grant`. */
  linkParams(grant: Grant, path: string, query: URLSearchParams): [string, string][] {
    if (grant.kind === 'key' && grant.via === 'query') return [['api_key', grant.key]];
    if (grant.kind === 'signed' && this.#secret !== undefined) {
      const exp = String(grant.exp);
      return [['exp', exp], ['sig', signature(this.#secret, path, withParam(query, 'exp', exp))]];
    }
    return [];
  }

  #matchesKey(candidate: string): boolean {
    const d = digest(candidate);
    let ok = false;
    // every key is compared, so the time taken says nothing about which one (or how much) matched
    for (const k of this.#keyDigests) ok = timingSafeEqual(d, k) || ok;
    return ok;
  }

  #verify(path: string, query: URLSearchParams, sig: string): number {
    const expRaw = query.get('exp');
    if (expRaw === null || !/^\d{1,12}$/.test(expRaw)) throw new AccessDenied('exp: a signed URL needs exp, its expiry in Unix seconds');
    const given = Buffer.from(sig, 'base64url');
    let expected: Buffer;
    try {
      expected = Buffer.from(signature(this.#secret!, path, query), 'base64url');
    } catch {
      throw new AccessDenied('sig: does not match this URL');
    }
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new AccessDenied('sig: does not match this URL');
    const exp = Number(expRaw);
    if (this.#now() / 1000 > exp + this.#skew) throw new AccessDenied(`exp: the signed URL expired at ${new Date(exp * 1000).toISOString()}`);
    return exp;
  }
}

function checkSecret(name: string, value: unknown): void {
  if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH || /[\s,]/.test(value)) {
    throw new Error(`${name}: each key or secret must be a string of at least ${MIN_SECRET_LENGTH} characters without spaces or commas`);
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

const withParam = (query: URLSearchParams, name: string, value: string): URLSearchParams => {
  const q = new URLSearchParams(query);
  q.set(name, value);
  return q;
};

/** base64url HMAC-SHA256 of a request's signing scope and canonical query (throws on bad percent-encoding). */
export function signature(secret: string, path: string, query: URLSearchParams): string {
  return createHmac('sha256', secret).update(`${signingScope(path)}\n${canonicalQuery(query)}`).digest('base64url');
}

const SPECIAL = new Set(['preview.png', 'preview.jpg', 'preview.jpeg', 'tilejson.json', 'WMTSCapabilities.xml']);
const TILE_NAME = /^([^@.]*)(@2x)?\.(png|jpe?g|webp)$/;

/**
 * The part of a path a signature covers, each segment re-encoded one way so `%3A` and `:` sign
 * alike: `/{family}/{keys…}/` for any tile, preview, TileJSON or WMTS of a family route (the router
 * takes exactly these last 3 or 1 segments as the target, so the rest are the key values); the
 * whole path otherwise.
 */
export function signingScope(path: string): string {
  const segments = path.split('/').map((s) => encodeURIComponent(decodeURIComponent(s)));
  if (/^(singleband|rgb|compute)$/.test(segments[1] ?? '')) {
    const last = decodeURIComponent(segments.at(-1) ?? '');
    const drop = SPECIAL.has(last) ? 1 : TILE_NAME.test(last) ? 3 : 0;
    if (drop && segments.length - drop >= 2) return `${segments.slice(0, -drop).join('/')}/`;
  }
  return segments.join('/');
}

/** Every parameter but the credentials the signature cannot cover, sorted by name. */
function canonicalQuery(query: URLSearchParams): string {
  const q = new URLSearchParams([...query].filter(([k]) => k !== 'sig' && k !== 'api_key'));
  q.sort();
  return q.toString();
}

/** '90s', '30m', '12h', '7d' or plain seconds → seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!m) throw new Error(`expires: ${JSON.stringify(text)} is not a duration like 3600, 90s, 30m, 12h or 7d`);
  const n = Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[m[2]];
  if (n < 1) throw new Error('expires: must be at least one second');
  return n;
}

export interface SignOptions {
  secret: string;
  /** Seconds from now (or give expiresAt). */
  expiresIn?: number;
  /** Unix seconds. */
  expiresAt?: number;
  /** The prefix the server strips (its basePath / API gateway stage), e.g. '/release'. */
  basePath?: string;
  now?: () => number;
}

/**
 * A signed copy of `url` (absolute, or a path with a query): adds exp and sig, replacing any there.
 * A URL with `{z}/{x}/{y}` (or a concrete tile) signs every tile of that dataset and query.
 */
export function signUrl(url: string, options: SignOptions): string {
  checkSecret('secret', options.secret);
  const absolute = /^[a-z][a-z0-9+.-]*:\/\//i.test(url);
  const u = new URL(url, 'http://relative.invalid');
  const base = options.basePath && options.basePath !== '/' ? `/${options.basePath.replace(/^\/+|\/+$/g, '')}` : '';
  const rawPath = rawPathOf(url);
  if (base && rawPath !== base && !rawPath.startsWith(`${base}/`)) throw new Error(`url: ${rawPath} is not under the base path ${base}`);
  const path = base ? rawPath.slice(base.length) || '/' : rawPath;
  const exp = options.expiresAt ?? Math.floor((options.now ?? Date.now)() / 1000) + (options.expiresIn ?? 3600);
  if (!Number.isSafeInteger(exp) || exp < 0) throw new Error('expires: not a valid time');
  const query = new URLSearchParams(u.search);
  query.delete('sig');
  query.set('exp', String(exp));
  query.set('sig', signature(options.secret, path, query));
  // keep the template braces readable: map clients substitute {z}/{x}/{y} literally
  const search = `?${query.toString()}`;
  const head = absolute ? `${u.origin}${rawPath}` : rawPath;
  return `${head}${search}`;
}

/** The path as written (braces of a template and percent-encoding kept). */
function rawPathOf(url: string): string {
  const afterScheme = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
  const end = afterScheme.search(/[?#]/);
  const p = end < 0 ? afterScheme : afterScheme.slice(0, end);
  return p.startsWith('/') ? p : `/${p}`;
}

/**
 * Access options from environment variables (the functions' configuration and `taoguan serve`'s
 * fallback): TAOGUAN_API_KEYS (comma-separated) and TAOGUAN_URL_SIGNING_SECRET. Undefined when
 * neither is set. Errors name the variable, never its value.
 */
export function accessFromEnv(env: Record<string, string | undefined>): AccessOptions | undefined {
  const keys = (env.TAOGUAN_API_KEYS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const secret = env.TAOGUAN_URL_SIGNING_SECRET?.trim() || undefined;
  if (keys.length === 0 && !secret) return undefined;
  for (const k of keys) {
    if (k.length < MIN_SECRET_LENGTH || /\s/.test(k)) throw new Error(`TAOGUAN_API_KEYS: every key must be at least ${MIN_SECRET_LENGTH} characters without spaces`);
  }
  if (secret !== undefined && (secret.length < MIN_SECRET_LENGTH || /[\s,]/.test(secret))) {
    throw new Error(`TAOGUAN_URL_SIGNING_SECRET: must be at least ${MIN_SECRET_LENGTH} characters without spaces or commas`);
  }
  return { apiKeys: keys.length ? keys : undefined, signingSecret: secret };
}
