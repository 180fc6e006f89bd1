/** esbuild plugins for the function bundles. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'esbuild';

/**
 * zod's classic API re-exports every locale (`z.locales.*`) and configures English by default; the
 * other ~45 locales are dead weight in a function. Only `en` is kept.
 */
export const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) => {
      if (!/[/\\]zod[/\\]/.test(args.importer)) return undefined;
      return { path: join(dirname(args.importer), args.path), namespace: 'zod-locales' };
    });
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * lib/api re-exports toNodeHandler (for `taoguan serve`), whose @hono/node-server replaces the global
 * Request/Response at module load — which loads undici, ~20 ms of every cold start. Functions never
 * serve over node:http, so the bundles get a stub that says so if it is ever called.
 */
export const noNodeServer: Plugin = {
  name: 'no-node-server',
  setup(build) {
    build.onResolve({ filter: /^@hono\/node-server$/ }, () => ({ path: 'node-server-stub', namespace: 'stub' }));
    build.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: 'export function getRequestListener() { throw new Error("@hono/node-server is not in function bundles"); }',
      loader: 'js',
    }));
  },
};

/**
 * A lazily loaded SDK kept out of index.js (a sidecar under node_modules/): esbuild leaves a dynamic
 * import() of an external as a real ESM import(), and Node's ESM view of a bundled CommonJS file has
 * no named exports. Route it through a CommonJS shim instead, so it becomes a lazy require().
 */
export function lazyRequire(specs: string[]): Plugin {
  const filter = new RegExp(`^(${specs.map((s) => s.replace(/[/.]/g, '\\$&')).join('|')})$`);
  return {
    name: 'lazy-require',
    setup(build) {
      build.onResolve({ filter }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, namespace: 'lazy-require' } : { path: args.path, external: true }));
      build.onLoad({ filter: /.*/, namespace: 'lazy-require' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
    },
  };
}

/** The trimmed EPSG database's file name beside a function's index.js. */
export const EPSG_FILE = 'epsg-index.json';

type EpsgEntry = { code: string; kind: string; name: string; proj4?: string | null };
const readIndex = (path: string): Record<string, EpsgEntry> => JSON.parse(readFileSync(path, 'utf8'));

/**
 * epsg-index trimmed to what resolving a CRS reads (lib/crs/database.ts): projected and geographic
 * CRSs, name and definition, without WKT, areas and bounds (8 MB → 1.4 MB).
 */
export function trimmedEpsgIndex(): string {
  const path = createRequire(import.meta.url).resolve('epsg-index/all.json');
  return JSON.stringify(Object.fromEntries(Object.entries(readIndex(path))
    .filter(([, e]) => (e.kind === 'CRS-PROJCRS' || e.kind === 'CRS-GEOGCRS') && e.proj4)
    .map(([code, e]) => [code, { kind: e.kind, name: e.name, proj4: e.proj4 }])));
}

/**
 * The EPSG database, which only ingest loads, kept out of index.js: bundled as an object literal it
 * cost every cold start ~250 ms of parsing (measured on the ingest bundle); as EPSG_FILE beside
 * index.js (build.ts writes it) it is read with JSON.parse on first use only. proj4-list, used for
 * the few codes whose PROJ definition needs a grid, is cut to those codes.
 */
export const epsgDefinitionsOnly: Plugin = {
  name: 'epsg-definitions-only',
  setup(build) {
    build.onLoad({ filter: /[/\\]epsg-index[/\\]all\.json$/ }, () => ({
      contents: `module.exports = JSON.parse(require('fs').readFileSync(require('path').join(__dirname, ${JSON.stringify(EPSG_FILE)}), 'utf8'));`,
      loader: 'js',
    }));
    build.onLoad({ filter: /[/\\]proj4-list[/\\]dist[/\\]list\.min\.js$/ }, (args) => {
      const index = readIndex(createRequire(args.path).resolve('epsg-index/all.json'));
      const list = createRequire(args.path)(args.path) as Record<string, [string, string]>;
      const grid = (code: string) => /\+nadgrids=(?!@null)/.test(index[code]?.proj4 ?? '');
      return { contents: `module.exports = ${JSON.stringify(Object.fromEntries(Object.entries(list).filter(([key]) => grid(key.slice(5)))))};`, loader: 'js' };
    });
  },
};
