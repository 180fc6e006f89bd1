/**
 * WGS84 ⇄ GCJ-02 ("Mars coordinates"), the obfuscated datum AMap, Tencent and other Chinese
 * basemaps are drawn in.
 *
 * Accuracy. The forward formula is the de-facto public standard (the leaked algorithm as every open
 * implementation has it: eviltransform, coordtransform, gcoord), with the Krassowsky semi-major axis
 * 6378245 m; it reproduces eviltransform's published test vectors bit for bit. How close that formula
 * is to the official one cannot be checked publicly; it is what every overlay on these basemaps
 * relies on. The inverse has no closed form: it is solved by fixed-point iteration, stopping once
 * the forward of the estimate is within 1e-10° of the input; the correction applied in that last
 * step shrinks the error by the shift's derivative (~1e-4), so after 2 iterations the result is
 * within ~1e-14° (far under 1e-6 m) of the exact inverse of the forward formula.
 *
 * Outside the rectangle 72.004–137.8347°E, 0.8293–55.8271°N both transforms are the identity, as in
 * every implementation (the rectangle also covers neighbouring countries; their basemaps are
 * shifted too, so that is what overlays need).
 */

const A = 6378245.0;
const EE = 0.006693421622965943; // 0.00669342162296594323 as published, to double precision
const INVERSE_TOLERANCE = 1e-10;
const MAX_ITERATIONS = 10;

export function outOfChina(lon: number, lat: number): boolean {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

/** [lon, lat] in WGS84 → [lon, lat] in GCJ-02. */
export function wgs84ToGcj02(lon: number, lat: number): [number, number] {
  if (outOfChina(lon, lat)) return [lon, lat];
  const out: [number, number] = [0, 0];
  offset(lon, lat, out);
  return [lon + out[0], lat + out[1]];
}

/** [lon, lat] in GCJ-02 → [lon, lat] in WGS84, exact to the forward formula (see above). */
export function gcj02ToWgs84(lon: number, lat: number): [number, number] {
  const out: [number, number] = [0, 0];
  gcj02ToWgs84Into(lon, lat, out);
  return out;
}

/** gcj02ToWgs84 writing into `out` ([lon, lat]): the allocation-free form for per-pixel use. */
export function gcj02ToWgs84Into(lon: number, lat: number, out: [number, number] | Float64Array): void {
  if (outOfChina(lon, lat)) {
    out[0] = lon;
    out[1] = lat;
    return;
  }
  const d: [number, number] = [0, 0];
  offset(lon, lat, d);
  let wLon = lon - d[0], wLat = lat - d[1];
  for (let i = 0; i < MAX_ITERATIONS; i++) {
    offset(wLon, wLat, d);
    const eLon = wLon + d[0] - lon, eLat = wLat + d[1] - lat;
    wLon -= eLon;
    wLat -= eLat;
    if (Math.abs(eLon) < INVERSE_TOLERANCE && Math.abs(eLat) < INVERSE_TOLERANCE) break;
  }
  out[0] = wLon;
  out[1] = wLat;
}

/** The GCJ-02 shift [dLon, dLat] at a WGS84 point; operation order follows eviltransform's. */
function offset(lon: number, lat: number, out: [number, number]): void {
  const x = lon - 105.0, y = lat - 35.0;
  const xy = x * y, absX = Math.sqrt(Math.abs(x)), xPi = x * Math.PI, yPi = y * Math.PI;
  const d = 20.0 * Math.sin(6.0 * xPi) + 20.0 * Math.sin(2.0 * xPi);
  let dLat = d, dLon = d;
  dLat += 20.0 * Math.sin(yPi) + 40.0 * Math.sin(yPi / 3.0);
  dLon += 20.0 * Math.sin(xPi) + 40.0 * Math.sin(xPi / 3.0);
  dLat += 160.0 * Math.sin(yPi / 12.0) + 320 * Math.sin(yPi / 30.0);
  dLon += 150.0 * Math.sin(xPi / 12.0) + 300.0 * Math.sin(xPi / 30.0);
  dLat *= 2.0 / 3.0;
  dLon *= 2.0 / 3.0;
  dLat += -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * xy + 0.2 * absX;
  dLon += 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * xy + 0.1 * absX;
  const radLat = lat / 180.0 * Math.PI;
  let magic = Math.sin(radLat);
  magic = 1 - EE * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  out[1] = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sqrtMagic) * Math.PI);
  out[0] = (dLon * 180.0) / (A / sqrtMagic * Math.cos(radLat) * Math.PI);
}
