/**
 * STAC items → catalog rows, the pure half: the `--keys` mapping (item fields and the asset's name →
 * the catalog's key values), which assets are COGs, and where a relative href points. No I/O: the
 * documents are read by stac-walk.ts, the rows written by groups.ts.
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { validateKeyValue } from '../catalog/index.ts';
import { InputError } from '../errors/index.ts';
import { LocationRefusedError, parseLocation } from '../source/index.ts';

/** A STAC document the mapping or the walk cannot use; the message names the item or document. */
export class StacError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'StacError';
  }
}

export interface StacAsset { href: string; type?: string; roles?: string[] }
export interface StacLink { rel: string; href: string; type?: string; method?: string }
export interface StacItem {
  type: 'Feature';
  id: string;
  collection?: string;
  properties: Record<string, unknown>;
  assets: Record<string, StacAsset>;
  links?: StacLink[];
}

/** What a `:modifier` does to a value; the date ones take an RFC 3339 date-time, read in UTC. */
export const KEY_MODIFIERS: Record<string, { help: string; apply: (v: string | number, what: string) => string }> = {
  date: { help: 'datetime → 2024-06-01', apply: (v, w) => utc(v, w).slice(0, 10) },
  yyyymmdd: { help: 'datetime → 20240601', apply: (v, w) => utc(v, w).slice(0, 10).replaceAll('-', '') },
  month: { help: 'datetime → 2024-06', apply: (v, w) => utc(v, w).slice(0, 7) },
  year: { help: 'datetime → 2024', apply: (v, w) => utc(v, w).slice(0, 4) },
  lower: { help: 'Sentinel-2A → sentinel-2a', apply: (v) => String(v).toLowerCase() },
};

function utc(value: string | number, what: string): string {
  const ms = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new StacError(`${what}: ${JSON.stringify(value)} is not an RFC 3339 date-time`);
  return new Date(ms).toISOString();
}

/** Fields read from the item itself; any other name is one of its `properties`. */
const ITEM_FIELDS = new Set(['id', 'collection', 'asset']);
/** Names whose `:suffix` can only be a modifier (they carry no extension prefix of their own). */
const PLAIN_FIELDS = new Set([...ITEM_FIELDS, 'datetime', 'start_datetime', 'end_datetime', 'created', 'updated']);

export interface KeyField {
  /** The entry as written, for messages. */
  text: string;
  /** 'id', 'collection', 'asset', or a property name (eo:cloud_cover, platform…). */
  field: string;
  modifier?: string;
}

/**
 * `collection,datetime:date,asset` → one field per catalog key, in the catalog's key order. A field
 * is `id`, `collection`, `asset` (the asset's name in the item) or a property, bare or as
 * `properties.NAME`; `datetime` falls back to `start_datetime` for items with a range. A trailing
 * `:MODIFIER` applies when it names one (so `eo:cloud_cover` stays a property name).
 */
export function parseKeyMapping(spec: string, catalogKeys: string[]): KeyField[] {
  const entries = spec.split(',').map((e) => e.trim());
  if (entries.some((e) => e === '')) throw new StacError(`--keys ${spec}: an empty entry; write one field per catalog key, comma-separated`);
  if (entries.length !== catalogKeys.length) {
    throw new StacError(`--keys ${spec}: ${entries.length} field(s) for the catalog's ${catalogKeys.length} key(s) (${catalogKeys.join(', ')}); give one field per key, in that order`);
  }
  return entries.map((text) => {
    const colon = text.lastIndexOf(':');
    const suffix = colon > 0 ? text.slice(colon + 1) : undefined;
    let field = text, modifier: string | undefined;
    if (suffix !== undefined && Object.hasOwn(KEY_MODIFIERS, suffix)) {
      field = text.slice(0, colon);
      modifier = suffix;
    } else if (suffix !== undefined && PLAIN_FIELDS.has(text.slice(0, colon))) {
      throw new StacError(`--keys ${text}: unknown modifier "${suffix}"; modifiers are ${Object.keys(KEY_MODIFIERS).join(', ')}`);
    }
    if (field.startsWith('properties.')) field = field.slice('properties.'.length);
    if (field === '') throw new StacError(`--keys ${text}: no field named`);
    return { text, field, modifier };
  });
}

/**
 * A key value is a path segment of every tile route, where `*`, `[a,b]` and `,` are mosaic syntax
 * and anything else would need escaping; so values from documents are held to this set.
 */
const VALUE = /^[A-Za-z0-9._~:@+=-]+$/;

/** The value of one mapped field for one asset of an item, or a StacError naming item, field and why. */
export function keyValue(item: StacItem, assetKey: string, f: KeyField, keyName: string): string {
  const what = `item ${item.id}: key ${keyName} (${f.text})`;
  let raw: unknown;
  if (f.field === 'asset') raw = assetKey;
  else if (f.field === 'id') raw = item.id;
  else if (f.field === 'collection') raw = item.collection;
  else raw = f.field === 'datetime' ? (item.properties.datetime ?? item.properties.start_datetime) : item.properties[f.field];
  if (raw === undefined || raw === null) throw new StacError(`${what}: the item has no ${ITEM_FIELDS.has(f.field) ? '' : 'property '}${f.field}`);
  if (typeof raw !== 'string' && !(typeof raw === 'number' && Number.isFinite(raw))) {
    throw new StacError(`${what}: ${f.field} is ${Array.isArray(raw) ? 'a list' : typeof raw}, not a string or number`);
  }
  const value = f.modifier ? KEY_MODIFIERS[f.modifier].apply(raw, what) : String(raw);
  if (!VALUE.test(value)) {
    throw new StacError(`${what}: the value ${JSON.stringify(value.slice(0, 80))} has characters a key value may not (only letters, digits and . _ ~ : @ + = -)${f.modifier ? '' : '; a modifier such as :date or :lower may shape it'}`);
  }
  try {
    validateKeyValue(keyName, value);
  } catch (e) {
    throw new StacError(`${what}: ${(e as Error).message}`);
  }
  return value;
}

const COG_TYPES = [/^image\/tiff;\s*application=geotiff/i, /^image\/vnd\.stac\.geotiff/i];

/**
 * Assets ingested by default: GeoTIFFs by media type (the COG profile, plain GeoTIFF, or the older
 * image/vnd.stac.geotiff Landsat uses), and untyped `data` assets whose href ends .tif/.tiff.
 * Whether one really is a COG is decided by its header at ingest, as for any object.
 */
export function isCogAsset(asset: StacAsset): boolean {
  if (asset.type) return COG_TYPES.some((t) => t.test(asset.type as string));
  return Boolean(asset.roles?.includes('data') && /\.tiff?(?:[?#]|$)/i.test(asset.href));
}

const hasScheme = (href: string) => /^[a-z][a-z0-9+.-]+:/i.test(href);
const isLocal = (location: string) => parseLocation(location).scheme === 'file';

/**
 * An href as a location: absolute as written, relative against the document it is in (a folder
 * path for a local document, a URL otherwise). A document read from anywhere but this machine may
 * not lead to this machine's files: that is refused, not read.
 */
export function resolveHref(href: string, base: string): string {
  if (typeof href !== 'string' || href === '') throw new StacError(`${base}: a link or asset without an href`);
  let location: string;
  if (hasScheme(href)) location = href.toLowerCase().startsWith('file:') ? fileURLToPath(href) : href;
  else if (isLocal(base)) location = isAbsolute(href) ? href : fileURLToPath(new URL(href, pathToFileURL(resolve(parseLocation(base).path as string))));
  else location = new URL(href, base).href;
  if (!isLocal(base) && isLocal(location)) throw new LocationRefusedError(`${base}: names the local file ${href}; a remote STAC document may not lead to this machine's files`);
  return location;
}
