/** esbuild plugins for the function bundles. */
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
