/**
 * What the server stores (MySQL, PostgreSQL) share: the meta table's rows read once per catalog
 * object, pools that outlive catalog objects and are renewed after minutes unused, and the URI's
 * numeric parameters. Each store keeps its own SQL and its own error codes.
 */
import { CatalogError, KEY_NAME, SCHEMA_VERSION, type KeySpec } from '../catalog.ts';
import { SchemaErrors } from '../records.ts';

export interface Meta { keys: KeySpec[]; version: number }

/** The meta rows ('keys', 'schema_version') as a Meta; a missing version row means no catalog. */
export function parseMeta(uri: string, table: string, meta: { keys?: unknown; schema_version?: unknown }): Meta {
  // no version row: never created, or creation was interrupted (create() can be run again)
  if (meta.schema_version === null || meta.schema_version === undefined) throw SchemaErrors.notFound(uri);
  const keys = JSON.parse(String(meta.keys)) as KeySpec[];
  // names become column names: a tampered meta table must not inject SQL through them
  if (!Array.isArray(keys) || !keys.every((k) => KEY_NAME.test(k.name))) throw new CatalogError(`${uri} has an invalid key name in ${table}`, 'schema');
  return { keys, version: Number(meta.schema_version) };
}

/**
 * The meta, read once per catalog object and shared by concurrent first callers; a failed read is
 * forgotten so the next call tries again. `known` is set once it has resolved: a cold lookup reads it
 * together with the record instead (one round trip), and says so with `learn`.
 */
export class MetaCache {
  #loading?: Promise<Meta>;
  known?: Meta;

  constructor(readonly uri: string) {}

  async get(load: () => Promise<Meta>, anyVersion = false): Promise<Meta> {
    const loading = (this.#loading ??= load().then((meta) => {
      if (this.#loading === loading) this.known = meta;
      return meta;
    }));
    const meta = await loading.catch((e: unknown) => {
      if (this.#loading === loading) this.#loading = undefined;
      throw e;
    });
    if (meta.version !== SCHEMA_VERSION && !anyVersion) throw SchemaErrors.mismatch(this.uri, meta.version, SCHEMA_VERSION);
    return meta;
  }

  learn(meta: Meta): void {
    if (this.known) return;
    this.known = meta;
    this.#loading = Promise.resolve(meta);
  }

  /** The meta may change (create, migrate) or the catalog be closed: read it again next time. */
  forget(): void {
    this.#loading = undefined;
    this.known = undefined;
  }
}

/** A pool and who uses it: pools outlive catalog objects (a function's module scope survives between warm invocations). */
export interface PoolEntry<P> { pool: P; users: number; busy: number; lastUsed: number }

/**
 * One pool per URI in this process (or one per catalog object, unshared), made on first use. After
 * minutes unused (a function instance frozen between invocations) its connections are replaced, not
 * trusted: a NAT or load balancer may have dropped them silently, and a query on such a socket hangs
 * until TCP gives up instead of failing fast.
 */
export class SharedPools<P extends { end(): Promise<void> }> {
  readonly #pools = new Map<string, PoolEntry<P>>();

  use(holder: { entry?: PoolEntry<P> }, key: string, shared: boolean, idleRefreshMs: number, create: () => P): PoolEntry<P> {
    if (!holder.entry) {
      let entry = shared ? this.#pools.get(key) : undefined;
      if (!entry) {
        entry = { pool: create(), users: 0, busy: 0, lastUsed: Date.now() };
        if (shared) this.#pools.set(key, entry);
      }
      entry.users++;
      holder.entry = entry;
    }
    const entry = holder.entry;
    if (entry.busy === 0 && Date.now() - entry.lastUsed > idleRefreshMs) {
      entry.pool.end().catch(() => undefined);
      entry.pool = create();
    }
    entry.lastUsed = Date.now();
    return entry;
  }

  /** `work` on the entry, counted busy meanwhile (a busy pool is never renewed under a query). */
  async busy<T>(entry: PoolEntry<P>, work: () => Promise<T>): Promise<T> {
    entry.busy++;
    try {
      return await work();
    } finally {
      entry.busy--;
      entry.lastUsed = Date.now();
    }
  }

  /** The holder lets go; the last user of a pool ends it. */
  async release(holder: { entry?: PoolEntry<P> }, key: string): Promise<void> {
    const entry = holder.entry;
    holder.entry = undefined;
    if (!entry || --entry.users > 0) return;
    if (this.#pools.get(key) === entry) this.#pools.delete(key);
    await entry.pool.end();
  }
}

/** A URI parameter that must be a positive whole number (a pool size, milliseconds). */
export function wholeParam(uri: string, params: URLSearchParams, name: string, fallback: number): number {
  const text = params.get(name);
  if (text === null) return fallback;
  if (!/^[1-9]\d{0,8}$/.test(text)) throw new CatalogError(`${uri}: ${name}=${JSON.stringify(text)} must be a positive whole number`);
  return Number(text);
}
