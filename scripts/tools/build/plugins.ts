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

/**
 * The EPSG database (lib/crs/database.ts, loaded only by ingest) trimmed to what resolving a CRS
 * reads: epsg-index without its WKT, areas and bounds (8 MB → 1.4 MB), and proj4-list only for the
 * codes whose PROJ definition needs a grid (its one use).
 */
export const epsgDefinitionsOnly: Plugin = {
  name: 'epsg-definitions-only',
  setup(build) {
    const usable = (kind: string) => kind === 'CRS-PROJCRS' || kind === 'CRS-GEOGCRS';
    type Entry = { code: string; kind: string; name: string; proj4?: string | null };
    const read = (path: string): Record<string, Entry> => JSON.parse(readFileSync(path, 'utf8'));
    build.onLoad({ filter: /[/\\]epsg-index[/\\]all\.json$/ }, (args) => {
      const trimmed = Object.fromEntries(Object.entries(read(args.path))
        .filter(([, e]) => usable(e.kind) && e.proj4)
        .map(([code, e]) => [code, { kind: e.kind, name: e.name, proj4: e.proj4 }]));
      return { contents: JSON.stringify(trimmed), loader: 'json' };
    });
    build.onLoad({ filter: /[/\\]proj4-list[/\\]dist[/\\]list\.min\.js$/ }, (args) => {
      const index = read(createRequire(args.path).resolve('epsg-index/all.json'));
      const list = createRequire(args.path)(args.path) as Record<string, [string, string]>;
      const needed = Object.fromEntries(Object.entries(list).filter(([key]) => index[key.slice(5)]?.proj4?.includes('+nadgrids=') && !index[key.slice(5)]?.proj4?.includes('+nadgrids=@null')));
      return { contents: `module.exports = ${JSON.stringify(needed)};`, loader: 'js' };
    });
  },
};
