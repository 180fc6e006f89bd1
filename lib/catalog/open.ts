/**
 * openCatalog(URI): the one way the CLI, the server and the functions get a catalog. The URI picks
 * the store (DESIGN.md "Catalog URI"); each store is imported only when named, so a MySQL deployment
 * never loads SQLite's WebAssembly and a SQLite one never loads mysql2.
 */
import { CatalogError, type Catalog } from './catalog.ts';
import { CachedCatalog, type CacheOptions } from './cache.ts';
import { redactUri } from './records.ts';

export interface OpenOptions extends CacheOptions {
  /** Wrap the store in the in-memory CachedCatalog (default true); the CLI's one-shot commands may skip it. */
  cache?: boolean;
}

const HELP = 'use sqlite:PATH (or a path ending .sqlite or .db), mysql://user:pass@host:port/db, or tablestore://INSTANCE?endpoint=…';

/** Open the catalog at `uri`, or at $TAOGUAN_CATALOG when no URI is given. Connects lazily, on first use. */
export async function openCatalog(uri: string | undefined = process.env.TAOGUAN_CATALOG, options: OpenOptions = {}): Promise<Catalog> {
  if (!uri) throw new CatalogError(`no catalog given: pass --catalog URI or set TAOGUAN_CATALOG; ${HELP}`);
  const store = await openStore(uri);
  return options.cache === false ? store : new CachedCatalog(store, options);
}

async function openStore(uri: string): Promise<Catalog> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1].toLowerCase();
  if (scheme === 'sqlite' || (!uri.includes('://') && /\.(sqlite3?|db)$/i.test(uri))) {
    const { SqliteCatalog } = await import('./stores/sqlite.ts');
    return new SqliteCatalog(uri);
  }
  if (scheme === 'mysql') {
    const { MysqlCatalog } = await import('./stores/mysql.ts');
    return new MysqlCatalog(uri);
  }
  if (scheme === 'tablestore') {
    const { TableStoreCatalog } = await import('./stores/tablestore.ts');
    return new TableStoreCatalog(uri);
  }
  const what = scheme && uri.includes('://') ? `unknown catalog scheme "${scheme}:"` : `cannot tell which store "${redactUri(uri)}" is`;
  throw new CatalogError(`${what}: ${HELP}`);
}
