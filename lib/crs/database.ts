import proj4 from 'proj4';

/**
 * The EPSG database, loaded only where a CRS is resolved (ingest, optimize, the CLI): the tiles
 * function reads the definition stored with each header and must not carry ~9 MB of definitions.
 * Every import of the two packages is dynamic so a bundle that never calls these functions drops
 * them; the ingest function reads a trimmed copy beside its index.js (scripts/tools/build/plugins.ts).
 *
 * - epsg-index (EPSG dataset as PROJ exports it: ~7000 projected and geographic CRSs, with the
 *   towgs84 Helmert parameters PROJ would use) is the source of truth.
 * - Where PROJ names a grid shift (+nadgrids=…gsb: OSGB36, NAD27, NZGD49, DHDN…) proj4 has no grid
 *   file, so proj4-list's definition of the same code stands in when it is a real Helmert (OSGB36's
 *   7 parameters, as PROJ uses without the grid); failing that the grid is dropped — no shift,
 *   latitude and longitude kept as they are — and the caller is told so.
 */

export interface EpsgEntry {
  /** proj4 definition, ready for proj4(); no grid files. */
  def: string;
  name: string;
  /** Why the definition differs from PROJ's with grids, in words; absent when it does not. */
  warning?: string;
}

interface IndexEntry { code: string; kind: string; name: string; proj4?: string | null; accuracy?: number | null }

let loaded: Promise<{ index: Record<string, IndexEntry>; list: Record<string, [string, string]> }> | undefined;

function load() {
  loaded ??= (async () => {
    const [index, list] = await Promise.all([
      import('epsg-index/all.json', { with: { type: 'json' } }).then((m) => m.default as unknown as Record<string, IndexEntry>),
      import('proj4-list').then((m) => (m as unknown as { default: Record<string, [string, string]> }).default),
    ]);
    return { index, list };
  })();
  loaded.catch(() => { loaded = undefined; }); // a failed load is tried again on the next call
  return loaded;
}

/** Kinds a GeoTIFF can name in ProjectedCSType / GeographicType. */
const USABLE = new Set(['CRS-PROJCRS', 'CRS-GEOGCRS']);

/** The database's entry for an EPSG code, or undefined when it has none proj4 can use. */
export async function epsgEntry(code: number): Promise<EpsgEntry | undefined> {
  const { index, list } = await load();
  const entry = index[String(code)];
  if (!entry || !USABLE.has(entry.kind) || !entry.proj4) return undefined;
  const def = tidy(entry.proj4);
  const grid = /\+nadgrids=(\S+)/.exec(def)?.[1];
  if (!grid || grid === '@null') return { def, name: entry.name };
  const alternative = list[`EPSG:${code}`]?.[1];
  if (alternative && helmert(alternative)) {
    return { def: tidy(alternative), name: entry.name, warning: `EPSG:${code} (${entry.name}): PROJ shifts its datum with the grid ${grid}; taoguan uses the EPSG Helmert transformation instead, as PROJ does without the grid (typically a few metres from the grid's result)` };
  }
  return {
    def: def.replace(/\s*\+nadgrids=\S+/, ''),
    name: entry.name,
    warning: `EPSG:${code} (${entry.name}): PROJ shifts its datum with the grid ${grid}, which taoguan does not carry, and no Helmert transformation is known: no datum shift is applied, so positions are off by the datum's offset from WGS84 (tens to hundreds of metres)`,
  };
}

/** proj4's datum_type: 3- or 7-parameter Helmert (1, 2) — not a grid proj4 would skip as optional, nor none. */
function helmert(def: string): boolean {
  try {
    const type = (proj4.Proj(def) as unknown as { datum?: { datum_type: number } }).datum?.datum_type;
    return type === 1 || type === 2;
  } catch {
    return false;
  }
}

/** PROJ's export adds +type=crs (meaningless to proj4) and trims numbers unevenly. */
function tidy(def: string): string {
  return def.replace(/\s*\+type=crs\b/, '').replace(/\s+/g, ' ').trim();
}
