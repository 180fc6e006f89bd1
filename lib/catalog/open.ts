/**
 * openCatalog(URI): the one way the CLI, the server and the functions get a catalog. The URI picks
 * the store from the registry (stores/index.ts); each store is imported only when named.
 */
import { CatalogError, type Catalog } from './catalog.ts';
import { CachedCatalog, type CacheOptions } from './cache.ts';
import { redactUri } from './records.ts';
import { STORE_URIS, storeFor, type CatalogStore } from './stores/index.ts';

export interface OpenOptions extends CacheOptions {
  /** Wrap the store in the in-memory CachedCatalog (default true); the CLI's one-shot commands may skip it. */
  cache?: boolean;
}

const HELP = `use ${STORE_URIS}`;

/** Open the catalog at `uri`, or at $TAOGUAN_CATALOG when no URI is given. Connects lazily, on first use. */
export async function openCatalog(uri: string | undefined = process.env.TAOGUAN_CATALOG, options: OpenOptions = {}): Promise<Catalog> {
  if (!uri) throw new CatalogError(`no catalog given: pass --catalog URI or set TAOGUAN_CATALOG; ${HELP}`);
  const store = await openStore(uri);
  return options.cache === false ? store : new CachedCatalog(store, options);
}

async function openStore(uri: string): Promise<Catalog> {
  const store = storeFor(uri);
  if (store) return (await loadStore(store)).open(uri);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1].toLowerCase();
  const what = scheme && uri.includes('://') ? `unknown catalog scheme "${scheme}:"` : `cannot tell which store "${redactUri(uri)}" is`;
  throw new CatalogError(`${what}: ${HELP}`);
}

/**
 * A store's module; one whose SDK is an optional package of the npm package (tablestore: 27 MB with
 * protobufjs) and not installed says which to install, rather than Node's module-not-found trace.
 */
async function loadStore(store: CatalogStore): ReturnType<CatalogStore['load']> {
  try {
    return await store.load();
  } catch (e) {
    // ESM says ERR_MODULE_NOT_FOUND, require() in serve's CommonJS bundle MODULE_NOT_FOUND
    const missing = /^(ERR_)?MODULE_NOT_FOUND$/.test(String((e as NodeJS.ErrnoException).code))
      ? store.packages.map((p) => p.spec.split('/')[0]).find((name) => String((e as Error).message).includes(`'${name}'`))
      : undefined;
    if (missing) throw new CatalogError(`the ${store.scheme} catalog needs the npm package "${missing}", which is not installed: npm install ${missing}`);
    throw e;
  }
}
