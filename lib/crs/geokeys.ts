import type { CrsInfo } from '../tiff/index.ts';

/**
 * proj4 definitions for user-defined GeoKeys (ProjectedCSType or GeographicType 32767): the common
 * projections spelled out parameter by parameter, read the way libgeotiff / GDAL read them
 * (GeoTIFF 1.1, section 7; fallbacks between NatOrigin / FalseOrigin / Center keys as libgeotiff's
 * GTIFFetchProjParms). Hand-written rather than geotiff-geokeys-to-proj4, whose EPSG tables
 * (EPSG/data/CRS.js alone is 1.2 MB) would not fit the tiles bundle's 1 MB budget.
 */

const USER_DEFINED = 32767;

const K = {
  GeographicType: 2048, GeogGeodeticDatum: 2050, GeogPrimeMeridian: 2051, GeogAngularUnits: 2054,
  GeogEllipsoid: 2056, GeogSemiMajorAxis: 2057, GeogSemiMinorAxis: 2058, GeogInvFlattening: 2059,
  GeogPrimeMeridianLong: 2061, GeogTOWGS84: 2062,
  Projection: 3074, ProjCoordTrans: 3075, ProjLinearUnits: 3076, ProjLinearUnitSize: 3077,
  StdParallel1: 3078, StdParallel2: 3079, NatOriginLong: 3080, NatOriginLat: 3081,
  FalseEasting: 3082, FalseNorthing: 3083, FalseOriginLong: 3084, FalseOriginLat: 3085,
  FalseOriginEasting: 3086, FalseOriginNorthing: 3087, CenterLong: 3088, CenterLat: 3089,
  CenterEasting: 3090, CenterNorthing: 3091, ScaleAtNatOrigin: 3092, ScaleAtCenter: 3093,
  StraightVertPoleLong: 3095,
} as const;

/**
 * Geographic CRSs by EPSG code → proj4 datum/ellipsoid. No +towgs84 for the Chinese datums: PROJ
 * itself has no country-wide Beijing 1954 / Xian 1980 → WGS84 transformation (only regional ones, e.g.
 * EPSG:15921 for the Tarim basin) and uses a null "ballpark" shift, as proj4 does without towgs84.
 * Beijing 1954 and Xian 1980 are really ~50–100 m from WGS84 (CGCS2000 is within centimetres).
 */
export const GEOGRAPHIC: Readonly<Record<number, string>> = {
  4326: '+datum=WGS84',
  4490: '+ellps=GRS80', // CGCS2000: the CGCS2000 ellipsoid has GRS80's a and 1/f
  4214: '+ellps=krass', // Beijing 1954, Krassowsky 1940
  4610: '+a=6378140 +rf=298.257', // Xian 1980, IAG 1975
  4269: '+datum=NAD83',
  4258: '+ellps=GRS80 +towgs84=0,0,0', // ETRS89
  4283: '+ellps=GRS80 +towgs84=0,0,0', // GDA94
  4322: '+ellps=WGS72',
};

/** Geodetic datum codes of the CRSs above (EPSG:1043 is CGCS2000's). */
const DATUMS: Readonly<Record<number, number>> = { 6326: 4326, 1043: 4490, 6214: 4214, 6610: 4610, 6269: 4269, 6258: 4258, 6283: 4283, 6322: 4322 };

const ELLIPSOIDS: Readonly<Record<number, string>> = {
  7030: '+ellps=WGS84', 7019: '+ellps=GRS80', 1024: '+ellps=GRS80', 7024: '+ellps=krass',
  7049: '+a=6378140 +rf=298.257', 7043: '+ellps=WGS72', 7022: '+ellps=intl', 7004: '+ellps=bessel',
  7008: '+ellps=clrk66', 7059: '+a=6378137 +b=6378137',
};

/** Linear units (EPSG unit code → metres). */
const UNITS: Readonly<Record<number, number>> = { 9001: 1, 9002: 0.3048, 9003: 1200 / 3937, 9036: 1000 };

export type GeoKeysResult = { def: string } | { reason: string };

/**
 * `geographic` adds datum definitions for GeographicType codes beyond GEOGRAPHIC (resolve.ts looks
 * them up in the EPSG database at ingest).
 */
export function proj4FromGeoKeys(crs: CrsInfo, geographic: Readonly<Record<number, string>> = {}): GeoKeysResult {
  const keys = crs.geoKeys;
  const num = (id: number): number | undefined => (typeof keys[id] === 'number' ? (keys[id] as number) : undefined);
  const geog = geographicPart(num, keys[K.GeogTOWGS84], geographic);
  if ('reason' in geog) return geog;
  if (crs.modelType === 'geographic') return { def: `+proj=longlat ${geog.def} +no_defs` };
  if (crs.modelType !== 'projected') return { reason: `GTModelType is ${crs.modelType}, not projected or geographic` };

  const projection = num(K.Projection);
  if (projection !== undefined && projection !== USER_DEFINED) {
    // EPSG conversion codes 16001–16060 / 16101–16160 are the UTM zones north / south
    const south = projection >= 16101 && projection <= 16160;
    if (south || (projection >= 16001 && projection <= 16060)) {
      return { def: `+proj=utm +zone=${projection % 100}${south ? ' +south' : ''} ${geog.def} +units=m +no_defs` };
    }
    return { reason: `ProjectionGeoKey ${projection} (an EPSG conversion code) is not one taoguan knows` };
  }
  const units = linearUnits(num);
  if ('reason' in units) return units;
  const proj = projectionPart(num, units.toMeter);
  if ('reason' in proj) return proj;
  const unitsDef = units.toMeter === 1 ? '+units=m' : `+to_meter=${units.toMeter}`;
  return { def: `${proj.def} ${geog.def} ${unitsDef} +no_defs` };
}

function geographicPart(num: (id: number) => number | undefined, towgs84: unknown, extra: Readonly<Record<number, string>>): GeoKeysResult {
  const angular = num(K.GeogAngularUnits);
  if (angular !== undefined && angular !== 9102 && angular !== USER_DEFINED) {
    return { reason: `GeogAngularUnits ${angular} (only degrees, EPSG:9102, are supported)` };
  }
  let def: string | undefined;
  const code = num(K.GeographicType);
  const datum = num(K.GeogGeodeticDatum);
  const ellipsoid = num(K.GeogEllipsoid);
  const a = num(K.GeogSemiMajorAxis), b = num(K.GeogSemiMinorAxis), rf = num(K.GeogInvFlattening);
  if (code !== undefined && code !== USER_DEFINED) {
    def = GEOGRAPHIC[code] ?? extra[code];
    if (!def) return { reason: `geographic CRS EPSG:${code} is not one taoguan knows` };
  } else if (datum !== undefined && datum !== USER_DEFINED && DATUMS[datum]) {
    def = GEOGRAPHIC[DATUMS[datum]];
  } else if (ellipsoid !== undefined && ellipsoid !== USER_DEFINED && ELLIPSOIDS[ellipsoid]) {
    def = ELLIPSOIDS[ellipsoid];
  } else if (a !== undefined && (rf !== undefined || b !== undefined)) {
    def = rf !== undefined && rf !== 0 ? `+a=${a} +rf=${rf}` : `+a=${a} +b=${b ?? a}`;
  } else {
    return { reason: `no known datum or ellipsoid (GeogGeodeticDatum ${datum ?? 'missing'}, GeogEllipsoid ${ellipsoid ?? 'missing'})` };
  }
  if (Array.isArray(towgs84) && (towgs84.length === 3 || towgs84.length === 7) && !def.includes('towgs84')) {
    def += ` +towgs84=${towgs84.join(',')}`;
  }
  const pmCode = num(K.GeogPrimeMeridian);
  const pm = num(K.GeogPrimeMeridianLong);
  if (pm !== undefined && pm !== 0) def += ` +pm=${pm}`;
  else if (pmCode !== undefined && pmCode !== 8901 && pmCode !== USER_DEFINED) return { reason: `prime meridian EPSG:${pmCode} (only Greenwich or an explicit longitude)` };
  return { def };
}

function linearUnits(num: (id: number) => number | undefined): { toMeter: number } | { reason: string } {
  const code = num(K.ProjLinearUnits);
  if (code === undefined) return { toMeter: 1 };
  if (code === USER_DEFINED) {
    const size = num(K.ProjLinearUnitSize);
    return size && size > 0 ? { toMeter: size } : { reason: 'user-defined linear unit without ProjLinearUnitSize' };
  }
  const toMeter = UNITS[code];
  return toMeter ? { toMeter } : { reason: `linear unit EPSG:${code} is not one taoguan knows` };
}

/** Projection parameters; false eastings/northings are in the linear unit, proj4 wants metres. */
function projectionPart(num: (id: number) => number | undefined, toMeter: number): GeoKeysResult {
  const first = (...ids: number[]): number => {
    for (const id of ids) { const v = num(id); if (v !== undefined) return v; }
    return 0;
  };
  const m = (v: number): number => v * toMeter;
  const fe = m(first(K.FalseEasting, K.FalseOriginEasting, K.CenterEasting));
  const fn = m(first(K.FalseNorthing, K.FalseOriginNorthing, K.CenterNorthing));
  const lon0 = first(K.NatOriginLong, K.FalseOriginLong, K.CenterLong);
  const lat0 = first(K.NatOriginLat, K.FalseOriginLat, K.CenterLat);
  const k0 = num(K.ScaleAtNatOrigin) ?? num(K.ScaleAtCenter) ?? 1;
  const offsets = `+x_0=${fe} +y_0=${fn}`;
  const method = num(K.ProjCoordTrans);
  switch (method) {
    case 1: // Transverse Mercator
      return { def: `+proj=tmerc +lat_0=${lat0} +lon_0=${lon0} +k=${k0} ${offsets}` };
    case 7: { // Mercator: 2SP names its standard parallel, 1SP its scale
      const sp1 = num(K.StdParallel1);
      return { def: sp1 !== undefined ? `+proj=merc +lat_ts=${sp1} +lon_0=${lon0} ${offsets}` : `+proj=merc +lon_0=${lon0} +k=${k0} ${offsets}` };
    }
    case 8: { // Lambert Conformal Conic 2SP: the false origin keys come first
      const lat = first(K.FalseOriginLat, K.NatOriginLat, K.CenterLat), lon = first(K.FalseOriginLong, K.NatOriginLong, K.CenterLong);
      const x0 = m(first(K.FalseOriginEasting, K.FalseEasting)), y0 = m(first(K.FalseOriginNorthing, K.FalseNorthing));
      return { def: `+proj=lcc +lat_1=${first(K.StdParallel1)} +lat_2=${first(K.StdParallel2)} +lat_0=${lat} +lon_0=${lon} +x_0=${x0} +y_0=${y0}` };
    }
    case 9: // Lambert Conformal Conic 1SP
      return { def: `+proj=lcc +lat_1=${lat0} +lat_0=${lat0} +lon_0=${lon0} +k_0=${k0} ${offsets}` };
    case 10: // Lambert Azimuthal Equal Area
      return { def: `+proj=laea +lat_0=${first(K.CenterLat, K.NatOriginLat)} +lon_0=${first(K.CenterLong, K.NatOriginLong)} ${offsets}` };
    case 11: // Albers Equal Area
      return { def: `+proj=aea +lat_1=${first(K.StdParallel1)} +lat_2=${first(K.StdParallel2)} +lat_0=${lat0} +lon_0=${lon0} ${offsets}` };
    case 15: { // Polar Stereographic: NatOriginLat is the pole (variant A) or the standard parallel (B)
      const lon = first(K.StraightVertPoleLong, K.NatOriginLong);
      const pole = lat0 < 0 ? -90 : 90;
      const variant = Math.abs(lat0) === 90 ? `+k_0=${k0}` : `+lat_ts=${lat0}`;
      return { def: `+proj=stere +lat_0=${pole} ${variant} +lon_0=${lon} ${offsets}` };
    }
    default:
      return { reason: method === undefined ? 'no ProjCoordTransGeoKey' : `ProjCoordTransGeoKey ${method} (supported: transverse Mercator, Mercator, Lambert conformal conic 1SP/2SP, Lambert azimuthal equal-area, Albers, polar stereographic)` };
  }
}
