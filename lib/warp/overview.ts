import type { PointTransform } from './project.ts';

/**
 * The overview level gdalwarp reads for a target grid (`-ovr AUTO`, the default; gdalwarp_lib.cpp,
 * "Determine if we must work with the full-resolution source dataset, or one of its overview level").
 *
 * 1. The target ratio: a 10 × 10 grid of destination pixel positions, spanning the whole tile edge to
 *    edge, is transformed exactly into full-resolution source pixels; the ratio is the extent of the
 *    result over the tile size, per axis, and the smaller of the two is used (GDAL #7019: never
 *    coarser than the finer axis needs). Points that fail to transform are skipped.
 * 2. With ratio ≤ 1 the full resolution is read. Otherwise the levels are walked from full
 *    resolution: stop at level i if ratio(i) < target < ratio(i+1), or if |ratio(i) − target| < 0.1;
 *    when no level stops the walk, the last overview is used. ratio(i) is width₀ / widthᵢ.
 *
 * So the level chosen is the coarsest whose pixels are not coarser than the tile's (with a 0.1
 * tolerance), "the first level at or finer than the tile's resolution" counted from the coarse end.
 */
export function targetRatio(fullRes: PointTransform, width: number, height: number): number {
  const n = 10;
  const p = new Float64Array(2);
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let ix = 0; ix < n; ix++) {
    for (let iy = 0; iy < n; iy++) {
      if (!fullRes((width * ix) / (n - 1), (height * iy) / (n - 1), p)) continue;
      if (p[0] < minX) minX = p[0];
      if (p[0] > maxX) maxX = p[0];
      if (p[1] < minY) minY = p[1];
      if (p[1] > maxY) maxY = p[1];
    }
  }
  const rx = maxX > minX ? (maxX - minX) / width : 0;
  const ry = maxY > minY ? (maxY - minY) / height : 0;
  return Math.min(rx, ry);
}

/** The level index (0 = full resolution) for a target ratio, given every level's width. */
export function chooseLevel(levelWidths: readonly number[], target: number): number {
  const overviews = levelWidths.length - 1;
  if (overviews < 1 || !(target > 1)) return 0;
  const ratio = (level: number): number => levelWidths[0] / levelWidths[level];
  let i = 0;
  for (; i < overviews; i++) {
    const here = ratio(i), next = ratio(i + 1);
    if (here < target && next > target) break;
    if (Math.abs(here - target) < 0.1) break;
  }
  return i;
}
