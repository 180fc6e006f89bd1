/**
 * A dataset's metadata, computed once at ingest from one pass over a small overview: statistics,
 * WGS84 bounds, and a footprint polygon of the valid pixels.
 */
import type { DatasetMetadata } from '../catalog/index.ts';
import { boundsOf, reprojectBounds } from './describe.ts';
import { InputError } from '../errors/index.ts';
import { ReadBudget, type ReadLimits } from '../raster/index.ts';
import { computeStats } from '../raster/index.ts';
import type { Source } from '../source/index.ts';
import type { CogHeader } from '../tiff/index.ts';
import { toWgs84 } from '../crs/index.ts';

export interface MetadataOptions {
  /** Statistics from full resolution instead of an overview of ~1024 px. */
  exact?: boolean;
  signal?: AbortSignal;
  etag?: string;
  /** Caps on the statistics pass (source bytes, decoded pixels and bytes), charged before it reads. */
  limits?: ReadLimits;
}

export async function computeMetadata(header: CogHeader, source: Source, options: MetadataOptions = {}): Promise<DatasetMetadata> {
  const bounds = boundsOf(header);
  if (!bounds) throw new InputError('the raster has no geotransform, so it has no place on a map');
  const toLonLat = toWgs84(header.crs); // throws UnknownCrsError: refused at ingest, not at tile time
  const edges = new RowExtents();
  const budget = options.limits && new ReadBudget(options.limits);
  const stats = await computeStats(header, source, { ...options, budget, onMask: (mask, width, y0) => edges.add(mask, width, y0) });
  const level = header.levels[stats.level].image;
  const full = header.levels[0].image;
  const gt = header.geotransform!;
  // The stats level's pixels are (full / level) full-resolution pixels wide.
  const sx = full.width / level.width, sy = full.height / level.height;
  const hull = convexHull(edges.corners()).map(([px, py]) => {
    const x = px * sx, y = py * sy;
    return toLonLat([gt[0] + x * gt[1] + y * gt[2], gt[3] + x * gt[4] + y * gt[5]]);
  });
  // GeoJSON wants exterior rings counter-clockwise; the y-down pixel grid flipped ours.
  if (signedArea(hull) < 0) hull.reverse();
  const ring = hull.length >= 3 ? [...hull, hull[0]] : [];
  return {
    bounds: reprojectBounds(bounds, toLonLat),
    footprint: { type: 'Polygon', coordinates: ring.length ? [ring.map(([lon, lat]) => [round(lon), round(lat)])] : [] },
    validPercent: stats.validPercent,
    min: stats.min,
    max: stats.max,
    mean: stats.mean,
    stdev: stats.stdev,
    percentiles: stats.percentiles,
    statsLevel: stats.level,
    exact: stats.level === 0,
  };
}

const round = (v: number) => Math.round(v * 1e7) / 1e7;

function signedArea(ring: [number, number][]): number {
  let a = 0;
  for (let i = 0; i < ring.length; i++) {
    const [x1, y1] = ring[i], [x2, y2] = ring[(i + 1) % ring.length];
    a += x1 * y2 - x2 * y1;
  }
  return a / 2;
}

/** First and last valid pixel of each row: enough for the convex hull of the valid area. */
class RowExtents {
  private points: [number, number][] = [];
  add(mask: Uint8Array, width: number, y0: number): void {
    const rows = mask.length / width;
    for (let r = 0; r < rows; r++) {
      const row = r * width;
      let first = -1, last = -1;
      for (let x = 0; x < width; x++) if (mask[row + x]) { first = x; break; }
      if (first < 0) continue;
      for (let x = width - 1; x >= first; x--) if (mask[row + x]) { last = x; break; }
      const y = y0 + r;
      // Pixel corners, so a single valid pixel still has an area.
      this.points.push([first, y], [first, y + 1], [last + 1, y], [last + 1, y + 1]);
    }
  }
  corners(): [number, number][] {
    return this.points;
  }
}

/** Andrew's monotone chain; returns the hull counter-clockwise without repeating the first point. */
export function convexHull(points: [number, number][]): [number, number][] {
  const pts = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (pts.length < 3) return pts;
  const cross = (o: number[], a: number[], b: number[]) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: [number, number][] = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: [number, number][] = [];
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p) <= 0) upper.pop();
    upper.push(p);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}
