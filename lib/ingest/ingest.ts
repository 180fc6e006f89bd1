/**
 * The ingest pipeline: object → header (ranges only) → COG check → metadata → one atomic upsert.
 * The CLI, and later the object-upload event handlers, all go through `ingestObject`.
 */
import { resolveHeaderCrs } from '../crs/index.ts';
import { errorKind, TaoguanError, type ErrorKind } from '../errors/index.ts';
import { CatalogError, validateKeys, type Catalog, type DatasetRecord, type PutResult } from '../catalog/index.ts';
import { capOf, costOf, ReadLimitError, type ReadLimits } from '../raster/index.ts';
import { statsLevel } from '../raster/index.ts';
import { CorruptBlockError } from '../raster/index.ts';
import { openAllowed, type LocationPolicy } from '../source/index.ts';
import { listObjects } from '../source/index.ts';
import type { OpenOptions } from '../source/index.ts';
import type { ObjectInfo, Source } from '../source/index.ts';
import type { CogHeader } from '../tiff/index.ts';
import { validateCog } from '../tiff/index.ts';
import { readHeader } from '../tiff/index.ts';
import { absoluteLocation } from './local-paths.ts';
import { computeMetadata } from './metadata.ts';
import { compilePattern, compileRegex, checkPatternKeys, PatternError, type KeyPattern } from './pattern.ts';

export interface IngestOptions {
  /** Statistics from full resolution instead of an overview of ~1024 px. */
  exact?: boolean;
  /** Re-read and re-compute even when the object's ETag and size are unchanged. */
  force?: boolean;
  signal?: AbortSignal;
  /** Object-store settings (endpoint, region, credentials) for opening locations. */
  source?: OpenOptions;
  /** Which locations may be read (allow.ts); a local file is judged by where its links lead. Default: any. */
  policy?: LocationPolicy;
  /** Opens a location; tests inject recording sources here. */
  open?: (location: string) => Source;
  /** The object's HEAD, already taken by the caller (saves one request); reads are pinned to its ETag. */
  info?: ObjectInfo;
  /**
   * Caps on what computing the statistics may read and decode (the functions size them from their
   * memory; the CLI sets none): past one, a 'too-large' IngestError before anything is fetched.
   */
  limits?: ReadLimits;
  /** Told what may be inexact about an object that was ingested all the same (a datum shift approximated). */
  onWarning?: (location: string, message: string) => void;
}

/** Codes callers act on: 'not-cog' (readable, but no COG; ingest-on-upload converts it), 'too-large' (past a bound). */
export type IngestErrorCode = 'not-cog' | 'too-large';

/**
 * One object could not be ingested; the message starts with its location. Its kind is the code's, else
 * its cause's: a TIFF that does not parse is bad input, a 503 from the store an origin fault.
 */
export class IngestError extends TaoguanError {
  constructor(readonly location: string, message: string, readonly code?: IngestErrorCode, options?: { cause?: unknown; kind?: ErrorKind }) {
    super(options?.kind ?? (code === 'not-cog' ? 'input' : code === 'too-large' ? 'limit' : errorKind(options?.cause)), `${location}: ${message}`, options);
    this.name = 'IngestError';
  }
}

/** A statistics pass over the caps, said for an object (not a request) and what would mend it. */
function tooLarge(location: string, header: CogHeader, exact: boolean | undefined, e: ReadLimitError): IngestError {
  const level = statsLevel(header, undefined, exact);
  const { width, height } = header.levels[level].image;
  const which = level === 0 ? `full resolution (${width}×${height}${exact ? '' : '; no overview of at least 1024 px'})` : `overview ${level} (${width}×${height})`;
  return new IngestError(location, `its statistics, read at ${which}, would ${costOf(e.limit, e.needed)}: more than the cap of ${capOf(e.limit, e.cap)} (${e.limit}); add overviews or smaller blocks (taoguan optimize), or give ingest more memory`, 'too-large', { cause: e });
}

/**
 * Ingest one object under explicit key values (Terracotta's `driver.insert(keys, path)`). A relative
 * local path is stored absolute (local-paths.ts); errors name the location as given.
 */
export async function ingestObject(catalog: Catalog, given: string, keys: string[], options: IngestOptions = {}): Promise<PutResult> {
  const prepared = await prepareObject(catalog, given, keys, options);
  return prepared === 'unchanged' ? prepared : await putRecord(catalog, given, prepared);
}

/** One catalog write, its failure named by the object as given (as a failed read is). */
export async function putRecord(catalog: Catalog, given: string, record: DatasetRecord): Promise<PutResult> {
  try {
    return await catalog.put(record);
  } catch (e) {
    if (e instanceof CatalogError) throw e;
    throw new IngestError(given, (e as Error).message, undefined, { cause: e });
  }
}

/**
 * Everything ingestObject does but the write: the record to put, or 'unchanged' when the stored row
 * already describes this object. Callers that write several rows only once all of them have been
 * read (a STAC item's assets) call this for each, then put.
 */
export async function prepareObject(catalog: Catalog, given: string, keys: string[], options: IngestOptions = {}): Promise<DatasetRecord | 'unchanged'> {
  validateKeys(await catalog.keys(), keys);
  const location = absoluteLocation(given);
  const source = options.open ? options.open(location) : openAllowed(location, options.source, options.policy);
  try {
    // An event delivered twice, or a re-run batch, costs one HEAD and one catalog lookup.
    const [stored, head] = await Promise.all([options.force ? undefined : catalog.get(keys), options.info ?? source.head({ signal: options.signal })]);
    const same = stored && stored.size === head.size && head.etag && stored.etag === head.etag;
    if (same && stored.location === location) return 'unchanged';
    // A row an older taoguan stored with a relative path, re-ingested from the folder it ran in: the
    // same file, so only its path is rewritten.
    if (same && absoluteLocation(stored.location) === location) return { ...stored, location };
    // Every read is pinned to the HEAD's ETag: an object replaced mid-read fails (ObjectChangedError)
    // instead of mixing two versions' bytes into one header or one set of statistics.
    const { header: read, info } = await readHeader(source, { signal: options.signal, etag: head.etag });
    // The CRS definition is stored with the header: tiles then need no EPSG database.
    const { header, warnings } = await resolveHeaderCrs(read);
    for (const w of warnings) options.onWarning?.(given, w);
    const check = validateCog(header);
    if (!check.isCog) {
      throw new IngestError(given, `not a valid Cloud Optimized GeoTIFF (${check.errors.join('; ')}); convert it with \`taoguan optimize\` first`, 'not-cog');
    }
    const metadata = await computeMetadata(header, source, { exact: options.exact, signal: options.signal, etag: info.etag ?? head.etag, limits: options.limits }).catch((e: unknown) => {
      throw e instanceof ReadLimitError ? tooLarge(given, header, options.exact, e) : e;
    });
    return { keys, location, etag: info.etag ?? head.etag, size: info.size, lastModified: info.lastModified ?? head.lastModified, metadata, header };
  } catch (e) {
    if (e instanceof IngestError || e instanceof CatalogError) throw e;
    // Sources name the (absolute) location themselves; said once, as the user gave it.
    const message = (e as Error).message;
    // A tile calls undecodable bytes an origin fault; at ingest the object itself is what is judged: bad input.
    throw new IngestError(given, message.startsWith(`${location}: `) ? message.slice(location.length + 2) : message, undefined, { cause: e, kind: e instanceof CorruptBlockError ? 'input' : undefined });
  } finally {
    await source.close?.();
  }
}

export interface PlannedObject {
  location: string;
  keys: string[];
}

/**
 * Match every object under the pattern's prefix, in the catalog's key order. Refuses, before
 * anything is written: a pattern whose keys are not the catalog's, no match at all, an ambiguous
 * name, and two objects mapping to the same keys.
 */
export async function planIngest(
  catalogKeys: string[], pattern: string,
  options: { regex?: string; source?: OpenOptions; onSkip?: (location: string, reason: string) => void } = {},
): Promise<PlannedObject[]> {
  const kp: KeyPattern = options.regex ? compileRegex(pattern, options.regex) : compilePattern(pattern);
  checkPatternKeys(kp, catalogKeys);
  const listed = await listObjects(kp.prefix, { ...options.source, onSkip: options.onSkip });
  const planned: PlannedObject[] = [];
  const seen = new Map<string, string>();
  for (const location of listed) {
    const values = kp.match(location);
    if (!values) continue;
    const keys = catalogKeys.map((k) => values[k]);
    const id = JSON.stringify(keys);
    const other = seen.get(id);
    if (other) throw new PatternError(`${other} and ${location} both map to keys ${keys.join(', ')}; nothing was ingested`);
    seen.set(id, location);
    planned.push({ location, keys });
  }
  if (planned.length === 0) throw new PatternError(`${options.regex ?? pattern} matches none of the ${listed.length} object(s) under ${kp.prefix || '.'}`);
  return planned;
}

export interface BatchResult {
  counts: Record<PutResult, number>;
  failures: { location: string; message: string }[];
}

/**
 * Ingest many objects with a concurrency bound, carrying on past failures (reported at the end).
 * Each dataset is one atomic upsert, so an interrupted batch leaves whole rows or none.
 */
export async function ingestMany(
  catalog: Catalog, objects: PlannedObject[],
  options: IngestOptions & { concurrency?: number; onProgress?: (done: number, total: number, location: string) => void } = {},
): Promise<BatchResult> {
  const result: BatchResult = { counts: { inserted: 0, updated: 0, unchanged: 0 }, failures: [] };
  let next = 0, done = 0;
  const worker = async () => {
    while (next < objects.length && !options.signal?.aborted) {
      const { location, keys } = objects[next++];
      try {
        result.counts[await ingestObject(catalog, location, keys, options)]++;
      } catch (e) {
        result.failures.push({ location, message: (e as Error).message });
      }
      options.onProgress?.(++done, objects.length, location);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, objects.length)) }, worker));
  return result;
}
