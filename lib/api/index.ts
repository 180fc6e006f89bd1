/**
 * createApi: the provider-neutral HTTP API (TiTiler's factory shape) — WHATWG Request in, Response
 * out — that every serverless adapter and `taoguan serve` (through node.ts) run. What varies between
 * deployments is injected: the catalog, how a location is opened, the base path an API gateway adds,
 * caching and CORS policy, cache sizes, and where request logs go.
 *
 * Middleware, outermost first: request log + per-request counters → CORS → gzip → routes. The base
 * path is stripped in exactly one place (getPath below); every link the API writes adds it back.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Catalog } from '../catalog/index.ts';
import { checkReadLimits, DEFAULT_READ_LIMITS } from '../raster/index.ts';
import { openSource as openLocation } from '../source/index.ts';
import type { Source } from '../source/index.ts';
import { MAX_TILE_SIZE } from '../grids/index.ts';
import pkg from '../../package.json' with { type: 'json' };
import { limitsFor, machineMemoryMb } from './admission.ts';
import { AccessControl, AccessDenied, AUTH_PARAMS, type AccessOptions } from './auth.ts';
import { compressMiddleware } from './compress.ts';
import { ApiContext, newStats, type ApiConfig, type RequestLog } from './context.ts';
import { corsMiddleware } from './cors.ts';
import { ApiError, describeError, errorResponse, toApiError } from './errors.ts';
import { registerHealth } from './health.ts';
import { MethodIndex } from './methods.ts';
import { checkParameterNames } from './parameter-names.ts';
import { mosaicCap } from './mosaic.ts';
import { registerOpenApi } from './openapi.ts';
import { registerPoint } from './point.ts';
import { redactSecrets } from './redact.ts';
import type { ApiEnv } from './respond.ts';
import { registerMetadataRoutes } from './routes-metadata.ts';
import { registerTileRoutes } from './routes-tiles.ts';
import { registerWebRoutes } from './routes-web.ts';
import { registerWmts } from './wmts.ts';

export type { RequestLog } from './context.ts';
export type { AccessOptions } from './auth.ts';
export { accessFromEnv, AccessControl, parseDuration, signUrl } from './auth.ts';
export { createNodeServer, toNodeHandler, type NodeServerOptions } from './node.ts';
export { limitsFor, machineMemoryMb, type AdmissionLimits } from './admission.ts';
export { MAX_MOSAIC_SOURCES } from './mosaic.ts';

export interface ApiOptions {
  /** Where datasets are looked up; openCatalog() gives one behind an in-memory cache. */
  catalog: Catalog;
  /** Opens an ingested location (default: lib/source's openSource, a local file stat'ed at most once a second); one Source is kept per location. */
  openSource?: (location: string) => Source;
  /** A prefix the API gateway adds (e.g. '/release'); stripped from requests, added to links. */
  basePath?: string;
  /** Absolute URL the API is reached at, for links in TileJSON and WMTS (default: the request's origin + basePath). */
  publicUrl?: string;
  /** Put an adapter's X-Forwarded-Prefix (the stage it stripped) into links. Only for functions behind an adapter. */
  trustForwardedPrefix?: boolean;
  /** Cache-Control of tiles and previews. Default 'public, max-age=3600' ('private, …' with access control). */
  cacheControl?: string;
  /** Access-Control-Allow-Origin: '*' (default), an allow-list of origins, or false for no CORS headers. */
  cors?: '*' | string[] | false;
  /** Largest output edge in pixels, @2x included. Default 1024 (a 512 px tile @2x). */
  maxTileSize?: number;
  /** Bytes of rendered tiles kept in memory. Default 16 MiB. */
  tileCacheBytes?: number;
  /** Bytes of decoded COG blocks kept in memory. Default 24 MiB. */
  blockCacheBytes?: number;
  /**
   * Compressed bytes of internal blocks one tile or preview request may need from the object
   * store; more is a 422 naming this cap. Default 256 MiB (lib/raster/budget.ts says why).
   */
  maxSourceBytes?: number;
  /** Pixels of internal blocks one request may decode; more is a 422 naming this cap. Default 256 Mi. */
  maxDecodedPixels?: number;
  /** Bytes the decoded samples of one request may take (what its memory follows); more is a 422. Default none; the functions size it from their memory. */
  maxDecodedBytes?: number;
  /**
   * Renders (tiles, previews, /point reads) at once in this process; cached tiles, 304s, documents
   * and /healthz never wait for one. Default from the machine's memory (admission.ts limitsFor): one
   * per 32 MiB, 16 with 512 MB or more.
   */
  maxInFlight?: number;
  /** Requests waiting for a render slot; one more is a 503 with Retry-After. Default 4 × maxInFlight. */
  maxQueue?: number;
  /** Longest wait for a render slot, in ms; then 503 with Retry-After. Default 5000. */
  maxWaitMs?: number;
  /** Datasets one mosaic tile (a key given as *, prefix* or [a,b]) may combine; more is a 422 naming this cap. Default 64. */
  maxMosaicSources?: number;
  /** Called once per request with its log line. */
  logger?: (line: RequestLog) => void;
  /** API keys and/or a URL signing secret; without either, every route is public. See auth.ts. */
  access?: AccessOptions;
}

/** Longest request URL taken (API gateways allow about this much; `serve` is bounded by Node's 16 KiB header limit). */
export const MAX_URL_LENGTH = 16 * 1024;
const MAX_MESSAGE_LENGTH = 1000;
/**
 * A local file is stat'ed at most once a second by the default openSource: reads pinned to the
 * record's ETag go straight to the open handle in between (a re-ingested file, with its new ETag,
 * is stat'ed at once; see FileSourceOptions.statMaxAgeMs). Fresh tiles: see the commit that set it.
 */
const FILE_STAT_MAX_AGE_MS = 1000;

export interface Api {
  fetch(request: Request): Promise<Response>;
  /** The shared state (catalog access, caches): for tests, benchmarks and health checks. */
  readonly context: ApiContext;
}

export function createApi(options: ApiOptions): Api {
  const basePath = normaliseBasePath(options.basePath);
  const access = new AccessControl(options.access ?? {});
  const config: ApiConfig = {
    openSource: options.openSource ?? ((location) => openLocation(location, { fileStatMaxAgeMs: FILE_STAT_MAX_AGE_MS })),
    basePath,
    publicUrl: options.publicUrl,
    trustForwardedPrefix: options.trustForwardedPrefix,
    // a shared cache would hand a protected tile to anyone: private unless the deployment says otherwise
    cacheControl: options.cacheControl ?? `${access.enabled ? 'private' : 'public'}, max-age=3600`,
    maxTileSize: Math.min(options.maxTileSize ?? 1024, MAX_TILE_SIZE),
    maxMosaicSources: mosaicCap(options.maxMosaicSources),
    tileCacheBytes: options.tileCacheBytes ?? 16 * 1024 * 1024,
    blockCacheBytes: options.blockCacheBytes ?? 24 * 1024 * 1024,
    admission: limitsFor(machineMemoryMb(), { maxInFlight: options.maxInFlight, maxQueue: options.maxQueue, maxWaitMs: options.maxWaitMs }),
    readLimits: checkReadLimits({
      maxSourceBytes: options.maxSourceBytes ?? DEFAULT_READ_LIMITS.maxSourceBytes,
      maxDecodedPixels: options.maxDecodedPixels ?? DEFAULT_READ_LIMITS.maxDecodedPixels,
      maxDecodedBytes: options.maxDecodedBytes,
    }),
  };
  const ctx = new ApiContext(options.catalog, config);
  const logger = options.logger;
  const app = new OpenAPIHono<ApiEnv>({ getPath: (request) => stripBase(rawPath(request.url), basePath) });

  app.use('*', async (c, next) => {
    const t0 = performance.now();
    const stats = newStats();
    c.set('stats', stats);
    c.set('api', ctx);
    c.set('path', c.req.path);
    c.set('query', new URL(c.req.url).searchParams);
    c.set('access', access);
    c.set('grant', { kind: 'open' });
    await next();
    logger?.({
      method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round((performance.now() - t0) * 100) / 100,
      catalog: stats.catalog, source: stats.source,
      cache: { tile: stats.tile, blockHits: stats.blocks.hits, blockMisses: stats.blocks.misses, ...(stats.blocks.decodedBytes ? { decodedBytes: stats.blocks.decodedBytes } : {}) },
      ...(stats.error ? { error: redactSecrets(stats.error) } : {}),
    });
  });
  app.use('*', async (c, next) => {
    if (c.req.url.length > MAX_URL_LENGTH) throw new ApiError(414, `url: ${c.req.url.length} characters is longer than this server's limit of ${MAX_URL_LENGTH}`);
    await next();
  });
  if (options.cors !== false) app.use('*', corsMiddleware(options.cors ?? '*'));
  if (access.enabled) {
    // after CORS, so preflights pass and a 401 still carries CORS headers for the page to read
    app.use('*', async (c, next) => {
      try {
        c.set('grant', access.check(c.get('path'), c.get('query'), c.req.header('x-api-key')));
      } catch (e) {
        if (e instanceof AccessDenied) throw new ApiError(401, e.message, { 'www-authenticate': 'ApiKey realm="taoguan"' });
        throw e;
      }
      // handlers never see credentials: not as key filters, not in ETags, not passed on into links
      c.set('query', new URLSearchParams([...c.get('query')].filter(([k]) => !(AUTH_PARAMS as readonly string[]).includes(k))));
      await next();
    });
  }
  app.use('*', compressMiddleware());
  app.use('*', async (c, next) => {
    // /datasets and /wmts take the catalog's key names as filters: they check names themselves
    if (c.get('path') !== '/datasets' && !c.get('path').startsWith('/wmts/')) checkParameterNames(c.get('query'));
    await next();
  });

  registerMetadataRoutes(app);
  registerTileRoutes(app);
  registerWmts(app);
  registerPoint(app);
  registerOpenApi(app, pkg.version);
  registerHealth(app, pkg.version);
  registerWebRoutes(app);

  const methods = new MethodIndex(() => app.routes, options.cors !== false ? ['OPTIONS'] : []);
  app.notFound((c) => {
    const allow = methods.allowed(c.req.path);
    if (allow.length) return errorResponse(new ApiError(405, `method: ${clip(c.req.method, 20)} is not allowed on ${clip(c.req.path, 200)}; allowed: ${allow.join(', ')}`, { allow: allow.join(', ') }));
    return errorResponse(new ApiError(404, `no route for ${clip(c.req.method, 20)} ${clip(c.req.path, 200)}; see /apidoc`));
  });
  app.onError((err, c) => {
    const e = toApiError(err);
    if (e.status >= 500) c.get('stats').error = describeError(err);
    // messages quote the request; a hostile one must not make them arbitrarily long
    return errorResponse(new ApiError(e.status, redactSecrets(clip(e.message, MAX_MESSAGE_LENGTH)), e.headers));
  });

  return { fetch: async (request) => app.fetch(request), context: ctx };
}

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n)}…` : s);

function normaliseBasePath(base: string | undefined): string {
  if (!base || base === '/') return '';
  return `/${base.replace(/^\/+|\/+$/g, '')}`;
}

/** The path as sent (percent-encoding kept: key values are decoded segment by segment later). */
function rawPath(url: string): string {
  const start = url.indexOf('/', url.indexOf('://') + 3);
  if (start < 0) return '/';
  const end = url.search(/[?#]/);
  return end < 0 ? url.slice(start) : url.slice(start, end);
}

/** '/release/keys' → '/keys'; a path without the prefix is taken as it is (some gateways strip it). */
function stripBase(path: string, base: string): string {
  if (!base) return path;
  if (path === base) return '/';
  return path.startsWith(`${base}/`) ? path.slice(base.length) : path;
}
