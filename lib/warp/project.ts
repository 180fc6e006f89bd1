import proj4 from 'proj4';
import { proj4ForEpsg, WGS84 } from '../crs/index.ts';
import { gcj02ToWgs84Into, wgs84ToGcj02 } from '../crs/index.ts';
import type { TileMatrixSet } from '../grids/index.ts';

/** Writes the transformed [x, y] into `out`; false when the point has no image (outside the domain). */
export type PointTransform = (x: number, y: number, out: Float64Array) => boolean;

export interface GridProjection {
  /** Tile grid coordinates → source CRS coordinates. */
  toSource: PointTransform;
  /** Source CRS coordinates → tile grid coordinates. */
  toGrid: PointTransform;
  /** The source CRS is the grid's own (and no GCJ-02 shift): both directions are the identity. */
  identity: boolean;
}

const R = 6378137;
const D2R = Math.PI / 180;
const R2D = 180 / Math.PI;
const WEB_MERCATOR = proj4ForEpsg(3857)!;
const CGCS2000 = proj4ForEpsg(4490)!;

const cache = new Map<string, GridProjection>();

/**
 * The point transforms between a tile grid and a source CRS (a proj4 definition). Grid → WGS84
 * lon/lat is written out (spherical Web Mercator as PROJ computes it, then the GCJ-02 inverse for
 * the GCJ-02 grid); WGS84 → source goes through proj4 unless the source is WGS84 or Web Mercator.
 */
export function gridProjection(tms: TileMatrixSet, sourceDef: string): GridProjection {
  const key = `${tms.id}\n${sourceDef}`;
  let p = cache.get(key);
  if (!p) {
    p = build(tms, sourceDef);
    cache.set(key, p);
  }
  return p;
}

function build(tms: TileMatrixSet, def: string): GridProjection {
  const gridDef = tms.epsg === 3857 ? WEB_MERCATOR : tms.epsg === 4490 ? CGCS2000 : WGS84;
  const identity = !tms.gcj02 && def === gridDef;
  if (identity) {
    const same: PointTransform = (x, y, out) => { out[0] = x; out[1] = y; return true; };
    return { toSource: same, toGrid: same, identity };
  }
  const lonLatToSource = fromWgs84(def);
  const sourceToLonLat = toWgs84(def);
  const ll = new Float64Array(2);
  // one closure per kind of grid: this runs ~1000 times per tile
  // geographic grids (WGS84, CGCS2000: the same lon/lat to a centimetre, as PROJ treats them) go through WGS84
  const toSource: PointTransform = tms.epsg !== 3857
    ? (x, y, out) => lonLatToSource(x, y, out)
    : !tms.gcj02
      ? (x, y, out) => lonLatToSource((x / R) * R2D, Math.atan(Math.sinh(y / R)) * R2D, out)
      : (x, y, out) => {
        gcj02ToWgs84Into((x / R) * R2D, Math.atan(Math.sinh(y / R)) * R2D, ll);
        return lonLatToSource(ll[0], ll[1], out);
      };
  const toGrid: PointTransform = (x, y, out) => {
    if (!sourceToLonLat(x, y, out)) return false;
    if (tms.gcj02) [out[0], out[1]] = wgs84ToGcj02(out[0], out[1]);
    if (tms.epsg === 3857) return mercatorForward(out[0], out[1], out);
    return true;
  };
  return { toSource, toGrid, identity };
}

function mercatorForward(lon: number, lat: number, out: Float64Array): boolean {
  out[0] = R * lon * D2R;
  out[1] = R * Math.log(Math.tan(Math.PI / 4 + 0.5 * lat * D2R));
  return Number.isFinite(out[0]) && Number.isFinite(out[1]);
}

function fromWgs84(def: string): PointTransform {
  if (def === WGS84) return (lon, lat, out) => { out[0] = lon; out[1] = lat; return true; };
  if (def === WEB_MERCATOR) return (lon, lat, out) => mercatorForward(lon, lat, out);
  return directForward(def) ?? ((converter) => (lon: number, lat: number, out: Float64Array) => finite(converter.forward, lon, lat, out))(proj4(WGS84, def));
}

/** proj4's datum_type values (lib/constants/values.js): no datum shift between these and WGS84. */
const PJD_WGS84 = 4, PJD_NODATUM = 5;

interface DirectProjection {
  projName: string;
  datum: { datum_type: number };
  forward(p: { x: number; y: number }): { x: number; y: number } | null;
  to_meter?: number;
  from_greenwich?: number;
  long_wrap?: number;
  axis?: string;
}

/**
 * The projection's own forward, skipping proj4's generic transform (argument checks, datum
 * comparison, object copies): half the cost per point, and planning a tile makes ~1000 of them.
 * Only when the result is the same: no datum shift, prime meridian, axis swap or lon wrap.
 */
function directForward(def: string): PointTransform | undefined {
  const p = proj4.Proj(def) as unknown as DirectProjection;
  const type = p.datum?.datum_type;
  const wgs84 = proj4.Proj(WGS84) as unknown as DirectProjection & { a: number; es: number };
  const sameEllipsoid = (p as unknown as { a: number }).a === wgs84.a && (p as unknown as { es: number }).es === wgs84.es;
  if (!(type === PJD_NODATUM || (type === PJD_WGS84 && sameEllipsoid))) return undefined;
  if (p.from_greenwich || p.long_wrap !== undefined || (p.axis && p.axis !== 'enu')) return undefined;
  if (p.projName === 'longlat') return (lon, lat, out) => { out[0] = lon; out[1] = lat; return true; };
  const toMeter = p.to_meter ?? 1;
  const pt = { x: 0, y: 0 };
  return (lon, lat, out) => {
    pt.x = lon * D2R;
    pt.y = lat * D2R;
    const r = p.forward(pt);
    if (!r) return false;
    out[0] = r.x / toMeter;
    out[1] = r.y / toMeter;
    return Number.isFinite(out[0]) && Number.isFinite(out[1]);
  };
}

function toWgs84(def: string): PointTransform {
  if (def === WGS84) return (x, y, out) => { out[0] = x; out[1] = y; return true; };
  const converter = proj4(def, WGS84);
  return (x, y, out) => finite(converter.forward, x, y, out);
}

/** proj4 reports a point outside a projection's domain as Infinity or NaN (or throws on bad input). */
function finite(fn: (p: number[]) => number[], x: number, y: number, out: Float64Array): boolean {
  if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
  let r: number[] | undefined;
  try {
    r = fn([x, y]);
  } catch {
    return false;
  }
  if (!r || !Number.isFinite(r[0]) || !Number.isFinite(r[1])) return false;
  out[0] = r[0];
  out[1] = r[1];
  return true;
}
