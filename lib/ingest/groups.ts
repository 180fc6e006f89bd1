/**
 * Ingest in groups, each whole or not at all: every object of a group (a STAC item's assets) is
 * read and described first, and the rows are written only when all of them were; one that fails
 * leaves the group out. The writes are one upsert per row, so only a catalog failure between them
 * can leave part of a group; re-running the same ingest completes it.
 */
import type { Catalog, DatasetRecord } from '../catalog/index.ts';
import { prepareObject, putRecord, type BatchResult, type IngestOptions, type PlannedObject } from './ingest.ts';

export interface IngestGroup {
  /** What messages call the group (a STAC item's collection/id). */
  name: string;
  objects: PlannedObject[];
}

/** Groups ingested with a concurrency bound; failures carry the group's name and are reported at the end. */
export async function ingestGroups(
  catalog: Catalog, groups: IngestGroup[],
  options: IngestOptions & { concurrency?: number; onProgress?: (done: number, total: number, name: string) => void } = {},
): Promise<BatchResult> {
  const result: BatchResult = { counts: { inserted: 0, updated: 0, unchanged: 0 }, failures: [] };
  let next = 0, done = 0;
  const worker = async () => {
    while (next < groups.length && !options.signal?.aborted) {
      const group = groups[next++];
      try {
        const prepared: { location: string; record: DatasetRecord | 'unchanged' }[] = [];
        for (const o of group.objects) prepared.push({ location: o.location, record: await prepareObject(catalog, o.location, o.keys, options) });
        for (const p of prepared) result.counts[p.record === 'unchanged' ? 'unchanged' : await putRecord(catalog, p.location, p.record)]++;
      } catch (e) {
        result.failures.push({ location: group.name, message: `${group.name}: ${(e as Error).message}` });
      }
      options.onProgress?.(++done, groups.length, group.name);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, groups.length)) }, worker));
  return result;
}
