import type { PointTransform } from '../warp/index.ts';
import type { GeoTransform } from '../grids/index.ts';

/** An output grid: north-up geotransform and size in pixels. */
export interface OutputGrid {
  geotransform: GeoTransform;
  width: number;
  height: number;
}

/**
 * gdalwarp's default output grid, GDALSuggestedWarpOutput2 (alg/gdaltransformer.cpp, GDAL 3.6):
 * the bounding box of the source's edges transformed (21–101 points per edge, or a grid of them when
 * an edge point fails either way), and one square pixel size chosen so the diagonal from the
 * transformed top-left to bottom-right corner has as many pixels as the source's diagonal. The
 * right / bottom border checks shrink a pixel size slightly when the last column / row would fall
 * wholly outside the projection's domain.
 *
 * `toDst` takes source pixel coordinates to target CRS coordinates, `toSrc` back again. Not ported:
 * the ±180° sign-discontinuity fix for geographic targets (a source crossing the antimeridian).
 */
export function suggestedOutput(width: number, height: number, toDst: PointTransform, toSrc: PointTransform): OutputGrid {
  let steps = Math.trunc(Math.min(width, height) / 50 + 0.5);
  steps = Math.min(Math.max(steps, 20), 100);
  const step = 1 / steps;
  const ratio = (i: number): number => (i === steps ? 1 : i * step);
  const xs: number[] = [], ys: number[] = [];
  const edge = (x: (r: number) => number, y: (r: number) => number): void => {
    for (let i = 0; i <= steps; i++) { xs.push(x(ratio(i))); ys.push(y(ratio(i))); }
  };
  edge((r) => r * width, () => 0); // top
  edge((r) => r * width, () => height); // bottom
  edge(() => 0, (r) => r * height); // left
  edge(() => width, (r) => r * height); // right
  const p = new Float64Array(2);
  let ok = transformAll(xs, ys, toDst);
  let failed = ok.some((v) => !v);
  if (!failed) {
    // the revert check: every edge point must come back within a step of where it started
    for (let i = 0; i < xs.length && !failed; i++) {
      if (!toSrc(xs[i], ys[i], p)) { failed = true; break; }
      let r = (i % (steps + 1)) * step;
      if (r > 0.99) r = 1;
      const side = Math.trunc(i / (steps + 1));
      const ex = side === 2 ? 0 : side === 3 ? width : r * width;
      const ey = side === 0 ? 0 : side === 1 ? height : r * height;
      if (Math.abs(p[0] - ex) > width / steps || Math.abs(p[1] - ey) > height / steps) failed = true;
    }
  }
  const grid = failed;
  if (grid) {
    xs.length = ys.length = 0;
    for (let i = 0; i <= steps; i++) for (let j = 0; j <= steps; j++) { xs.push(ratio(j) * width); ys.push(ratio(i) * height); }
    ok = transformAll(xs, ys, toDst);
  }

  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity, bad = 0;
  const extend = (x: number, y: number): void => {
    minX = Math.min(minX, x); minY = Math.min(minY, y); maxX = Math.max(maxX, x); maxY = Math.max(maxY, y);
  };
  for (let i = 0; i < xs.length; i++) {
    const xi = grid || i < 2 * (steps + 1) ? i % (steps + 1) : 0;
    const yi = grid ? Math.trunc(i / (steps + 1)) : i < steps + 1 ? 0 : steps;
    if (xi > 0 && (ok[i - 1] || ok[i])) bisect(i, xi, yi);
    if (!ok[i]) { bad++; continue; }
    extend(xs[i], ys[i]);
  }
  if (bad > xs.length - 10) throw new Error(`too many points (${bad} of ${xs.length}) failed to transform: cannot compute the output bounds`);

  /** Where the target x changes sign (or a point fails) between two samples of a row: GDAL's dichotomy. */
  function bisect(i: number, xi: number, yi: number): void {
    let before = xs[i - 1], after = xs[i], validBefore = ok[i - 1], validAfter = ok[i];
    let inBefore = ((xi - 1) * width) / steps, inAfter = (xi * width) / steps;
    for (let iter = 0; (!validBefore || !validAfter || before * after < 0) && iter < 16; iter++) {
      const x = (inBefore + inAfter) / 2, y = (yi * height) / steps;
      if (!toDst(x, y, p)) {
        if (!validBefore) inBefore = x;
        else if (!validAfter) inAfter = x;
        else break;
        continue;
      }
      extend(p[0], p[1]);
      if (!validBefore || before * p[0] < 0) { validAfter = true; inAfter = x; after = p[0]; }
      else { validBefore = true; before = p[0]; inBefore = x; }
    }
  }

  const last = xs.length - 1;
  let dx = 0, dy = 0;
  if (ok[0] && ok[last]) { dx = xs[last] - xs[0]; dy = ys[last] - ys[0]; }
  if (dx === 0 || dy === 0) { dx = maxX - minX; dy = maxY - minY; }
  const size = Math.sqrt(dx * dx + dy * dy) / Math.sqrt(width * width + height * height);
  const pixels = Math.trunc((maxX - minX) / size + 0.5), lines = Math.trunc((maxY - minY) / size + 0.5);
  if (!(pixels > 0 && lines > 0) || pixels > 2 ** 31 - 2 || lines > 2 ** 31 - 2) throw new Error(`computed output size ${pixels} × ${lines} is not usable`);

  let sizeX = size, sizeY = size;
  for (const r of [0, 0.001, 0.01, 0.1, 1]) {
    const tryX = sizeX - (sizeX * r) / pixels;
    if (!outsideBorder((t) => [minX + pixels * tryX, maxY - sizeY * t * lines], tryX, sizeY)) { sizeX = tryX; break; }
  }
  for (const r of [0, 0.001, 0.01, 0.1, 1]) {
    const tryY = sizeY - (sizeY * r) / lines;
    if (!outsideBorder((t) => [minX + sizeX * t * pixels, maxY - lines * tryY], sizeX, tryY)) { sizeY = tryY; break; }
  }

  /** GDAL's MustAdjustFor{Right,Bottom}Border: no point of the border survives the round trip. */
  function outsideBorder(at: (t: number) => [number, number], px: number, py: number): boolean {
    const q = new Float64Array(2);
    for (let k = 0; k <= 20; k++) {
      const [x, y] = at(k === 20 ? 1 : k * 0.05);
      if (toSrc(x, y, q) && toDst(q[0], q[1], q) && Math.abs(q[0] - x) <= px && Math.abs(q[1] - y) <= py) return false;
    }
    return true;
  }

  return { geotransform: [minX, sizeX, 0, maxY, 0, -sizeY], width: pixels, height: lines };
}

function transformAll(xs: number[], ys: number[], fn: PointTransform): boolean[] {
  const p = new Float64Array(2);
  return xs.map((x, i) => {
    if (!fn(x, ys[i], p)) return false;
    xs[i] = p[0];
    ys[i] = p[1];
    return true;
  });
}
