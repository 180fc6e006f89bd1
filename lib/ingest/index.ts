import type { Catalog } from '../catalog/index.ts';
import { ingestMany, planIngest, type BatchResult, type IngestOptions } from './ingest.ts';

export { ingestObject, prepareObject, ingestMany, planIngest, IngestError, type IngestOptions, type BatchResult, type PlannedObject } from './ingest.ts';
export { compilePattern, compileRegex, checkPatternKeys, PatternError, type KeyPattern } from './pattern.ts';
export { computeMetadata } from './metadata.ts';
export { handleObjectEvents, ObjectEventsError, throwOnFailures, type ObjectEventOptions, type ObjectRecord, type RecordResult, type RecordStatus } from './events.ts';

/**
 * Ingest every object a pattern matches: `ingest(catalog, 'data/{sensor}_{date}_{band}.tif')`,
 * or with `{ regex }` named groups matched after the prefix given as the pattern.
 */
export async function ingest(
  catalog: Catalog, pattern: string,
  options: IngestOptions & {
    regex?: string; concurrency?: number; onProgress?: (done: number, total: number, location: string) => void;
    /** A folder the listing did not walk, and why (a symbolic link back to a folder it is inside). */
    onSkip?: (location: string, reason: string) => void;
  } = {},
): Promise<BatchResult> {
  const keys = (await catalog.keys()).map((k) => k.name);
  const planned = await planIngest(keys, pattern, { regex: options.regex, source: options.source, onSkip: options.onSkip });
  return ingestMany(catalog, planned, options);
}
export { describeRaster, boundsOf, reprojectBounds, type RasterDescription } from './describe.ts';
export { absoluteLocation, relativeRowsWarning } from './local-paths.ts';
export { ingestGroups, type IngestGroup } from './groups.ts';
export { KEY_MODIFIERS, StacError, isCogAsset, parseKeyMapping, resolveHref, type KeyField, type StacItem } from './stac.ts';
export { planStac, planItems, type PlannedItem, type StacPlan, type StacPlanOptions } from './stac-plan.ts';
export { DEFAULT_MAX_ITEMS, guardFor, readDocument, walkStac, type FoundItem } from './stac-walk.ts';
