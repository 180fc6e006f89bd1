import type { Window } from '../raster/index.ts';
import type { PointTransform } from './project.ts';

/**
 * How gdalwarp cuts a destination into chunks and which source window each chunk gets
 * (GDALWarpOperation::CollectChunkList and ComputeSourceWindow, alg/gdalwarpoperation.cpp).
 *
 * It matters for matching GDAL pixel for pixel: a chunk is warped on its own, so its rows are
 * approximated over the chunk's width, its pixels are valid only inside its source window, and its
 * resampling scale comes from that window. GDAL splits a destination in half (along its longer side,
 * rows when square) while less than half of the source window it would need lies inside the raster
 * and it is over 100 px — i.e. edge tiles and tiles much larger than the raster. Chunks whose window
 * is empty are skipped (gdalwarp sets SKIP_NOSOURCE).
 */

export interface SourceWindowInfo extends Window {
  /** Source pixels beyond the footprint (the kernel margin), per axis: GDAL's nSrcX/YExtraSize. */
  extraX: number;
  extraY: number;
  /** Window area over the unclipped footprint's: GDAL's dfSrcFillRatio. */
  fill: number;
}

export interface Chunk {
  /** Destination pixels: columns x … x + width − 1, rows y … y + height − 1. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** The chunk's source window at the plan's level (absolute pixel coordinates). */
  src: SourceWindowInfo;
}

const STEPS = 21;

/** The chunks of a w × h destination; `radius` is the kernel's (0 nearest / average, 1 bilinear). */
export function collectChunks(exact: PointTransform, w: number, h: number, width: number, height: number, radius: number): Chunk[] {
  const out: Chunk[] = [];
  const visit = (x: number, y: number, w: number, h: number): void => {
    const src = sourceWindow(exact, x, y, w, h, width, height, radius);
    if (src.width === 0 || src.height === 0) return;
    if (src.fill > 0 && src.fill < 0.5 && (w > 100 || h > 100)) {
      if (w > h) {
        const half = w >> 1;
        visit(x, y, half, h);
        visit(x + half, y, w - half, h);
      } else {
        const half = h >> 1;
        visit(x, y, w, half);
        visit(x, y + half, w, h - half);
      }
      return;
    }
    out.push({ x, y, width: w, height: h, src });
  };
  visit(0, 0, w, h);
  return out;
}

/** GDAL's ComputeSourceWindow for destination pixels [x, x + w) × [y, y + h). */
export function sourceWindow(exact: PointTransform, x: number, y: number, w: number, h: number, width: number, height: number, radius: number): SourceWindowInfo {
  const empty = { x: 0, y: 0, width: 0, height: 0, extraX: 0, extraY: 0, fill: 0 };
  const p = new Float64Array(2);
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity, failed = 0, samples = 0;
  const add = (px: number, py: number): void => {
    samples++;
    if (!exact(px, py, p)) { failed++; return; }
    if (p[0] < minX) minX = p[0];
    if (p[0] > maxX) maxX = p[0];
    if (p[1] < minY) minY = p[1];
    if (p[1] > maxY) maxY = p[1];
  };
  // the destination's edges, 21 points each (ratio accumulated in steps of 1/20, as GDAL does)
  const step = 1 / (STEPS - 1);
  for (let r = 0; r <= 1 + step * 0.5; r += step) {
    add(r * w + x, y);
    add(r * w + x, y + h);
    add(x, r * h + y);
    add(x + w, r * h + y);
  }
  if (failed > 0) {
    // some edge points have no source: sample a grid through the interior instead
    minX = minY = Infinity;
    maxX = maxY = -Infinity;
    failed = samples = 0;
    const near = 0.5 / Math.max(w, h);
    for (let iy = 0; iy < STEPS + 2; iy++) {
      const ry = iy === 0 ? near : iy <= STEPS ? (iy - 1) * step : 1 - near;
      for (let ix = 0; ix < STEPS + 2; ix++) {
        const rx = ix === 0 ? near : ix <= STEPS ? (ix - 1) * step : 1 - near;
        add(rx * w + x, ry * h + y);
      }
    }
  }
  if (failed > samples - 5) return empty;
  if (minX > width || maxX < 0 || minY > height || maxY < 0) return empty;
  const [ox, sx, ex, rx] = axis(minX, maxX, w, width, radius, failed);
  const [oy, sy, ey, ry] = axis(minY, maxY, h, height, radius, failed);
  const fill = (sx * sy) / Math.max(1, (maxX - minX + 2 * rx) * (maxY - minY + 2 * ry));
  // | 0: axis's numbers come out of an array that also holds fractions, so they read as doubles, and an
  // object shape whose fields once held a double keeps every object's as doubles (docs/architecture.md)
  return { x: ox | 0, y: oy | 0, width: sx | 0, height: sy | 0, extraX: ex, extraY: ey, fill };
}

/** One axis of the window: [offset, size, extra, radius]. */
function axis(min: number, max: number, dst: number, extent: number, kernel: number, failed: number): [number, number, number, number] {
  const scale = Math.max(1e-3, dst / (max - min));
  let radius = scale < 0.95 ? Math.ceil(kernel / scale) : kernel;
  if (failed > 0) radius += 10;
  const minClamped = Math.trunc(Math.max(0, min));
  const maxClamped = Math.trunc(Math.min(Math.ceil(max), extent));
  const raw = Math.max(0, Math.min(extent - minClamped, max - min));
  let off: number, size: number;
  if (maxClamped - minClamped > 0.9 * extent) {
    // nearly the whole raster (or an antimeridian wrap): GDAL takes all of it
    off = 0;
    size = extent;
  } else {
    off = Math.max(0, Math.min(minClamped - radius, extent));
    size = Math.max(0, Math.min(extent - off, maxClamped - off + radius));
  }
  return [off, size, size - raw, radius];
}

/** GDALWarpKernel::PerformWarp's resampling scale for one axis of a chunk. */
export function chunkScale(dst: number, size: number, extra: number): number {
  if (!(size - extra > 0)) return 1;
  let scale = dst / (size - extra);
  if (size >= dst && size <= dst + extra) scale = 1;
  if (scale < 1) {
    const n = Math.trunc(1 / scale + 0.5);
    if (Math.abs(1 / scale - n) < 0.05) scale = 1 / n;
  }
  return scale;
}
