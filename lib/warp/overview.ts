import type { PointTransform } from './project.ts';

/**
 * The overview level gdalwarp reads for a target grid (`-ovr AUTO`, the default; gdalwarp_lib.cpp,
 * "Determine if we must work with the full-resolution source dataset, or one of its overview level",
 * the bFigureoutCorrespondingWindow branch taken for -te with -ts).
 *
 * 1. The target ratio: a 10 × 10 grid of destination pixel positions, spanning the whole tile edge to
 *    edge, is transformed exactly into full-resolution source pixels; the ratio is the X extent of
 *    the result over the tile width. Points that fail to transform are skipped. This is GDAL 3.6's
 *    rule (Debian's GDAL, the oracle of the tests). GDAL 3.7 changed it (#7019) to the smaller of the
 *    X and Y ratios, which for a source in a geographic CRS under Web Mercator is the Y ratio, cos(φ)
 *    of the X one: at 40°N a 1″ DEM tile at z9 read the 900 px level instead of 3.6's 450 px one,
 *    4× the pixels, and tiles that differed from gdalwarp's here. Projected sources (UTM, Gauss–Krüger,
 *    Web Mercator) have near-square footprints and choose the same level under either rule.
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
  let minX = Infinity, maxX = -Infinity;
  for (let ix = 0; ix < n; ix++) {
    for (let iy = 0; iy < n; iy++) {
      if (!fullRes((width * ix) / (n - 1), (height * iy) / (n - 1), p)) continue;
      if (p[0] < minX) minX = p[0];
      if (p[0] > maxX) maxX = p[0];
    }
  }
  return maxX > minX ? (maxX - minX) / width : 0;
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
