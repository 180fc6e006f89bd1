/**
 * What every store shares: validating what callers pass in, the dataset id, and record ⇄ row.
 * Stores call these before touching their database, so a bad key is refused the same way everywhere.
 */
import { createHash } from 'node:crypto';
import { deserializeHeader, HeaderVersionError, serializeHeader } from '../tiff/index.ts';
import {
  CatalogError, KEY_NAME, validateKeys, validateKeyValue,
  type DatasetRecord, type KeySpec, type ListQuery,
} from './catalog.ts';

/** Rows per list page when the caller does not say, and the most one page may hold. */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 10_000;

/** Key specs for create(): identifiers, unique ignoring case (column names are case-insensitive in SQL). */
export function validateKeySpecs(specs: KeySpec[]): void {
  if (!Array.isArray(specs) || specs.length === 0) throw new CatalogError('a catalog needs at least one key');
  const seen = new Set<string>();
  for (const k of specs) {
    if (typeof k.name !== 'string' || !KEY_NAME.test(k.name)) {
      throw new CatalogError(`key name ${JSON.stringify(k.name)} must be a letter followed by up to 63 letters, digits or "_"`);
    }
    if (seen.has(k.name.toLowerCase())) throw new CatalogError(`key name "${k.name}" is used twice (names ignore case)`);
    seen.add(k.name.toLowerCase());
    if (k.description !== undefined && typeof k.description !== 'string') throw new CatalogError(`key "${k.name}": description must be a string`);
  }
}

/** Everything put() needs from a record, checked before the store is touched. */
export function validateRecord(specs: KeySpec[], record: DatasetRecord): void {
  validateKeys(specs, record.keys);
  if (typeof record.location !== 'string' || record.location.length === 0) throw new CatalogError('dataset location is empty');
  if (!Number.isSafeInteger(record.size) || record.size < 0) throw new CatalogError(`dataset size ${record.size} is not a byte count`);
  if (!record.header || !record.metadata) throw new CatalogError('dataset record needs a header and metadata');
}

/**
 * The dataset's primary key: SHA-256 of the key values. Fixed length whatever the keys, so it fits
 * any store's primary-key limit (MySQL's 3072-byte index cap is what breaks long composite keys),
 * and stable across stores. Values cannot hold control characters, so NUL separates them unambiguously.
 */
export function datasetId(keys: string[]): string {
  return createHash('sha256').update(keys.join('\u0000')).digest('hex');
}

export interface ListPlan {
  /** Filters as (key position, accepted values); an empty `values` means nothing can match. */
  filters: { position: number; values: string[] }[];
  limit: number;
  offset: number;
  /** True when some filter has an empty list of values: answer [] / 0 without a query. */
  empty: boolean;
}

/** Validate a list/count query against the catalog's keys and turn it into positions and bounds. */
export function planList(specs: KeySpec[], query: ListQuery = {}): ListPlan {
  const filters: ListPlan['filters'] = [];
  for (const [name, value] of Object.entries(query.where ?? {})) {
    const position = specs.findIndex((k) => k.name === name);
    if (position < 0) throw new CatalogError(`unknown key "${name}": this catalog's keys are ${specs.map((k) => k.name).join(', ')}`);
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) validateKeyValue(name, v);
    filters.push({ position, values });
  }
  const limit = query.limit ?? DEFAULT_LIMIT;
  const page = query.page ?? 0;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new CatalogError(`limit must be an integer from 1 to ${MAX_LIMIT}, got ${limit}`);
  if (!Number.isSafeInteger(page) || page < 0) throw new CatalogError(`page must be a non-negative integer, got ${page}`);
  return { filters, limit, offset: limit * page, empty: filters.some((f) => f.values.length === 0) };
}

/** The stored form of a record's values (key columns are the store's own business). */
export interface StoredFields {
  location: string;
  etag: string | null;
  size: number;
  lastModified: string | null;
  /** JSON; non-finite numbers (a NaN mean of an all-nodata raster) are tagged so they survive. */
  metadata: string;
  /** serializeHeader's compact JSON. */
  header: string;
}

export function toStored(record: DatasetRecord): StoredFields {
  return {
    location: record.location,
    etag: record.etag ?? null,
    size: record.size,
    lastModified: record.lastModified ?? null,
    metadata: JSON.stringify(record.metadata, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v)),
    header: serializeHeader(record.header),
  };
}

export function fromStored(keys: string[], s: StoredFields): DatasetRecord {
  const record: DatasetRecord = {
    keys,
    location: s.location,
    size: Number(s.size),
    metadata: parseMetadata(s.metadata),
    header: parseHeader(keys, s.header),
  };
  if (s.etag !== null) record.etag = s.etag;
  if (s.lastModified !== null) record.lastModified = s.lastModified;
  return record;
}

/** A reviver makes JSON.parse ~5× slower, so only text that holds a tagged number gets one. */
function parseMetadata(text: string) {
  if (!text.includes('"$number"')) return JSON.parse(text);
  return JSON.parse(text, (_k, v) => (v !== null && typeof v === 'object' && typeof v.$number === 'string' && Object.keys(v).length === 1 ? Number(v.$number) : v));
}

function parseHeader(keys: string[], text: string) {
  try {
    return deserializeHeader(text);
  } catch (err) {
    if (err instanceof HeaderVersionError) throw new CatalogError(`dataset ${keys.join('/')}: ${err.message}`, 'schema');
    throw err;
  }
}

/** True when a put would change nothing: the same object at the same place (the ingest idempotence rule). */
export function sameObject(stored: Pick<StoredFields, 'location' | 'etag' | 'size'>, next: StoredFields): boolean {
  return stored.location === next.location && (stored.etag ?? null) === next.etag && Number(stored.size) === next.size;
}

/** The messages stores give for a missing or mismatched schema, worded once. */
export const SchemaErrors = {
  notFound: (uri: string) => new CatalogError(`no taoguan catalog at ${uri}: run \`taoguan catalog create ${uri} --keys …\` first`, 'not-found'),
  mismatch(uri: string, found: number, expected: number): CatalogError {
    return found < expected
      ? new CatalogError(`catalog ${uri} has schema version ${found}, this taoguan uses ${expected}: run \`taoguan catalog migrate ${uri}\``, 'schema')
      : new CatalogError(`catalog ${uri} has schema version ${found}, newer than this taoguan's ${expected}: upgrade taoguan`, 'schema');
  },
};

/** A URI safe to print: `mysql://user:secret@host/db` → `mysql://user@host/db`. */
export function redactUri(uri: string): string {
  return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, '$1@');
}
