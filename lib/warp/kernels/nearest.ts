/** GWKNearest: the source pixel floor(x), floor(y) of each output pixel centre, invalid where it is. */
import type { WarpChunk, WarpPlan } from '../plan.ts';
import type { Kernel, SourceWindow, WarpedTile } from './kernel.ts';

export const nearest: Kernel = { radius: 0, footprint: false, warp: nearestChunk };

function nearestChunk(plan: WarpPlan, c: WarpChunk, src: SourceWindow, out: WarpedTile): void {
  const { srcX, srcY, width: n } = plan;
  const w = src.width, nb = src.bands.length, sm = src.mask, om = out.mask;
  const sb0 = src.bands[0], ob0 = out.bands[0];
  if (nb === 1 && sm.indexOf(0) < 0) {
    // the usual single band with no invalid source pixel: a plain gather
    for (let row = c.y; row < c.y + c.height; row++) {
      for (let i = row * n + c.x, end = i + c.width; i < end; i++) {
        const sx = srcX[i];
        if (sx !== sx) continue;
        om[i] = 255;
        ob0[i] = sb0[((srcY[i] + 1e-10) | 0) * w + ((sx + 1e-10) | 0)];
      }
    }
    return;
  }
  for (let row = c.y; row < c.y + c.height; row++) {
    for (let i = row * n + c.x, end = i + c.width; i < end; i++) {
      const sx = srcX[i];
      if (sx !== sx) continue;
      // planning checked that floor(x + 1e-10) lies in the chunk's window, so x ≥ 0: | 0 is floor
      const k = ((srcY[i] + 1e-10) | 0) * w + ((sx + 1e-10) | 0);
      if (sm[k] === 0) continue;
      om[i] = 255;
      ob0[i] = sb0[k];
      for (let b = 1; b < nb; b++) out.bands[b][i] = src.bands[b][k];
    }
  }
}

