/**
 * Make the catalog agree with the bucket about one object, whatever event said to look at it.
 *
 * Object events are hints: delivered at least once, in no guaranteed order, possibly long after the
 * fact. So none is applied as given. The object is HEADed: present → ingested at its current ETag
 * (every read pinned to it), absent → its dataset removed, but only if the catalog row still points
 * at this location. After a write the bucket is asked again: if the object changed or vanished while
 * we worked, the row just written (or removed) may be stale, so the round is repeated. A write the
 * second look confirms was true when it landed; any change after that sends its own event.
 */
import type { Catalog, PutResult } from '../catalog/index.ts';
import { openSource } from '../source/index.ts';
import { ObjectChangedError, ObjectMissingError, type ObjectInfo, type Source } from '../source/index.ts';
import { IngestError, ingestObject, type IngestOptions } from './ingest.ts';

export type ReconcileResult = PutResult | 'deleted' | 'absent';

export interface ReconcileOptions extends Omit<IngestOptions, 'info'> {
  /** Rounds before giving up on an object that keeps changing (default 3); the caller retries later. */
  attempts?: number;
}

/** The object's HEAD, or undefined when it does not exist. */
export async function headObject(source: Source, signal?: AbortSignal): Promise<ObjectInfo | undefined> {
  try {
    return await source.head({ signal });
  } catch (e) {
    if (e instanceof ObjectMissingError) return undefined;
    throw e;
  }
}

const sameVersion = (a: ObjectInfo | undefined, b: ObjectInfo | undefined) =>
  a === b || (!!a && !!b && a.size === b.size && a.etag === b.etag && a.lastModified === b.lastModified);

/** The object changed or vanished under a read pinned to its ETag: look again, not an error. */
function raced(e: unknown): boolean {
  const cause = e instanceof IngestError ? e.cause : e;
  return cause instanceof ObjectChangedError || cause instanceof ObjectMissingError;
}

export async function reconcileObject(catalog: Catalog, location: string, keys: string[], options: ReconcileOptions = {}): Promise<ReconcileResult> {
  const source = options.open ? options.open(location) : openSource(location, options.source);
  const attempts = options.attempts ?? 3;
  try {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const before = await headObject(source, options.signal);
      let result: ReconcileResult;
      if (before) {
        try {
          result = await ingestObject(catalog, location, keys, { ...options, open: () => source, info: before });
        } catch (e) {
          if (raced(e)) continue;
          throw e;
        }
      } else {
        const stored = await catalog.get(keys);
        // Another object may hold these keys now (a re-upload under a new name): leave it alone.
        result = stored?.location === location && (await catalog.delete(keys)) ? 'deleted' : 'absent';
      }
      // Only a write can be made stale by a change it raced with; a no-op stands as it is.
      if (result === 'unchanged' || result === 'absent') return result;
      if (sameVersion(before, await headObject(source, options.signal))) return result;
    }
  } finally {
    await source.close?.();
  }
  throw new IngestError(location, `the object kept changing during ${attempts} attempts to ingest it; try again`, undefined, { kind: 'changed' });
}
