/**
 * The catalog: datasets under ordered key values (sensor, date, band…), each with its object's
 * location, ETag and size, computed metadata, and its parsed COG header — so a tile request needs
 * one primary-key lookup (or none, from the cache) and never re-reads a header from the source;
 * a cold process's first one gets the key names in that same round trip (lookup).
 * One interface, one file per store (sqlite.ts, mysql.ts, tablestore.ts).
 */
import { TaoguanError, type ErrorKind } from '../errors/index.ts';
import type { CogHeader } from '../tiff/index.ts';

/** Bump when the stored layout changes; stores refuse other versions until `taoguan catalog migrate`. */
export const SCHEMA_VERSION = 2;
// 2: each dataset's WGS84 bounds in columns of their own (SQL stores), indexed for mosaic selection

export interface KeySpec {
  name: string;
  description?: string;
}

/** What ingest computes per dataset (Terracotta's metadata, plus what a serverless reader needs). */
export interface DatasetMetadata {
  /** WGS84 [west, south, east, north]. */
  bounds: [number, number, number, number];
  /** WGS84 footprint of the valid data, a GeoJSON Polygon or MultiPolygon. */
  footprint: { type: 'Polygon' | 'MultiPolygon'; coordinates: unknown };
  validPercent: number;
  min: number;
  max: number;
  mean: number;
  stdev: number;
  /** p1 … p99: percentiles[i] is the (i + 1)th percentile. */
  percentiles: number[];
  /** Level the statistics came from, and whether they are exact (full resolution). */
  statsLevel: number;
  exact: boolean;
  /** Free-form user metadata (Terracotta's `metadata` column). */
  extra?: Record<string, unknown>;
}

export interface DatasetRecord {
  /** Key values in the catalog's key order. */
  keys: string[];
  /** Where the COG lives: a path, URL or s3:// oss:// cos:// location. */
  location: string;
  etag?: string;
  size: number;
  lastModified?: string;
  metadata: DatasetMetadata;
  header: CogHeader;
}

/** A dataset in a listing: keys and location only (listing never loads headers). */
export interface DatasetSummary {
  keys: string[];
  location: string;
}

export interface ListQuery {
  /** key name → one value or a list of accepted values. */
  where?: Record<string, string | string[]>;
  /** Page size (default 100) and 0-based page. */
  limit?: number;
  page?: number;
}

/** WGS84 [west, south, east, north]. */
export type Bounds = [number, number, number, number];

/**
 * A key filter of a mosaic: one value, any of a list, or every value starting with `prefix`
 * (the API's `2024-06-*`; `{ prefix: '' }` is any value, the API's `*`).
 */
export type KeyFilter = string | string[] | { prefix: string };

export interface SelectQuery {
  where?: Record<string, KeyFilter>;
  /** Only datasets whose bounds intersect this WGS84 box. */
  bbox?: Bounds;
  /** At most this many, keys ascending (a caller asks cap + 1 to learn a cap is passed). */
  limit?: number;
}

/** A dataset as a mosaic index holds it: keys and WGS84 bounds. */
export interface DatasetBounds {
  keys: string[];
  bounds: Bounds;
}

export interface CatalogInfo {
  uri: string;
  schemaVersion: number;
  keys: KeySpec[];
  datasets: number;
}

export type PutResult = 'inserted' | 'updated' | 'unchanged';

/** The catalog's key names and one dataset, as a cold reader needs them together. */
export interface Lookup {
  keys: KeySpec[];
  /** Undefined when there is no such dataset, or when `values` is not one value per key. */
  record: DatasetRecord | undefined;
}

export interface Catalog {
  /** The catalog URI with any password removed (safe to print). */
  readonly uri: string;
  /** The longest a read takes before it fails 'unavailable', when the store bounds it (ms). */
  readonly timeoutMs?: number;
  /** Create the schema with these ordered keys. Fails if a catalog already exists there. */
  create(keys: KeySpec[]): Promise<void>;
  keys(): Promise<KeySpec[]>;
  /**
   * Insert or replace the dataset with these key values, atomically. Putting a record equal to the
   * stored one (same location, ETag and size) changes nothing and says 'unchanged'.
   */
  put(record: DatasetRecord): Promise<PutResult>;
  /** One primary-key lookup. */
  get(keys: string[]): Promise<DatasetRecord | undefined>;
  /**
   * The key names (schema version checked) and the dataset under `values`, in ONE store round trip
   * when the key names are not loaded yet, a plain get when they are: what a cold process's first
   * tile costs. Each value is checked first ('invalid'); a wrong number of values is not an error
   * here (the record is undefined), so the caller can word it with the key names it now has.
   */
  lookup(values: string[]): Promise<Lookup>;
  delete(keys: string[]): Promise<boolean>;
  list(query?: ListQuery): Promise<DatasetSummary[]>;
  count(where?: ListQuery['where']): Promise<number>;
  info(): Promise<CatalogInfo>;
  /**
   * Optional (selectDatasets falls back to list + get + bounds in memory; the SQL stores have it,
   * TableStore not): the datasets matching `where` whose bounds intersect `bbox`, keys ascending, in
   * ONE indexed store query.
   */
  select?(query: SelectQuery): Promise<DatasetRecord[]>;
  /**
   * Optional (catalogMembers falls back to list + get): keys and bounds of every dataset matching
   * `where`, keys ascending, in one query that loads no header: what a mosaic's in-memory index holds.
   */
  members?(where?: SelectQuery['where']): Promise<DatasetBounds[]>;
  /** Bring an older schema up to SCHEMA_VERSION; returns the versions it went from and to. */
  migrate(): Promise<{ from: number; to: number }>;
  close(): Promise<void>;
}

export type CatalogErrorCode = 'not-found' | 'exists' | 'schema' | 'invalid' | 'unavailable';

/**
 * A missing catalog or one needing `catalog migrate` is the deployment's state, not the request's:
 * to a tile request it is as unavailable as a stopped server (503; `not-found` kind means an unknown
 * dataset, which it is not). Bad key values and an existing catalog are the caller's input.
 */
const CATALOG_KINDS: Record<CatalogErrorCode, ErrorKind> = { invalid: 'input', exists: 'input', 'not-found': 'unavailable', schema: 'unavailable', unavailable: 'unavailable' };

/** Something the user must fix: a bad key, a missing catalog, an old schema. The message says what. */
export class CatalogError extends TaoguanError {
  constructor(message: string, readonly code: CatalogErrorCode = 'invalid') {
    super(CATALOG_KINDS[code], message);
    this.name = 'CatalogError';
  }
}

/** Key names: identifiers, so they are safe as column names in every store. */
export const KEY_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** Key values: no control characters, no path traversal, at most 512 characters. */
export function validateKeyValue(name: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) throw new CatalogError(`key "${name}": empty value`);
  if (value.length > 512) throw new CatalogError(`key "${name}": value longer than 512 characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new CatalogError(`key "${name}": value contains control characters`);
  if (value === '.' || value === '..' || value.includes('/') || value.includes('\\')) {
    throw new CatalogError(`key "${name}": value ${JSON.stringify(value)} may not contain "/" or "\\" or be "." or ".."`);
  }
}

/** Each value on its own, before the key names are known: named by position (key "#2"). */
export function validateKeyValues(values: string[]): void {
  if (!Array.isArray(values)) throw new CatalogError('key values must be a list');
  values.forEach((v, i) => validateKeyValue(`#${i + 1}`, v));
}

export function validateKeys(specs: KeySpec[], values: string[]): void {
  if (values.length !== specs.length) {
    throw new CatalogError(`expected ${specs.length} key value(s) (${specs.map((k) => k.name).join(', ')}), got ${values.length}`);
  }
  specs.forEach((k, i) => validateKeyValue(k.name, values[i]));
}
