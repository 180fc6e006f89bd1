import type { Window } from '../raster/index.ts';
import { approxRow, controlRows } from './approx.ts';
import { chunkScale, collectChunks, type Chunk } from './chunks.ts';
import { takeCoords } from './coords.ts';
import { kernelOf, type Resampling } from './kernels/index.ts';
import type { PointTransform } from './project.ts';

/**
 * Planning a warp is pure geometry — no I/O, no pixels: where every output pixel samples the source
 * window, decided as gdalwarp decides it (chunks, approximate transformer, edge retries) so results
 * match GDAL's. warpWindow (kernels/) then runs the plan over the pixels of `plan.window` at `plan.level`.
 *
 * Cost of a 256² tile on the 2-core dev VM (node 20, best of 15 × 40 runs, other jobs running):
 * UTM 50N → WebMercatorQuad planning 0.63–0.73 ms (~300 proj4 calls), warp nearest 0.37–0.42 ms,
 * bilinear 1.4 ms, average 1.1 ms; an EPSG:3857 raster plans in 0.36 ms and warps in 0.2 ms;
 * GCJ02WebMercatorQuad plans in 1.75 ms on an edge tile (its inverse is iterative and GDAL's edge
 * retries transform exactly). A bare loop over 65k doubles takes ~0.06 ms on this VM.
 */
/** A part of the tile warped on its own, as GDAL chunks a warp (see chunks.ts). */
export interface WarpChunk {
  /** Output pixels: columns x … x + width − 1, rows y … y + height − 1. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** The source pixels it may use, relative to the plan's window. */
  src: Window;
  /** GDAL's resampling scale (output / source pixel size, < 1 when downsampling) per axis. */
  scaleX: number;
  scaleY: number;
}

/** Where every pixel of an output window samples the source: what warpWindow runs. */
export interface WarpPlan {
  /** The output window's size (its arrays are row-major, width × height). */
  width: number;
  height: number;
  resampling: Resampling;
  /** Level to read: 0 = full resolution, n = the nth overview. */
  level: number;
  /** Source pixel window to read at that level, inside the image. */
  window: Window;
  chunks: WarpChunk[];
  /**
   * Per output pixel (row-major, width × height), source pixel coordinates relative to `window`, NaN where
   * the pixel has no source: its centre, or its top-left corner for a kernel that reads footprints (average).
   */
  srcX: Float64Array;
  srcY: Float64Array;
  /**
   * Nearest plans of one full-width chunk: rows the approximate transformer draws as one straight
   * segment wholly inside the window are described here and NOT written to srcX/srcY — output row r
   * samples x = rows[4r] + rows[4r+1]·col, y = rows[4r+2] + rows[4r+3]·col, computed by the kernel
   * as the transformer would have stored them (the same doubles). rows[4r] is NaN for rows in the
   * arrays. A 256² tile so skips writing and reading 1 MiB of coordinates: 98.8% of the rows of the
   * fresh-tile bench's tiles are described, and planning, a cached window read and the nearest warp
   * of 150 of them took 13.19 M instructions a tile against 13.77 M (callgrind: −4%; timings on this
   * shared box are too noisy to tell). Read a plan pixel by pixel with sourceCoordinates.
   */
  rows?: Float64Array;
  /** Footprint kernels only (average): each output pixel's bottom-right corner. */
  srcX2?: Float64Array;
  srcY2?: Float64Array;
}


/**
 * The plan of any w × h output window: `exact` takes its pixels (0 … w, 0 … h) to source pixels at
 * `level` (width × height); only output rows rows[0] … rows[1] may have a source. planTile calls it
 * for a tile of a tile matrix set, optimize's reprojection for strips of its output grid.
 */
export function planWarp(
  exact: PointTransform, w: number, h: number, level: number, width: number, height: number,
  resampling: Resampling, maxError: number, rows: [number, number] = [0, h - 1],
): WarpPlan | null {
  const kernel = kernelOf(resampling);
  const chunks = collectChunks(exact, w, h, width, height, kernel.radius);
  if (chunks.length === 0) return null;

  const footprint = kernel.footprint;
  const window = union(chunks.map((c) => c.src));
  // every element is written below (NaN where no source), so reused arrays need no clearing
  const srcX = takeCoords(w * h), srcY = takeCoords(w * h);
  const srcX2 = footprint ? takeCoords(w * h) : undefined, srcY2 = footprint ? takeCoords(w * h) : undefined;
  const row0 = Math.max(0, rows[0] - 1), row1 = Math.min(h - 1, rows[1] + 1);
  // skipped chunks and rows outside the raster's footprint have no source
  const covered = chunks.reduce((a, c) => a + c.width * c.height, 0) === w * h;
  for (const a of [srcX, srcY, srcX2, srcY2]) {
    if (!a) continue;
    if (!covered) a.fill(NaN);
    a.fill(NaN, 0, row0 * w);
    a.fill(NaN, (row1 + 1) * w);
  }
  const p = new Float64Array(2);
  const origin = [window.x, window.y] as const;
  // nearest over one chunk as wide as the output: rows may be described rather than written (see WarpPlan.rows)
  const rowLines = resampling === 'nearest' && chunks.length === 1 && chunks[0].x === 0 && chunks[0].width === w ? new Float64Array(h * 4).fill(NaN) : undefined;
  let valid = 0;
  for (const c of chunks) {
    const { x: cx, y: cy, width: cw, height: ch } = c.src;
    const first = Math.max(c.y, row0), last = Math.min(c.y + c.height - 1, row1);
    const controls = footprint || maxError <= 0 ? null : controlRows(exact, c.width, c.x + 0.5, first + 0.5, last - first + 1);
    for (let row = first; row <= last; row++) {
      const start = row * w + c.x;
      if (!footprint) {
        const box = approxRow(exact, c.width, c.x + 0.5, row + 0.5, maxError, srcX, srcY, start, origin, controls, (row - first) * 6, rowLines, row * 4);
        // a row wholly inside its window needs no per-pixel check (the usual case inside a raster)
        if (box[0] >= cx && box[1] >= cy && box[2] + 1e-10 < cx + cw && box[3] + 1e-10 < cy + ch) valid += c.width;
        else {
          if (rowLines && rowLines[row * 4] === rowLines[row * 4]) writeLine(rowLines, row * 4, srcX, srcY, start, c.width);
          valid += finishRow(c, exact, row, window, srcX, srcY, start, p);
        }
      } else {
        // GWKAverageOrMode transforms each row's top-left corners and bottom-right corners apart
        approxRow(exact, c.width, c.x, row, maxError, srcX, srcY, start, origin);
        approxRow(exact, c.width, c.x + 1, row + 1, maxError, srcX2!, srcY2!, start, origin);
        valid = 1;
      }
    }
  }
  if (valid === 0) return null;

  const planChunks = chunks.map((c) => ({
    x: c.x, y: c.y, width: c.width, height: c.height,
    src: { x: c.src.x - window.x, y: c.src.y - window.y, width: c.src.width, height: c.src.height },
    scaleX: chunkScale(c.width, c.src.width, c.src.extraX),
    scaleY: chunkScale(c.height, c.src.height, c.src.extraY),
  }));
  return { width: w, height: h, resampling, level, window, chunks: planChunks, srcX, srcY, srcX2, srcY2, ...(rowLines ? { rows: rowLines } : {}) };
}

/** Writes out a described row (WarpPlan.rows, its 4 numbers at lines[at …]) into the coordinate arrays, and marks it written. */
function writeLine(lines: Float64Array, at: number, srcX: Float64Array, srcY: Float64Array, start: number, n: number): void {
  const x0 = lines[at], dx = lines[at + 1], y0 = lines[at + 2], dy = lines[at + 3];
  for (let i = 0; i < n; i++) {
    srcX[start + i] = x0 + dx * i;
    srcY[start + i] = y0 + dy * i;
  }
  lines[at] = NaN;
}

/**
 * Every output pixel's source coordinates (relative to the window) as new arrays, described rows
 * written out: for tests and tools that read a plan pixel by pixel.
 */
export function sourceCoordinates(plan: WarpPlan): { srcX: Float64Array; srcY: Float64Array } {
  const srcX = Float64Array.from(plan.srcX), srcY = Float64Array.from(plan.srcY);
  const { rows } = plan;
  if (rows) {
    // on a copy: the plan's own description stays as it is
    const lines = Float64Array.from(rows);
    for (let r = 0; r < plan.height; r++) {
      if (lines[r * 4] === lines[r * 4]) writeLine(lines, r * 4, srcX, srcY, r * plan.width, plan.width);
    }
  }
  return { srcX, srcY };
}

/** Destination pixel → source pixel at a level, computed as GDAL's GenImgProjTransformer does. */
export function pixelTransform(dst: readonly number[], gt: readonly number[], toSource: PointTransform): PointTransform {
  const inv = invert(gt);
  const g = new Float64Array(2);
  return (px, py, out) => {
    if (!toSource(dst[0] + px * dst[1] + py * dst[2], dst[3] + px * dst[4] + py * dst[5], g)) return false;
    out[0] = inv[0] + g[0] * inv[1] + g[1] * inv[2];
    out[1] = inv[3] + g[0] * inv[4] + g[1] * inv[5];
    return Number.isFinite(out[0]) && Number.isFinite(out[1]);
  };
}

/** GDALInvGeoTransform, with its no-rotation special case (same arithmetic, same results). */
export function invert(gt: readonly number[]): number[] {
  if (gt[2] === 0 && gt[4] === 0 && gt[1] !== 0 && gt[5] !== 0) return [-gt[0] / gt[1], 1 / gt[1], 0, -gt[3] / gt[5], 0, 1 / gt[5]];
  const det = gt[1] * gt[5] - gt[2] * gt[4];
  if (!Number.isFinite(1 / det)) throw new Error('the raster geotransform is not invertible');
  const i = 1 / det;
  return [(gt[2] * gt[3] - gt[0] * gt[5]) * i, gt[5] * i, -gt[2] * i, (-gt[1] * gt[3] + gt[0] * gt[4]) * i, -gt[4] * i, gt[1] * i];
}

/**
 * An output pixel has a source only if its centre falls inside its chunk's source window: GDAL's
 * GWKCheckAndComputeSrcOffsets (x ≥ offset, floor(x + 1e-10) < offset + size), for every kernel.
 * Like GDAL, a centre the approximation puts less than a pixel outside is transformed exactly and
 * tested again, so the approximation never trims the raster's edge. Coordinates are then made
 * relative to the plan's window; returns how many pixels have a source.
 */
function finishRow(c: Chunk, exact: PointTransform, row: number, win: Window, srcX: Float64Array, srcY: Float64Array, start: number, p: Float64Array): number {
  const { x, y, width, height } = c.src;
  const xe = x + width, ye = y + height, wx = win.x, wy = win.y;
  let valid = 0;
  for (let i = start, col = c.x; i < start + c.width; i++, col++) {
    // back to absolute coordinates for GDAL's tests (the window origin is an integer: exact)
    const sx = srcX[i] + wx, sy = srcY[i] + wy;
    // the common case without floor(): floor(v + 1e-10) < N ⟺ v + 1e-10 < N for an integer N
    if (sx >= x && sy >= y && sx + 1e-10 < xe && sy + 1e-10 < ye) {
      valid++;
      continue;
    }
    let verdict = inside(sx, sy, x, y, width, height);
    // 2: valid after the exact retry, at p
    if (verdict < 0 && exact(col + 0.5, row + 0.5, p)) verdict = inside(p[0], p[1], x, y, width, height) * 2;
    if (verdict > 0) {
      srcX[i] = (verdict === 2 ? p[0] : sx) - wx;
      srcY[i] = (verdict === 2 ? p[1] : sy) - wy;
      valid++;
    } else {
      srcX[i] = NaN;
      srcY[i] = NaN;
    }
  }
  return valid;
}

/** 1 inside, 0 outside, −1 just outside (GDAL retries those with the exact transform). */
function inside(sx: number, sy: number, x: number, y: number, width: number, height: number): number {
  if (sx !== sx || sy !== sy) return 0;
  if (sx < x || sy < y) return sx > x - 1 && sy > y - 1 ? -1 : 0;
  const ix = Math.floor(sx + 1e-10), iy = Math.floor(sy + 1e-10);
  if (ix === x + width || iy === y + height) return -1;
  return ix < x + width && iy < y + height ? 1 : 0;
}

function union(windows: Window[]): Window {
  const x0 = Math.min(...windows.map((w) => w.x)), y0 = Math.min(...windows.map((w) => w.y));
  const x1 = Math.max(...windows.map((w) => w.x + w.width)), y1 = Math.max(...windows.map((w) => w.y + w.height));
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
