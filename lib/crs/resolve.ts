import proj4 from 'proj4';
import type { CogHeader, CrsInfo } from '../tiff/index.ts';
import { epsgEntry } from './database.ts';
import { proj4ForEpsg, UnknownCrsError, WGS84 } from './epsg.ts';
import { GEOGRAPHIC, proj4FromGeoKeys } from './geokeys.ts';

export interface ResolvedCrs {
  /** The CRS with its proj4 definition filled in. */
  crs: CrsInfo;
  /** Where positions may differ from PROJ's (a grid shift replaced), in words. */
  warnings: string[];
}

/**
 * A raster's CRS with the proj4 definition every later step uses (stored in the catalog with the
 * header). EPSG codes of the families proj4ForEpsg spells out keep their definition (so tiles of
 * rasters ingested before stay identical); other codes come from the EPSG database (loaded here,
 * on first use); user-defined GeoKeys are read parameter by parameter. UnknownCrsError when none
 * of these gives a definition proj4 can use.
 */
export async function resolveCrs(crs: CrsInfo | null): Promise<ResolvedCrs> {
  if (!crs) throw new UnknownCrsError(null);
  if (crs.proj4) return { crs, warnings: [] };
  const warnings: string[] = [];
  let def: string | undefined;
  if (crs.epsg !== undefined) {
    def = proj4ForEpsg(crs.epsg);
    if (!def) {
      const entry = await epsgEntry(crs.epsg);
      if (!entry) throw new UnknownCrsError(crs, `EPSG:${crs.epsg} is not a projected or geographic CRS of the EPSG database`);
      def = entry.def;
      if (entry.warning) warnings.push(entry.warning);
    }
  } else {
    const result = proj4FromGeoKeys(crs, await databaseGeographic(crs, warnings));
    if ('reason' in result) throw new UnknownCrsError(crs, result.reason);
    def = result.def;
  }
  check(crs, def);
  return { crs: { ...crs, proj4: def }, warnings };
}

/**
 * User-defined projections on a geographic CRS with an EPSG code (GDAL writes GeographicType when the
 * base CRS has one): that datum from the database, as "+ellps=… +towgs84=…" for proj4FromGeoKeys.
 */
async function databaseGeographic(crs: CrsInfo, warnings: string[]): Promise<Record<number, string>> {
  const code = crs.geoKeys[GEOGRAPHIC_TYPE];
  if (typeof code !== 'number' || code === 32767 || GEOGRAPHIC[code]) return {};
  const entry = await epsgEntry(code);
  if (!entry?.def.startsWith('+proj=longlat ')) return {};
  if (entry.warning) warnings.push(entry.warning);
  return { [code]: entry.def.replace(/^\+proj=longlat /, '').replace(/\s*\+no_defs\b/, '') };
}

const GEOGRAPHIC_TYPE = 2048;

/** The header with its CRS resolved (a new object; the one given is left as it was). */
export async function resolveHeaderCrs(header: CogHeader): Promise<{ header: CogHeader; warnings: string[] }> {
  const { crs, warnings } = await resolveCrs(header.crs);
  return { header: crs === header.crs ? header : { ...header, crs }, warnings };
}

/** proj4 refuses some definitions only when asked to transform (an unknown projection, a grid). */
function check(crs: CrsInfo, def: string): void {
  try {
    proj4(def, WGS84);
  } catch (e) {
    // proj4 throws a bare string for a projection it does not implement
    const projection = /\+proj=(\S+)/.exec(def)?.[1];
    const why = e instanceof Error ? e.message : `the ${projection} projection is not one proj4 implements`;
    throw new UnknownCrsError(crs, `proj4 cannot use ${def}: ${why}`);
  }
}
