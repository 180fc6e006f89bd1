/**
 * Misspelt query parameters. Unknown names are otherwise ignored (so cache-busters like `?v=3` or
 * `_=1712…` keep working), which made `colourmap=viridis` silently draw a greyscale tile: a name
 * close to one the API knows is a 400 saying which was meant, on every route.
 */
import { nearest } from '../util/index.ts';
import { AUTH_PARAMS } from './auth.ts';
import { badRequest } from './errors.ts';
import { ColormapQuery, ComputeQuery, DatasetsQuery, MetadataQuery, PointQuery, RgbQuery, SinglebandQuery, WmtsQuery, ZoomOverrides } from './schemas.ts';

/** Every query parameter of every route, plus the mosaic ones (pixel_selection, sort) taken by mosaic routes. */
export const KNOWN_PARAMETERS: ReadonlySet<string> = new Set([
  ...[SinglebandQuery, RgbQuery, ComputeQuery, ZoomOverrides, ColormapQuery, DatasetsQuery, MetadataQuery, PointQuery, WmtsQuery].flatMap((s) => Object.keys(s.shape)),
  ...AUTH_PARAMS, 'pixel_selection', 'sort',
]);

/** Other servers' names for ours (TiTiler, rio-tiler): too far apart for an edit distance to catch. */
const SYNONYMS: Record<string, string> = {
  rescale: 'stretch_range',
  colormap_name: 'colormap',
  color_map: 'colormap',
  colour_map: 'colormap',
  tilesize: 'tile_size',
  tile_matrix_set: 'tms',
  tilematrixset: 'tms',
  resampling_method: 'resampling',
};

/**
 * Short names are never flagged, nor taken for misspellings of short ones: `v=3`, `t=…`, `cb=…` are
 * cache-busters, not v1 or tms, and a page's `lang=en` is not lng.
 */
const MIN_LENGTH = 4;

/** The known parameter `name` most likely misspells, or undefined (also for a known name or one of `extra`). */
export function misspeltParameter(name: string, extra: Iterable<string> = []): string | undefined {
  if (KNOWN_PARAMETERS.has(name)) return undefined;
  const lower = name.toLowerCase();
  const known = [...KNOWN_PARAMETERS, ...extra];
  if (known.includes(name)) return undefined;
  if (SYNONYMS[lower]) return SYNONYMS[lower];
  if (name.length < MIN_LENGTH) return undefined;
  const guess = nearest(lower, known.filter((k) => k.length >= MIN_LENGTH));
  // one edit in short names, two in longer ones (colourmap, strech_range, algoritm_params)
  return guess.distance <= (lower.length < 7 ? 1 : 2) ? guess.name : undefined;
}

/** A 400 for the first misspelt name in the query. */
export function checkParameterNames(query: URLSearchParams, extra: Iterable<string> = []): void {
  for (const name of new Set(query.keys())) {
    const meant = misspeltParameter(name, extra);
    if (meant !== undefined) {
      const shown = name.length > 64 ? `${name.slice(0, 64)}…` : name;
      throw badRequest(`${shown}: unknown parameter; did you mean ${meant}?`);
    }
  }
}
