/** GWKNearest: the source pixel floor(x), floor(y) of each output pixel centre, invalid where it is. */
import type { WarpChunk, WarpPlan } from '../plan.ts';
import type { TypedArray } from '../../raster/index.ts';
import type { Kernel, SourceWindow, WarpedTile } from './kernel.ts';

export const nearest: Kernel = { radius: 0, footprint: false, warp: nearestChunk };

function nearestChunk(plan: WarpPlan, c: WarpChunk, src: SourceWindow, out: WarpedTile): void {
  const { srcX, srcY, rows } = plan;
  // | 0: sizes and offsets may arrive as doubles (an object shape whose fields once held a fraction
  // keeps them as doubles), and index arithmetic on doubles took the loops from ~2.5 to ~4.5 ns a pixel
  const n = plan.width | 0, w = src.width | 0, cx = c.x | 0, cy = c.y | 0, cw = c.width | 0, ch = c.height | 0;
  const nb = src.bands.length, sm = src.mask, om = out.mask;
  const sb0 = src.bands[0], ob0 = out.bands[0];
  // the usual single band with no invalid source pixel: a plain gather
  const plain = nb === 1 && sm.indexOf(0) < 0;
  for (let row = cy; row < cy + ch; row++) {
    const start = row * n + cx, end = start + cw;
    const x0 = rows ? rows[row * 4] : NaN;
    if (x0 === x0) {
      // a described row (WarpPlan.rows: one chunk, col = i - start), wholly inside the window
      const dx = rows![row * 4 + 1], y0 = rows![row * 4 + 2], dy = rows![row * 4 + 3];
      if (plain) {
        om.fill(255, start, end);
        plainRow(sb0, ob0, w, start, end - start, x0, dx, y0, dy);
      } else {
        for (let i = start, col = 0; i < end; i++, col++) {
          const k = ((y0 + dy * col + 1e-10) | 0) * w + ((x0 + dx * col + 1e-10) | 0);
          if (sm[k] !== 0) gather(src, out, k, i);
        }
      }
      continue;
    }
    if (plain) {
      for (let i = start; i < end; i++) {
        const sx = srcX[i];
        if (sx !== sx) continue;
        om[i] = 255;
        ob0[i] = sb0[((srcY[i] + 1e-10) | 0) * w + ((sx + 1e-10) | 0)];
      }
      continue;
    }
    for (let i = start; i < end; i++) {
      const sx = srcX[i];
      if (sx !== sx) continue;
      // planning checked that floor(x + 1e-10) lies in the chunk's window, so x ≥ 0: | 0 is floor
      const k = ((srcY[i] + 1e-10) | 0) * w + ((sx + 1e-10) | 0);
      if (sm[k] !== 0) gather(src, out, k, i);
    }
  }
}

/**
 * A described row of a plain gather, cut where its source row changes. y0 + dy·col is monotonic in
 * col (rounding is), so each run of one source row is found by bisection on the same expression the
 * pixels use, and inside a run only the column is computed: a tile's rows cross a few source rows
 * (grid convergence), not one per pixel. A 256² uint16 tile whose rows cross source rows, this box:
 * 0.185–0.214 → 0.137–0.188 ms (dx 0.18–0.95 source px a pixel); a row on one source row as before.
 */
function plainRow(sb: TypedArray, ob: TypedArray, w: number, start: number, n: number, x0: number, dx: number, y0: number, dy: number): void {
  for (let col = 0; col < n;) {
    const top = (y0 + dy * col + 1e-10) | 0;
    let stop = n - 1;
    if (((y0 + dy * stop + 1e-10) | 0) !== top) {
      // col has top, stop has not: narrow to the run's last column
      let lo = col;
      while (stop - lo > 1) {
        const mid = (lo + stop) >> 1;
        if (((y0 + dy * mid + 1e-10) | 0) === top) lo = mid;
        else stop = mid;
      }
      stop = lo;
    }
    const base = top * w;
    for (let c = col; c <= stop; c++) ob[start + c] = sb[base + ((x0 + dx * c + 1e-10) | 0)];
    col = stop + 1;
  }
}

/** Output pixel i takes every band of source pixel k. */
function gather(src: SourceWindow, out: WarpedTile, k: number, i: number): void {
  out.mask[i] = 255;
  for (let b = 0; b < src.bands.length; b++) out.bands[b][i] = src.bands[b][k];
}
