/**
 * Object-upload events (S3, OSS, COS — already reduced to put/delete records by each adapter) →
 * the same ingest pipeline as the CLI.
 *
 * Events are hints; the bucket is the truth. Platforms deliver these at least once and in no
 * guaranteed order, so a record's action is not applied as given: each record reconciles its object
 * (lib/ingest/reconcile.ts) — present in the bucket → ingested at its current ETag, absent → its
 * dataset removed if the row points at it. Duplicates, a delete before its create, or a late create
 * after a delete all end with the catalog as the bucket is.
 *
 * Failures: all three platforms invoke storage triggers asynchronously and retry an invocation
 * that throws (Lambda twice, FC and SCF by their async retry policy); none has a per-record report
 * for these triggers. So every record is processed on its own, and what no retry can cure (a
 * malformed key, a location outside the allow-lists, no COG, a key value the catalog refuses: the
 * error kinds of lib/errors (isPermanent)) is reported and logged but fails nothing. Only when a
 * record failed in a way that may pass (the store or the catalog down) does throwOnFailures raise one
 * error naming those, and the retry re-runs the batch — cheap, because finished records come back
 * 'unchanged' / 'absent'.
 */
import type { Catalog, PutResult } from '../catalog/index.ts';
import { isPermanent } from '../errors/index.ts';
import { IngestError, type IngestOptions } from './ingest.ts';
import { optimizedLocation, optimizeObject, type OptimizeOnIngest } from './optimize-object.ts';
import { checkPatternKeys, type KeyPattern } from './pattern.ts';
import { reconcileObject } from './reconcile.ts';
import { LocationRefusedError } from '../source/index.ts';
import type { OpenOptions } from '../source/index.ts';
import type { Source } from '../source/index.ts';

export interface ObjectRecord {
  action: 'put' | 'delete';
  /** s3://bucket/key, oss://bucket/key or cos://bucket-appid/key, key decoded. */
  location: string;
  /** Why the event's record is unusable (a malformed key): reported as 'invalid', never read. */
  problem?: string;
}

export type RecordStatus =
  /** The object exists: ingested (or already was, at this ETag). */
  | PutResult
  /** The object is gone: its dataset removed from the catalog. */
  | 'deleted'
  /** The object is gone and the catalog holds nothing at this location: nothing to do. */
  | 'absent'
  /** The key does not match the pattern: not a dataset. */
  | 'skipped'
  /** Outside the allowed buckets, prefixes or hosts: not even looked at. */
  | 'refused'
  /** A malformed record, not a COG, a bad key value, over a cap: a retry cannot help, so the batch is not failed for it. */
  | 'invalid'
  /** A failure that may pass (the store or the catalog): the batch throws after the last record, to be retried. */
  | 'failed';

export interface RecordResult extends ObjectRecord {
  status: RecordStatus;
  keys?: string[];
  message?: string;
  /** The COG written for a converted non-COG; status and keys are its ingest's. */
  output?: string;
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
  ingest?: Omit<IngestOptions, 'open' | 'source' | 'info'>;
  /** Convert uploaded non-COGs outside `prefix` into COGs under it (TAOGUAN_OPTIMIZE_PREFIX). */
  optimize?: OptimizeOnIngest;
}

/** Processes records in order (a put then a delete of one key in a batch must end deleted). */
export async function handleObjectEvents(records: ObjectRecord[], options: ObjectEventOptions): Promise<RecordResult[]> {
  const catalogKeys = (await options.catalog.keys()).map((k) => k.name);
  checkPatternKeys(options.pattern, catalogKeys);
  const results: RecordResult[] = [];
  const keysOf = (location: string) => {
    const values = options.pattern.match(location);
    return values && catalogKeys.map((k) => values[k]);
  };
  // what an ingest that succeeded warns of (a datum shift approximated) goes into that record's message
  let warnings: string[] = [];
  const onWarning = (location: string, message: string) => {
    warnings.push(message);
    options.ingest?.onWarning?.(location, message);
  };
  const reconcile = (location: string, keys: string[]) =>
    reconcileObject(options.catalog, location, keys, { ...options.ingest, onWarning, source: options.openOptions, open: options.open });
  const warned = (): { message?: string } => (warnings.length ? { message: [...new Set(warnings)].join('; ') } : {});
  for (const record of records) {
    warnings = [];
    if (record.problem) {
      results.push({ ...record, status: 'invalid', message: record.problem });
      continue;
    }
    try {
      const keys = keysOf(record.location);
      // Only uploads outside the output prefix are ever converted: the COGs written there come back
      // as events of their own, and must be ingested, never converted again.
      const convertible = options.optimize && record.action === 'put' && !record.location.startsWith(options.optimize.prefix);
      if (!convertible) {
        results.push(keys ? { ...record, keys, status: await reconcile(record.location, keys), ...warned() } : { ...record, status: 'skipped', message: 'does not match the key pattern' });
        continue;
      }
      if (keys) {
        try {
          results.push({ ...record, keys, status: await reconcile(record.location, keys), ...warned() });
          continue;
        } catch (e) {
          if (!(e instanceof IngestError && e.code === 'not-cog')) throw e;
        }
      } else if (!/\.tiff?$/i.test(record.location)) {
        results.push({ ...record, status: 'skipped', message: 'does not match the key pattern, and is no .tif to convert' });
        continue;
      }
      results.push(await convert(record));
    } catch (e) {
      results.push({ ...record, status: failureStatus(e), message: (e as Error).message });
    }
  }
  return results;

  async function convert(record: ObjectRecord): Promise<RecordResult> {
    const optimize = options.optimize as OptimizeOnIngest;
    const planned = optimizedLocation(record.location, optimize);
    const keys = keysOf(planned);
    if (!keys) return { ...record, status: 'skipped', message: `its COG would be ${planned}, which does not match the key pattern` };
    const output = await optimizeObject(record.location, optimize, { source: options.openOptions, open: options.open, signal: options.ingest?.signal });
    if (!output) return { ...record, status: 'absent', message: 'gone before it could be converted' };
    return { ...record, keys, output, status: await reconcile(output, keys) };
  }
}

/** A refusal by the allow-lists (even one met on a redirect, mid-read) is 'refused'; else the error's kind decides. */
function failureStatus(e: unknown): RecordStatus {
  for (let c: unknown = e, i = 0; c instanceof Error && i < 4; c = c.cause, i++) if (c instanceof LocationRefusedError) return 'refused';
  return isPermanent(e) ? 'invalid' : 'failed';
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
