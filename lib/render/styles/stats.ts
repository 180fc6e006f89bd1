import { RenderInputError } from '../errors.ts';
import type { StretchBound, StretchMetadata } from '../stretch.ts';

/** The statistics null and "pN" bounds resolve against, or a 400 when the input has none. */
export function needStats(stats: StretchMetadata | undefined, range: readonly [StretchBound, StretchBound] | null | undefined): StretchMetadata {
  const needs = !range || range.some((b) => b === null || b === undefined || typeof b === 'string');
  if (needs && !stats) throw new RenderInputError('stretch_range', 'null and "pN" bounds need the dataset\'s statistics; give numbers, or ingest the dataset');
  return stats ?? { min: NaN, max: NaN, percentiles: [] };
}
