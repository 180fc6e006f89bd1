/**
 * lib/crs — coordinate reference systems as proj4 definitions (EPSG codes by rule or from the EPSG
 * database at ingest, user GeoKeys),
 * and the GCJ-02 ("Mars") offset of Chinese web maps. No tile grids, no pixels.
 */
export { proj4ForCrs, proj4ForEpsg, toWgs84, UnknownCrsError, WGS84 } from './epsg.ts';
export { gcj02ToWgs84, gcj02ToWgs84Into, outOfChina, wgs84ToGcj02 } from './gcj02.ts';
export { resolveCrs, resolveHeaderCrs, type ResolvedCrs } from './resolve.ts';
export { GEOGRAPHIC, proj4FromGeoKeys, type GeoKeysResult } from './geokeys.ts';
