/**
 * From one STAC document to its items: an Item is itself; an ItemCollection (a static file or a
 * STAC API search page) its features, following `rel=next` pages; a Collection its `rel=item` links,
 * else its `rel=items` endpoint, paged the same way. Documents are read through lib/source (the
 * allow-lists, timeouts and retries of every ingest location), at most MAX_DOCUMENT_BYTES each.
 */
import { checkHostname, openAllowed, type LocationPolicy, type OpenOptions } from '../source/index.ts';
import { resolveHref, StacError, type StacItem, type StacLink } from './stac.ts';

/** As HttpSource's largest whole answer: a server ignoring Range sends no more than this either. */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;
/** Items one run plans at most, by default: a search left unbounded would page through a whole archive. */
export const DEFAULT_MAX_ITEMS = 10_000;

/** Item documents of a static collection read at once. */
const ITEM_READS = 8;

/** fn over every value, at most `limit` at a time, results in input order. */
async function mapLimit<T, R>(values: T[], limit: number, fn: (v: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(values.length);
  let next = 0;
  const worker = async () => {
    while (next < values.length) {
      const i = next++;
      out[i] = await fn(values[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, values.length) }, worker));
  return out;
}

export interface FoundItem {
  item: StacItem;
  /** Where its relative asset hrefs resolve: its absolute self link, else the document it came in. */
  base: string;
}

export interface WalkOptions {
  /** Reads one document (default readDocument); tests count the reads here. */
  read?: (location: string) => Promise<unknown>;
  maxItems?: number;
  source?: OpenOptions;
  policy?: LocationPolicy;
}

/**
 * One JSON document through the source layer, refused past MAX_DOCUMENT_BYTES. One read of more than
 * that, not a HEAD then a range: a search page is generated per request and may not be the same
 * length twice, and a server ignoring Range answers it whole either way.
 */
export async function readDocument(location: string, source?: OpenOptions, policy?: LocationPolicy): Promise<unknown> {
  const src = openAllowed(location, source, policy);
  try {
    const { bytes } = await src.read(0, MAX_DOCUMENT_BYTES + 1);
    if (bytes.length > MAX_DOCUMENT_BYTES) throw new StacError(`${location}: more than the ${MAX_DOCUMENT_BYTES} bytes a STAC document may have`);
    try {
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      throw new StacError(`${location}: not JSON (${(e as Error).message})`);
    }
  } finally {
    await src.close?.();
  }
}

/**
 * The guard for a walk starting at `root`: a document from a public host (or a bucket) may only
 * lead to public hosts — its links and asset hrefs are checked at connect time, after DNS — unless
 * TAOGUAN_ALLOW_PRIVATE_HOSTS says otherwise. A local file or an internal host the user named
 * themselves is trusted as the plain CLI is.
 */
export function guardFor(root: string, env: Record<string, string | undefined> = process.env): OpenOptions['guard'] {
  if (!/^[a-z][a-z0-9+.-]+:\/\//i.test(root) || /^file:/i.test(root)) return undefined;
  if (/^https?:/i.test(root)) {
    try {
      checkHostname(new URL(root).hostname);
    } catch {
      return undefined;
    }
  }
  const raw = env.TAOGUAN_ALLOW_PRIVATE_HOSTS?.trim() || '0';
  return { allowPrivate: raw === '1' ? true : raw === '0' ? false : raw.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean) };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const linksOf = (doc: Record<string, unknown>, rel: string): StacLink[] =>
  (Array.isArray(doc.links) ? doc.links : []).filter((l): l is StacLink => isObject(l) && l.rel === rel && typeof l.href === 'string');

/** An item's shape, checked once here so the mapping can trust it. */
function checkItem(doc: unknown, where: string): StacItem {
  if (!isObject(doc) || doc.type !== 'Feature') throw new StacError(`${where}: not a STAC Item (type ${isObject(doc) ? JSON.stringify(doc.type) : typeof doc})`);
  if (typeof doc.id !== 'string' || doc.id === '') throw new StacError(`${where}: an item without an id`);
  if (!isObject(doc.properties)) throw new StacError(`${where}: item ${doc.id} has no properties`);
  if (!isObject(doc.assets)) throw new StacError(`${where}: item ${doc.id} has no assets`);
  for (const [name, asset] of Object.entries(doc.assets)) {
    if (!isObject(asset) || typeof asset.href !== 'string') throw new StacError(`${where}: item ${doc.id}: asset ${name} has no href`);
  }
  return doc as unknown as StacItem;
}

/** An item's absolute self link, else the document's location, as the base of its relative hrefs. */
function baseOf(item: StacItem, where: string): string {
  const self = linksOf(item as unknown as Record<string, unknown>, 'self')[0]?.href;
  return self && /^[a-z][a-z0-9+.-]+:\/\//i.test(self) ? resolveHref(self, where) : where;
}

/** Every item the document at `root` leads to, in document order. Nothing is ingested here. */
export async function walkStac(root: string, options: WalkOptions = {}): Promise<FoundItem[]> {
  const read = options.read ?? ((l: string) => readDocument(l, options.source, options.policy));
  const maxItems = options.maxItems ?? DEFAULT_MAX_ITEMS;
  const found: FoundItem[] = [];
  const add = (doc: unknown, where: string) => {
    if (found.length >= maxItems) throw new StacError(`${root}: more than ${maxItems} items; narrow the search or raise --max-items`);
    const item = checkItem(doc, where);
    found.push({ item, base: baseOf(item, where) });
  };

  const pages = async (first: unknown, at: string) => {
    const seen = new Set<string>();
    for (let doc = first, where = at; ;) {
      seen.add(where);
      if (!isObject(doc) || doc.type !== 'FeatureCollection' || !Array.isArray(doc.features)) throw new StacError(`${where}: not an ItemCollection (a FeatureCollection of items)`);
      for (const f of doc.features) add(f, where);
      const next = linksOf(doc, 'next')[0];
      if (!next || doc.features.length === 0) return;
      if (next.method && next.method.toUpperCase() !== 'GET') {
        throw new StacError(`${where}: its next page is a ${next.method} request, which is not followed; search with GET (a URL with the query in it)`);
      }
      const url = resolveHref(next.href, where);
      if (seen.has(url)) throw new StacError(`${where}: its next link leads back to a page already read (${url})`);
      [doc, where] = [await read(url), url];
    }
  };

  const doc = await read(root);
  const type = isObject(doc) ? doc.type : undefined;
  if (type === 'Feature') add(doc, root);
  else if (type === 'FeatureCollection') await pages(doc, root);
  else if (type === 'Collection') {
    const collection = doc as Record<string, unknown>;
    const items = linksOf(collection, 'item'), endpoint = linksOf(collection, 'items')[0];
    // A static collection lists its items; an API's has an endpoint serving the same items in pages.
    if (items.length) {
      if (items.length > maxItems) throw new StacError(`${root}: more than ${maxItems} items; narrow the search or raise --max-items`);
      const urls = items.map((link) => resolveHref(link.href, root));
      const docs = await mapLimit(urls, ITEM_READS, read);
      docs.forEach((d, i) => add(d, urls[i]));
    } else if (endpoint) {
      const url = resolveHref(endpoint.href, root);
      await pages(await read(url), url);
    } else throw new StacError(`${root}: collection ${String(collection.id)} has no rel=item links and no rel=items endpoint`);
  } else if (type === 'Catalog') {
    const children = linksOf(doc as Record<string, unknown>, 'child').slice(0, 3).map((l) => l.href);
    throw new StacError(`${root}: a STAC Catalog; give one of its collections or an item search instead${children.length ? ` (children: ${children.join(', ')})` : ''}`);
  } else {
    throw new StacError(`${root}: not a STAC Item, ItemCollection or Collection (type ${JSON.stringify(type)})`);
  }
  if (found.length === 0) throw new StacError(`${root}: no items`);
  return found;
}
