import cluster from 'node:cluster';
import type { Server } from 'node:http';
import { availableParallelism } from 'node:os';
import { limitsFor, machineMemoryMb } from '../../../lib/api/index.ts';
import { accessFromEnv, AccessControl } from '../../../lib/api/index.ts';
import { createApi, createNodeServer, type AccessOptions, type RequestLog } from '../../../lib/api/index.ts';
import { CachedCatalog } from '../../../lib/catalog/index.ts';
import type { Catalog } from '../../../lib/catalog/index.ts';
import { openCatalog } from '../../../lib/catalog/index.ts';
import { catalogUri } from './catalog.ts';
import { PrimaryCatalog } from '../../../lib/catalog/index.ts';
import { runPrimary } from './serve-primary.ts';

export interface ServeOptions {
  catalog?: string;
  host: string;
  /** Numbers from the CLI's option parser; strings from other callers (demo). */
  port: number;
  workers?: number;
  basePath?: string;
  /** Origin and path of links in TileJSON / WMTS (else TAOGUAN_PUBLIC_URL, else the request's Host). */
  publicUrl?: string;
  cors?: string;
  cacheControl?: string;
  quiet?: boolean;
  tileCacheMb?: string;
  blockCacheMb?: string;
  maxSourceMb?: string;
  maxDecodedMpixels?: string;
  /** Accepted API keys (else TAOGUAN_API_KEYS). */
  apiKey?: string[];
  /** URL signing secret (else TAOGUAN_URL_SIGNING_SECRET). */
  signingSecret?: string;
  /** Per worker: renders at once, requests waiting for one, the longest wait (lib/api/admission.ts). */
  maxInFlight?: number;
  maxMosaicSources?: number;
  maxQueue?: number;
  maxWaitMs?: number;
  /** Per worker: open connections (lib/api/node.ts). */
  maxConnections?: number;
  /** How long past their ttl known records keep answering while the catalog is unavailable (default 3600). */
  catalogStaleSeconds?: number;
}

/** Flags first, the environment second; a flag set replaces its variable. */
function accessOptions(opts: ServeOptions): AccessOptions | undefined {
  const env = accessFromEnv(process.env);
  const apiKeys = opts.apiKey?.length ? opts.apiKey : env?.apiKeys;
  const signingSecret = opts.signingSecret ?? env?.signingSecret;
  return apiKeys || signingSecret ? { apiKeys, signingSecret } : undefined;
}

/**
 * --public-url, else TAOGUAN_PUBLIC_URL: an absolute http(s) URL with no query or fragment. With it,
 * a TileJSON or WMTS document names the server the operator chose, whatever Host a client (or a proxy
 * that rewrites it) sent; a cache in front then never stores links to a forged host.
 */
export function publicUrl(opts: ServeOptions): string | undefined {
  const value = opts.publicUrl ?? (process.env.TAOGUAN_PUBLIC_URL || undefined);
  if (value === undefined) return undefined;
  const from = opts.publicUrl === undefined ? 'TAOGUAN_PUBLIC_URL' : '--public-url';
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url || !/^https?:$/.test(url.protocol) || url.search || url.hash || url.username || url.password) {
    throw new Error(`${from}: expected an absolute http(s) URL with no query, e.g. https://tiles.example.cn/tiles, got ${JSON.stringify(value)}`);
  }
  return url.href.replace(/\/+$/, '');
}

const megabytes = (value: string | undefined, name: string): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 65536) throw new Error(`${name}: expected megabytes between 0 and 65536, got ${JSON.stringify(value)}`);
  return Math.round(n * 2 ** 20);
};

function logLine(l: RequestLog): string {
  const cache = l.cache.tile ? ` tile:${l.cache.tile}` : '';
  return `${l.method} ${l.path} ${l.status} ${l.ms.toFixed(1)}ms catalog=${l.catalog} source=${l.source} blocks=${l.cache.blockHits}/${l.cache.blockHits + l.cache.blockMisses}${l.cache.decodedBytes ? ` decoded=${l.cache.decodedBytes}` : ''}${cache}${l.error ? ` error=${l.error}` : ''}`;
}

/**
 * Access-log lines gathered and written to stdout together at most LOG_FLUSH_MS after the first:
 * stdout to a pipe or file is a synchronous write() per console.log on Linux, and a line per tile
 * cost ~2% of a fresh tile's CPU in the fresh bench's profile. Whatever is left goes out at exit.
 */
const LOG_FLUSH_MS = 50;
function accessLog(): (line: string) => void {
  let pending = '';
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    if (!pending) return;
    const out = pending;
    pending = '';
    process.stdout.write(out);
  };
  process.once('exit', flush);
  return (line) => {
    pending += `${line}\n`;
    timer ??= setTimeout(flush, LOG_FLUSH_MS).unref();
  };
}

/** A listen error as the cause a user can act on. */
function listenError(e: NodeJS.ErrnoException, host: string, port: number): Error {
  const why: Record<string, string> = {
    EADDRINUSE: 'the port is in use by another process (choose another with --port)',
    EADDRNOTAVAIL: 'no network interface of this machine has that address (--host)',
    EACCES: 'not allowed to listen there (ports below 1024 need privileges)',
    ENOTFOUND: 'the host name does not resolve (--host)',
    EAI_AGAIN: 'the host name does not resolve (--host)',
  };
  return new Error(`cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port}: ${(e.code && why[e.code]) ?? e.message}${e.code ? ` (${e.code})` : ''}`);
}

/**
 * The catalog one serving process reads, behind its own cache: a worker whose primary holds the
 * catalog asks it (lib/catalog/ipc.ts); otherwise the store is opened here.
 */
export async function serverCatalog(opts: ServeOptions): Promise<Catalog> {
  const viaPrimary = cluster.isWorker && process.env.TAOGUAN_SERVE_CATALOG_URI;
  const cache = { staleMs: opts.catalogStaleSeconds === undefined ? undefined : opts.catalogStaleSeconds * 1000 };
  return viaPrimary
    ? new CachedCatalog(new PrimaryCatalog(viaPrimary, Number(process.env.TAOGUAN_SERVE_CATALOG_TIMEOUT_MS) || undefined), cache)
    : openCatalog(catalogUri(opts.catalog), cache);
}

/** One process: the API on a socket, a log line per request, a clean stop on SIGINT / SIGTERM. */
export async function startServer(opts: ServeOptions, onListening?: (url: string) => void): Promise<Server> {
  // Options first: a bad one is refused before any catalog connection exists to keep the process alive.
  const access = accessOptions(opts);
  // Per worker: the machine's memory shared by its workers (one per core unless told).
  const limits = limitsFor(machineMemoryMb() / (opts.workers ?? (cluster.isWorker ? availableParallelism() : 1)), { maxInFlight: opts.maxInFlight, maxQueue: opts.maxQueue, maxWaitMs: opts.maxWaitMs });
  const catalog = await serverCatalog(opts);
  try {
    await catalog.keys(); // fail now, with the catalog's own message, rather than on the first request
    const log = opts.quiet ? undefined : accessLog();
    const logger = log && ((l: RequestLog) => log(logLine(l)));
    const api = createApi({
      catalog,
      basePath: opts.basePath,
      publicUrl: publicUrl(opts),
      cacheControl: opts.cacheControl,
      // Half the API's defaults: every worker keeps its own, and the 146 tiles of the serve bench
      // (4.4 MB of PNG) still fit; measured, 16/24 MB cost ~16 MB more RSS per worker for no more tiles/s.
      tileCacheBytes: megabytes(opts.tileCacheMb ?? '8', '--tile-cache-mb'),
      blockCacheBytes: megabytes(opts.blockCacheMb ?? '12', '--block-cache-mb'),
      maxSourceBytes: megabytes(opts.maxSourceMb, '--max-source-mb'),
      maxDecodedPixels: megabytes(opts.maxDecodedMpixels, '--max-decoded-mpixels'),
      ...limits,
      maxMosaicSources: opts.maxMosaicSources,
      cors: opts.cors === undefined || opts.cors === '*' ? '*' : opts.cors === 'none' ? false : opts.cors.split(','),
      logger,
      access,
    });
    const server = createNodeServer(api, { logger, maxConnections: opts.maxConnections });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(listenError(e, opts.host, opts.port)));
      server.listen(opts.port, opts.host, resolve);
    });
    const stop = () => {
      server.close(() => void catalog.close().finally(() => process.exit(0)));
      server.closeIdleConnections();
      setTimeout(() => process.exit(0), 5000).unref();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : opts.port;
    onListening?.(`http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}${opts.basePath ?? ''}`);
    return server;
  } catch (e) {
    await catalog.close().catch(() => undefined);
    throw e;
  }
}

/**
 * `taoguan serve`: N worker processes on one port (as gunicorn's workers), so one VM uses every core.
 * bin/taoguan.mjs starts the primary from a bundle of the CLI (scripts/cli/serve-bundle.mjs) with the
 * memory settings, and workers run the same bundle; where it cannot be built, both run through tsx,
 * which works the same and weighs ~40 MB more per process. The primary holds the catalog and keeps
 * the workers running (serve-primary.ts).
 */
export async function serveCommand(opts: ServeOptions): Promise<void> {
  if (!cluster.isPrimary) {
    // Once the primary is gone, a send on the channel fails (EPIPE); the worker exits on 'disconnect'.
    cluster.worker?.on('error', () => undefined);
    try {
      await startServer(opts, (url) => process.send?.({ listening: url }));
    } catch (e) {
      // The primary says it, once for all workers, and decides what happens next.
      process.send!({ startupError: e instanceof Error ? e.message : String(e) }, () => process.exit(1));
    }
    return;
  }
  // Everything a worker would refuse, refused here first: once, before any worker starts.
  publicUrl(opts);
  megabytes(opts.tileCacheMb, '--tile-cache-mb');
  megabytes(opts.blockCacheMb, '--block-cache-mb');
  megabytes(opts.maxSourceMb, '--max-source-mb');
  megabytes(opts.maxDecodedMpixels, '--max-decoded-mpixels');
  new AccessControl(accessOptions(opts) ?? {});
  await runPrimary(opts, Math.max(1, Number(opts.workers ?? availableParallelism())));
}
