import cluster from 'node:cluster';
import { createServer, type Server } from 'node:http';
import { availableParallelism } from 'node:os';
import { accessFromEnv } from '../../lib/api/auth.ts';
import { createApi, toNodeHandler, type AccessOptions, type RequestLog } from '../../lib/api/index.ts';
import { CachedCatalog } from '../../lib/catalog/cache.ts';
import type { Catalog } from '../../lib/catalog/catalog.ts';
import { openCatalog } from '../../lib/catalog/open.ts';
import { relativeRowsWarning } from '../../lib/ingest/local-paths.ts';
import { catalogUri } from './catalog.ts';
import { MALLOC_ENV } from '../../functions/memory.ts';
import { answerCatalogCalls, PrimaryCatalog } from './serve-catalog.ts';

export interface ServeOptions {
  catalog?: string;
  host: string;
  /** Numbers from the CLI's option parser; strings from other callers (demo). */
  port: number;
  workers?: number;
  basePath?: string;
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

const megabytes = (value: string | undefined, name: string): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 65536) throw new Error(`${name}: expected megabytes between 0 and 65536, got ${JSON.stringify(value)}`);
  return Math.round(n * 2 ** 20);
};

function logLine(l: RequestLog): string {
  const cache = l.cache.tile ? ` tile:${l.cache.tile}` : '';
  return `${l.method} ${l.path} ${l.status} ${l.ms.toFixed(1)}ms catalog=${l.catalog} source=${l.source} blocks=${l.cache.blockHits}/${l.cache.blockHits + l.cache.blockMisses}${cache}${l.error ? ` error=${l.error}` : ''}`;
}

/**
 * The catalog one serving process reads, behind its own cache: a worker whose primary holds the
 * catalog asks it (serve-catalog.ts); otherwise the store is opened here.
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
  const catalog = await serverCatalog(opts);
  await catalog.keys(); // fail now, with the catalog's own message, rather than on the first request
  const api = createApi({
    catalog,
    basePath: opts.basePath,
    cacheControl: opts.cacheControl,
    // Half the API's defaults: every worker keeps its own, and the 146 tiles of the serve bench
    // (4.4 MB of PNG) still fit; measured, 16/24 MB cost ~16 MB more RSS per worker for no more tiles/s.
    tileCacheBytes: megabytes(opts.tileCacheMb ?? '8', '--tile-cache-mb'),
    blockCacheBytes: megabytes(opts.blockCacheMb ?? '12', '--block-cache-mb'),
    maxSourceBytes: megabytes(opts.maxSourceMb, '--max-source-mb'),
    maxDecodedPixels: megabytes(opts.maxDecodedMpixels, '--max-decoded-mpixels'),
    cors: opts.cors === undefined || opts.cors === '*' ? '*' : opts.cors === 'none' ? false : opts.cors.split(','),
    logger: opts.quiet ? undefined : (l) => console.log(logLine(l)),
    access: accessOptions(opts),
  });
  const server = createServer(toNodeHandler(api));
  server.keepAliveTimeout = 65_000; // longer than the usual proxy's, so nginx never reuses a closed socket
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
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
}

/**
 * A worker's memory is mostly not its JavaScript heap: see MALLOC_ENV. V8's young generation also
 * grows to 3 × 16 MB under load; 1 MB semi-spaces cost little. Measured per worker over the serve
 * bench (peak RSS): 248 MB through tsx with Node's defaults and 16/24 MB caches, 204 MB bundled,
 * 115 MiB bundled with these settings and 8/12 MB caches, 100–106 MiB with the catalog in the
 * primary. The user's own environment wins.
 */
const WORKER_NODE_FLAGS = ['--max-semi-space-size=1'];

/**
 * `taoguan serve`: N worker processes on one port (as gunicorn's workers), so one VM uses every core.
 * bin/taoguan.mjs starts the primary from a bundle of the CLI (scripts/serve-bundle.mjs) with the
 * memory settings, and workers run the same bundle; where it cannot be built, both run through tsx,
 * which works the same and weighs ~40 MB more per process. The primary holds the catalog.
 */
export async function serveCommand(opts: ServeOptions): Promise<void> {
  const workers = Math.max(1, Number(opts.workers ?? availableParallelism()));
  if (!cluster.isPrimary) {
    await startServer(opts, (url) => process.send?.({ listening: url }));
    return;
  }
  // The primary holds the one catalog connection (or SQLite engine) of the machine; workers ask it.
  // Only workers answer from stale records: they know how old theirs are (one the primary passed on
  // stale would look fresh to them, and could outlive the window).
  const catalog = await openCatalog(catalogUri(opts.catalog), { staleMs: 0 });
  await catalog.keys(); // fail now, with the catalog's own message, before any worker starts
  const relative = await relativeRowsWarning(catalog);
  if (relative) console.error(relative);
  megabytes(opts.tileCacheMb, '--tile-cache-mb');
  megabytes(opts.blockCacheMb, '--block-cache-mb');
  megabytes(opts.maxSourceMb, '--max-source-mb');
  megabytes(opts.maxDecodedMpixels, '--max-decoded-mpixels');
  // From bin/taoguan.mjs's bundle (the usual way) workers run that bundle; otherwise they run the CLI
  // again through tsx (the bundle did not build, or serveCommand was called from other code).
  const bundle = process.env.TAOGUAN_SERVE_BUNDLE;
  cluster.setupPrimary({
    ...(bundle && bundle !== 'none' ? { exec: bundle, execArgv: WORKER_NODE_FLAGS } : {}),
    // advanced serialization: catalog records cross over with their typed arrays intact
    serialization: 'advanced',
  });
  let announced = false;
  for (let i = 0; i < workers; i++) {
    const w = cluster.fork({
      ...MALLOC_ENV, ...process.env, TAOGUAN_SERVE_CATALOG_URI: catalog.uri, TAOGUAN_SERVE_CATALOG_TIMEOUT_MS: String(catalog.timeoutMs ?? ''),
    });
    answerCatalogCalls(w, catalog);
    w.on('message', (m: { listening?: string }) => {
      if (m.listening && !announced) {
        announced = true;
        console.log(`taoguan serving ${catalog.uri} at ${m.listening}/ with ${workers} workers (Ctrl-C to stop)`);
      }
    });
  }
  let failed = false;
  cluster.on('exit', (_w, code) => {
    if (code !== 0 && !failed && !announced) {
      failed = true;
      console.error('taoguan: a worker failed to start; stopping');
      process.exitCode = 1;
      for (const w of Object.values(cluster.workers ?? {})) w?.kill();
    }
    // The last worker gone: the primary's catalog (a MySQL pool keeps the process alive) goes too.
    if (Object.keys(cluster.workers ?? {}).length === 0) void catalog.close().finally(() => process.exit());
  });
  const stop = () => { for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM'); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
