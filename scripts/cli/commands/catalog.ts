import { openCatalog, publishCatalog, storeFor, STORE_URIS } from '../../../lib/catalog/index.ts';
import type { Catalog } from '../../../lib/catalog/index.ts';

export function catalogUri(uri: string | undefined): string {
  const u = uri ?? process.env.TAOGUAN_CATALOG;
  if (!u) throw new Error(`no catalog: pass --catalog URI (${STORE_URIS}) or set TAOGUAN_CATALOG`);
  return u;
}

/** One-shot commands: the store itself, not the server's in-memory cache (nothing is read twice). */
export async function withCatalog<T>(uri: string | undefined, fn: (c: Catalog) => Promise<T>): Promise<T> {
  const catalog = await openCatalog(catalogUri(uri), { cache: false });
  try {
    return await fn(catalog);
  } finally {
    await catalog.close();
  }
}

/** `--where band=B04 --where date=2024-01-15,2024-01-16` → { band: 'B04', date: [...] } */
export function parseWhere(items: string[] = []): Record<string, string | string[]> {
  const where: Record<string, string | string[]> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`--where ${item}: expected KEY=VALUE or KEY=V1,V2`);
    const values = item.slice(eq + 1).split(',');
    where[item.slice(0, eq)] = values.length === 1 ? values[0] : values;
  }
  return where;
}

export async function createCommand(uri: string, opts: { keys: string; descriptions?: string }): Promise<void> {
  const names = opts.keys.split(',').map((k) => k.trim()).filter(Boolean);
  const descriptions = opts.descriptions?.split(',') ?? [];
  // the store's uri is redacted (no password) and normalised
  const shown = await withCatalog(uri, async (c) => {
    await c.create(names.map((name, i) => ({ name, description: descriptions[i]?.trim() || undefined })));
    return c.uri;
  });
  console.log(`created catalog ${shown} with keys ${names.join(', ')}`);
}

export async function listCommand(uri: string | undefined, opts: { where?: string[]; limit: string; page: string; json?: boolean }): Promise<void> {
  await withCatalog(uri, async (c) => {
    const keys = (await c.keys()).map((k) => k.name);
    const where = parseWhere(opts.where);
    const rows = await c.list({ where, limit: Number(opts.limit), page: Number(opts.page) });
    if (opts.json) {
      console.log(JSON.stringify(rows.map((r) => ({ keys: Object.fromEntries(keys.map((k, i) => [k, r.keys[i]])), location: r.location })), null, 2));
      return;
    }
    console.log([...keys, 'location'].join('\t'));
    for (const r of rows) console.log([...r.keys, r.location].join('\t'));
    console.error(`${rows.length} of ${await c.count(where)} dataset(s)`);
  });
}

export async function infoCommand(uri: string | undefined, opts: { json?: boolean }): Promise<void> {
  await withCatalog(uri, async (c) => {
    const info = await c.info();
    if (opts.json) return console.log(JSON.stringify(info, null, 2));
    console.log(`catalog   ${info.uri}\nschema    version ${info.schemaVersion}\nkeys      ${info.keys.map((k) => (k.description ? `${k.name} (${k.description})` : k.name)).join(', ')}\ndatasets  ${info.datasets}`);
  });
}

export async function deleteCommand(uri: string | undefined, keys: string[]): Promise<void> {
  await withCatalog(uri, async (c) => {
    if (!(await c.delete(keys))) throw new Error(`no dataset with keys ${keys.join(', ')}`);
    console.log(`deleted ${keys.join('/')}`);
  });
}

export async function migrateCommand(uri: string | undefined): Promise<void> {
  await withCatalog(uri, async (c) => {
    const { from, to } = await c.migrate();
    console.log(from === to ? `catalog is at schema version ${to}; nothing to do` : `migrated catalog from schema version ${from} to ${to}`);
  });
}

/**
 * A consistent snapshot of SRC as a compact SQLite file at DEST (a path or an object location). A
 * SQLite source is read from a private copy (its read-only mode), so a running ingest cannot tear it.
 */
export async function publishCommand(src: string, dest: string, opts: { pageSize?: number }): Promise<void> {
  const uri = storeFor(src)?.readOnly?.(src) ?? src;
  const t0 = Date.now();
  const result = await withCatalog(uri, (c) => publishCatalog(c, dest, { pageSize: opts.pageSize }));
  const mb = (result.bytes / 1048576).toFixed(1);
  console.log(`published ${result.datasets} dataset(s) to ${result.destination}: ${mb} MB, ${result.pageSize / 1024} KiB pages`
    + `${result.etag ? `, ETag ${result.etag}` : ''}, sha256 ${result.sha256.slice(0, 16)}…, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (!result.hashedRowids) console.error('note: two dataset ids share their first 8 bytes; lookups in this file go through the id index (one more page each)');
}
