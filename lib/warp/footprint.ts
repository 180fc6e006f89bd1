import type { CogHeader } from '../tiff/index.ts';
import type { GridProjection } from './project.ts';
import type { GeoTransform, TileMatrixSet } from '../grids/index.ts';

/**
 * A raster's footprint in a tile grid, as a bounding box: lets planTile answer "no data here" for
 * most tiles without transforming a single tile pixel, and skip the rows of edge tiles that cannot
 * touch the raster (at low zooms those rows also cross regions a projection cannot reach, where
 * every point would need an exact transform). Computed once per header and grid: 21 points along
 * each image edge (as GDAL samples edges), padded by 1% of the box so a curved edge bulging between
 * samples stays inside. Null when some edge point has no image in the grid (e.g. a pole in Web
 * Mercator): then nothing is ruled out.
 */
const boxes = new WeakMap<CogHeader, Map<string, [number, number, number, number] | null>>();

export function gridFootprint(header: CogHeader, tms: TileMatrixSet, projection: GridProjection): [number, number, number, number] | null {
  let perGrid = boxes.get(header);
  if (!perGrid) boxes.set(header, (perGrid = new Map()));
  const key = tms.id;
  if (!perGrid.has(key)) perGrid.set(key, compute(header, projection));
  return perGrid.get(key)!;
}

function compute(header: CogHeader, projection: GridProjection): [number, number, number, number] | null {
  const gt = header.geotransform!;
  const { width, height } = header.levels[0].image;
  const steps = 20;
  const p = new Float64Array(2);
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    for (const [px, py] of [[t * width, 0], [t * width, height], [0, t * height], [width, t * height]]) {
      if (!projection.toGrid(gt[0] + px * gt[1] + py * gt[2], gt[3] + px * gt[4] + py * gt[5], p)) return null;
      minX = Math.min(minX, p[0]); maxX = Math.max(maxX, p[0]);
      minY = Math.min(minY, p[1]); maxY = Math.max(maxY, p[1]);
    }
  }
  const padX = (maxX - minX) * 0.01, padY = (maxY - minY) * 0.01;
  return [minX - padX, minY - padY, maxX + padX, maxY + padY];
}

/**
 * The output rows [first, last] of a tile that may hold raster pixels, or null when the tile misses
 * the raster's footprint altogether. Rows are in output pixels (0 … size − 1).
 */
export function footprintRows(header: CogHeader, tms: TileMatrixSet, projection: GridProjection, dst: GeoTransform, size: number): [number, number] | null {
  const box = gridFootprint(header, tms, projection);
  if (!box) return [0, size - 1];
  const [minX, minY, maxX, maxY] = box;
  const tileMinX = dst[0], tileMaxX = dst[0] + size * dst[1];
  const tileMaxY = dst[3], tileMinY = dst[3] + size * dst[5];
  if (maxX < tileMinX || minX > tileMaxX || maxY < tileMinY || minY > tileMaxY) return null;
  const first = Math.max(0, Math.floor((tileMaxY - maxY) / -dst[5]));
  const last = Math.min(size - 1, Math.floor((tileMaxY - minY) / -dst[5]));
  return first <= last ? [first, last] : null;
}
