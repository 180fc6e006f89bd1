/**
 * Local paths in the catalog are absolute: a catalog is read by `serve` or a function from any
 * working directory (a systemd unit's WorkingDirectory=/opt/taoguan), not the folder ingest ran in.
 * A symbolic link is stored as the link's own path, not its target's: re-pointing `latest.tif`
 * changes its ETag (its target's size and mtime), so tiles refuse the stale header until a re-ingest,
 * and that re-ingest updates the row in place.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Catalog, DatasetSummary } from '../catalog/index.ts';
import { parseLocation } from '../source/index.ts';

/** The location a catalog stores: a relative path made absolute against the working directory; anything else as given. */
export function absoluteLocation(location: string): string {
  return isRelativePath(location) ? resolve(location) : location;
}

/** A local path that is not absolute (a file:// URL's path always is). */
function isRelativePath(location: string): boolean {
  const loc = parseLocation(location);
  return loc.scheme === 'file' && !isAbsolute(loc.path as string);
}

/** Rows checked by relativeRowsWarning: one listing query of the store's largest page, so start-up stays quick. */
export const RELATIVE_ROWS_CHECKED = 10_000;

/**
 * For `serve` at start: the rows an older taoguan stored with relative paths (which resolve against
 * this process's working directory, so their tiles fail elsewhere), named with what to do, or
 * undefined when there are none among the first RELATIVE_ROWS_CHECKED rows.
 */
export async function relativeRowsWarning(catalog: Catalog, shown = 5): Promise<string | undefined> {
  const rows = await catalog.list({ limit: RELATIVE_ROWS_CHECKED });
  const relative = rows.filter((r: DatasetSummary) => isRelativePath(r.location));
  if (relative.length === 0) return undefined;
  const of = rows.length < RELATIVE_ROWS_CHECKED ? '' : ` (of the first ${RELATIVE_ROWS_CHECKED.toLocaleString('en-US')} checked)`;
  const names = relative.slice(0, shown).map((r) => `  ${r.keys.join('/')} → ${r.location}`);
  if (relative.length > shown) names.push(`  … and ${relative.length - shown} more`);
  return [
    `taoguan: ${relative.length} dataset(s)${of} have relative local paths, read from this server's working directory ${process.cwd()}:`,
    ...names,
    'An older taoguan stored them so. Re-run the same `taoguan ingest` from the folder it ran in: it rewrites each path',
    'as an absolute one (one stat per unchanged file, no re-read). Until then, tiles of these datasets fail unless served from that folder.',
  ].join('\n');
}
