/**
 * The catalog stores, by URI scheme. Each store is one file here, loaded only when a URI names it
 * (a MySQL deployment never loads SQLite's WebAssembly, a SQLite one never loads mysql2); this list
 * is the one place that knows them. openCatalog, the functions' configuration, the CLI's help and
 * both bundlers (the functions' build and serve's bundle) read it. Adding a store is a file that
 * exports `open(uri)` and one entry below.
 */
import type { RuntimePackage } from '../../util/index.ts';
import type { Catalog } from '../catalog.ts';

export type { RuntimePackage };

export interface CatalogStore {
  /** The URI scheme, without the colon. */
  scheme: string;
  /** How a user writes its URI, for help and errors. */
  uri: string;
  /** Whether `uri` names this store (a scheme, or SQLite's bare `*.db` path). */
  matches(uri: string): boolean;
  /** The store's module, imported on first use; it exports `open(uri)`. */
  load(): Promise<{ open(uri: string): Catalog }>;
  /** Packages it loads at run time, kept out of the main bundles. */
  packages: RuntimePackage[];
  /**
   * The URI a tiles function opens, which only reads: SQLite adds mode=ro (a function's file system
   * is private and short-lived). Throws a message for a URI that asks to write.
   */
  readOnly?(uri: string): string;
}

const scheme = (name: string) => (uri: string): boolean => uri.toLowerCase().startsWith(`${name}:`);

export const CATALOG_STORES: readonly CatalogStore[] = [
  {
    scheme: 'sqlite', uri: 'sqlite:PATH (or a path ending .sqlite or .db)',
    matches: (uri) => scheme('sqlite')(uri) || (!uri.includes('://') && /\.(sqlite3?|db)$/i.test(uri)),
    load: () => import('./sqlite.ts'),
    packages: [{ spec: 'node-sqlite3-wasm', wasm: 'node-sqlite3-wasm.wasm' }],
    readOnly(uri) {
      if (/[?&]mode=rw\b/.test(uri)) throw new Error(`${uri}: a tiles function opens SQLite read-only; drop mode=rw or use ?mode=ro`);
      if (/[?&]mode=ro\b/.test(uri)) return uri;
      // a bare path with a query is no longer a bare path: name the store
      const named = scheme('sqlite')(uri) ? uri : `sqlite:${uri}`;
      return `${named}${named.includes('?') ? '&' : '?'}mode=ro`;
    },
  },
  {
    scheme: 'mysql', uri: 'mysql://user:pass@host:3306/db',
    matches: scheme('mysql'), load: () => import('./mysql.ts'),
    packages: [{ spec: 'mysql2' }, { spec: 'mysql2/promise', sidecar: 'mysql2/promise.js' }],
  },
  {
    scheme: 'postgres', uri: 'postgres://user:pass@host:5432/db',
    matches: (uri) => scheme('postgres')(uri) || scheme('postgresql')(uri), load: () => import('./postgres.ts'),
    packages: [{ spec: 'pg', sidecar: 'pg/index.js' }],
  },
  {
    scheme: 'tablestore', uri: 'tablestore://INSTANCE?endpoint=…',
    matches: scheme('tablestore'), load: () => import('./tablestore.ts'),
    packages: [{ spec: 'tablestore', sidecar: 'tablestore/index.js' }],
  },
  {
    // last: any other store's URI that happens to end .db is that store's
    scheme: 'sqlite-remote', uri: 'https:// s3:// oss:// or cos:// …/catalog.sqlite (read-only; written by `catalog publish`)',
    matches: (uri) => /^(https?|s3|oss|cos):\/\/[^?#]+\.(sqlite3?|db)([?#].*)?$/i.test(uri), load: () => import('./remote-sqlite.ts'),
    packages: [{ spec: 'wa-sqlite/dist/wa-sqlite-async.mjs', wasm: 'wa-sqlite-async.wasm' }],
  },
];

/** The store a URI names, or undefined. */
export const storeFor = (uri: string): CatalogStore | undefined => CATALOG_STORES.find((s) => s.matches(uri));

/** "use sqlite:PATH …, mysql://… or tablestore://…": what a user may write, for messages and help. */
export const STORE_URIS = CATALOG_STORES.map((s) => s.uri).join(', ').replace(/, ([^,]*)$/, ', or $1');
