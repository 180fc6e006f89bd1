/**
 * Object-upload events (S3, OSS, COS — already reduced to put/delete records by each adapter) →
 * the same ingest pipeline as the CLI.
 *
 * Events are hints; the bucket is the truth. Platforms deliver these at least once and in no
 * guaranteed order, so a put whose object has since gone is 'gone' (not an error), and a delete
 * whose object exists again is 'kept' (its own put event ingests it). With ingestObject's
 * ETag check, the same event twice changes nothing.
 *
 * Failures: all three platforms invoke storage triggers asynchronously and retry an invocation
 * that throws (Lambda twice, FC and SCF by their async retry policy); none has a per-record report
 * for these triggers. So every record is processed, then throwOnFailures raises one error naming
 * the failed ones, and the retry re-runs the batch — cheap, because finished records come back
 * 'unchanged' / 'absent'.
 */
import type { Catalog, PutResult } from '../lib/catalog/catalog.ts';
import { ingestObject, type IngestOptions } from '../lib/ingest/ingest.ts';
import { PatternError, type KeyPattern } from '../lib/ingest/pattern.ts';
import { openSource, type OpenOptions } from '../lib/source/location.ts';
import { SourceError, type Source } from '../lib/source/source.ts';

export interface ObjectRecord {
  action: 'put' | 'delete';
  /** s3://bucket/key, oss://bucket/key or cos://bucket-appid/key, key decoded. */
  location: string;
}

export type RecordStatus =
  | PutResult
  /** Removed from the catalog. */
  | 'deleted'
  /** Delete of something the catalog does not hold (at this location): nothing to do. */
  | 'absent'
  /** Delete event, but the object exists again: left in the catalog. */
  | 'kept'
  /** Put event, but the object no longer exists. */
  | 'gone'
  /** The key does not match the pattern: not a dataset. */
  | 'skipped'
  | 'failed';

export interface RecordResult extends ObjectRecord {
  status: RecordStatus;
  keys?: string[];
  message?: string;
}

export interface ObjectEventOptions {
  catalog: Catalog;
  /** Matched against the whole location, e.g. compilePattern('oss://bucket/cogs/{sensor}_{date}_{band}.tif'). */
  pattern: KeyPattern;
  /** Endpoint, region and the function's role credentials for opening locations. */
  openOptions?: OpenOptions;
  /** Opens a location instead of openSource (tests map cloud locations to a local origin). */
  open?: (location: string) => Source;
  /** Other ingest settings (exact statistics, force, signal). */
  ingest?: Omit<IngestOptions, 'open' | 'source'>;
}

/** Processes records in order (a put then a delete of one key in a batch must end deleted). */
export async function handleObjectEvents(records: ObjectRecord[], options: ObjectEventOptions): Promise<RecordResult[]> {
  const catalogKeys = (await options.catalog.keys()).map((k) => k.name);
  const { keys: patternKeys } = options.pattern;
  if (patternKeys.length !== catalogKeys.length || catalogKeys.some((k) => !patternKeys.includes(k))) {
    throw new PatternError(`the pattern names keys ${patternKeys.join(', ')} but the catalog has ${catalogKeys.join(', ')}`);
  }
  const results: RecordResult[] = [];
  for (const record of records) {
    try {
      const values = options.pattern.match(record.location);
      if (!values) {
        results.push({ ...record, status: 'skipped', message: 'does not match the key pattern' });
        continue;
      }
      const keys = catalogKeys.map((k) => values[k]);
      results.push({ ...record, keys, status: record.action === 'put' ? await put(record.location, keys, options) : await remove(record.location, keys, options) });
    } catch (e) {
      results.push({ ...record, status: 'failed', message: (e as Error).message });
    }
  }
  return results;
}

async function put(location: string, keys: string[], options: ObjectEventOptions): Promise<RecordStatus> {
  try {
    return await ingestObject(options.catalog, location, keys, { ...options.ingest, source: options.openOptions, open: options.open });
  } catch (e) {
    // Only on failure: ask whether the object is simply gone (deleted after this event was sent).
    if ((await exists(location, options).catch(() => true)) === false) return 'gone';
    throw e;
  }
}

async function remove(location: string, keys: string[], options: ObjectEventOptions): Promise<RecordStatus> {
  if (await exists(location, options)) return 'kept';
  const stored = await options.catalog.get(keys);
  // Another object may hold these keys now (a re-upload under a new name): leave it alone.
  if (!stored || stored.location !== location) return 'absent';
  return (await options.catalog.delete(keys)) ? 'deleted' : 'absent';
}

async function exists(location: string, options: ObjectEventOptions): Promise<boolean> {
  const source = options.open ? options.open(location) : openSource(location, options.openOptions);
  try {
    await source.head();
    return true;
  } catch (e) {
    if (e instanceof SourceError && e.status === 404) return false;
    throw e;
  } finally {
    await source.close?.();
  }
}

/** Raised after a batch with failed records, so the platform retries the invocation. */
export class ObjectEventsError extends AggregateError {
  constructor(readonly results: RecordResult[]) {
    const failed = results.filter((r) => r.status === 'failed');
    super(failed.map((r) => new Error(`${r.action} ${r.location}: ${r.message}`)), `${failed.length} of ${results.length} object event(s) failed: ${failed.map((r) => r.location).join(', ')}`);
    this.name = 'ObjectEventsError';
  }
}

export function throwOnFailures(results: RecordResult[]): RecordResult[] {
  if (results.some((r) => r.status === 'failed')) throw new ObjectEventsError(results);
  return results;
}
