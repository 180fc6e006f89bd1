/** GWKNearest: the source pixel floor(x), floor(y) of each output pixel centre, invalid where it is. */
import type { WarpChunk, WarpPlan } from '../plan.ts';
import type { Kernel, SourceWindow, WarpedTile } from './kernel.ts';

export const nearest: Kernel = { radius: 0, footprint: false, warp: nearestChunk };

function nearestChunk(plan: WarpPlan, c: WarpChunk, src: SourceWindow, out: WarpedTile): void {
  const { srcX, srcY, width: n, rows } = plan;
  const w = src.width, nb = src.bands.length, sm = src.mask, om = out.mask;
  const sb0 = src.bands[0], ob0 = out.bands[0];
  // the usual single band with no invalid source pixel: a plain gather
  const plain = nb === 1 && sm.indexOf(0) < 0;
  for (let row = c.y; row < c.y + c.height; row++) {
    const start = row * n + c.x, end = start + c.width;
    const x0 = rows ? rows[row * 4] : NaN;
    if (x0 === x0) {
      // a described row (WarpPlan.rows: one chunk, col = i - start), wholly inside the window
      const dx = rows![row * 4 + 1], y0 = rows![row * 4 + 2], dy = rows![row * 4 + 3];
      if (plain) {
        // y0 + dy·col is monotonic in col (rounding is), so equal ends mean one source row throughout
        const top = (y0 + 1e-10) | 0;
        if (top === ((y0 + dy * (end - 1 - start) + 1e-10) | 0)) {
          const base = top * w;
          om.fill(255, start, end);
          for (let i = start, col = 0; i < end; i++, col++) ob0[i] = sb0[base + ((x0 + dx * col + 1e-10) | 0)];
          continue;
        }
        for (let i = start, col = 0; i < end; i++, col++) {
          om[i] = 255;
          ob0[i] = sb0[((y0 + dy * col + 1e-10) | 0) * w + ((x0 + dx * col + 1e-10) | 0)];
        }
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

/** Output pixel i takes every band of source pixel k. */
function gather(src: SourceWindow, out: WarpedTile, k: number, i: number): void {
  out.mask[i] = 255;
  for (let b = 0; b < src.bands.length; b++) out.bands[b][i] = src.bands[b][k];
}
