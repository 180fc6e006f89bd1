/**
 * Average (GWKAverageOrMode, GDAL ≥ 3.1): the mean of the source pixels under the output pixel's
 * footprint, partial pixels weighted by their overlap along each axis.
 */
import type { WarpChunk, WarpPlan } from '../plan.ts';
import { storer, type Kernel, type SourceWindow, type WarpedTile } from './kernel.ts';

export const average: Kernel = { radius: 0, footprint: true, warp: averageChunk };

function averageChunk(plan: WarpPlan, c: WarpChunk, src: SourceWindow, out: WarpedTile): void {
  const { srcX, srcY } = plan, n = plan.width | 0;
  const srcX2 = plan.srcX2!, srcY2 = plan.srcY2!;
  // | 0: sizes may arrive as doubles (see nearest.ts), and index arithmetic on them is slow
  const w = src.width | 0, nb = src.bands.length;
  const cx = c.src.x | 0, cy = c.src.y | 0, cw = c.src.width | 0, ch = c.src.height | 0;
  const ox = c.x | 0, oy = c.y | 0, ow = c.width | 0, oh = c.height | 0;
  const eps = 1e-10;
  const acc = new Float64Array(nb);
  const stores = out.bands.map(storer);
  for (let row = oy; row < oy + oh; row++) {
    for (let i = row * n + ox, end = i + ow; i < end; i++) {
      // the footprint relative to the chunk's window, as GDAL sees it
      let x0 = srcX[i] - cx, y0 = srcY[i] - cy, x1 = srcX2[i] - cx, y1 = srcY2[i] - cy;
      if (x0 !== x0 || x1 !== x1 || y0 !== y0 || y1 !== y1) continue;
      if (x0 > x1) [x0, x1] = [x1, x0];
      if (y0 > y1) [y0, y1] = [y1, y0];
      // No intersection test, as in GDAL 3.6: the clamped range is widened to one pixel when empty,
      // so a footprint less than a pixel above or left of the window takes the edge pixel.
      const ix0 = Math.max(Math.floor(x0 + eps), 0), iy0 = Math.max(Math.floor(y0 + eps), 0);
      let ix1 = Math.min(Math.ceil(x1 - eps), cw), iy1 = Math.min(Math.ceil(y1 - eps), ch);
      if (ix0 === ix1 && ix1 < cw) ix1++;
      if (iy0 === iy1 && iy1 < ch) iy1++;
      let total = 0;
      acc.fill(0);
      for (let yy = iy0; yy < iy1; yy++) {
        // GDAL's COMPUTE_WEIGHT_Y / COMPUTE_WEIGHT: the first and last pixels count by coverage
        const wy = yy === iy0 ? (iy0 + 1 === iy1 ? 1 : 1 - (y0 - iy0)) : yy + 1 === iy1 ? 1 - (iy1 - y1) : 1;
        for (let xx = ix0; xx < ix1; xx++) {
          const p = (yy + cy) * w + xx + cx;
          if (src.mask[p] === 0) continue;
          const wgt = xx === ix0 ? (ix0 + 1 === ix1 ? wy : wy * (1 - (x0 - ix0))) : xx + 1 === ix1 ? wy * (1 - (ix1 - x1)) : wy;
          if (!(wgt > 0)) continue;
          total += wgt;
          // the weighted incremental mean GDAL uses
          for (let b = 0; b < nb; b++) acc[b] += (wgt / total) * (src.bands[b][p] - acc[b]);
        }
      }
      if (!(total > 0)) continue;
      out.mask[i] = 255;
      for (let b = 0; b < nb; b++) stores[b](i, acc[b]);
    }
  }
}

