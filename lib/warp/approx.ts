import type { PointTransform } from './project.ts';

/**
 * GDAL's approximate transformer (GDALApproxTransform, alg/gdaltransformer.cpp), which gdalwarp
 * wraps around every reprojection with -et 0.125: a destination row is transformed exactly at its
 * first, middle and last point; if linear interpolation between the ends misses the middle by more
 * than `maxError` (|dx| + |dy| in source pixels) the row is split in two at the middle and each half
 * handled the same way (reusing the points already transformed), halves of ≤ 5 points are
 * transformed exactly, and a failed control point makes its whole segment exact.
 *
 * The split points and the arithmetic are GDAL's, so coordinates agree with gdalwarp's to ~1e-10 px
 * and nearest-neighbour tiles match it pixel for pixel rather than to within the 0.125 px tolerance.
 * A row costs 3 exact transforms when the projection is smooth across it (every tile from zoom ~6
 * up): 768 proj4 calls for a 256² tile, or ~100 when controlRows supplies them (see there). When the
 * source is in the grid's CRS the transform is affine and the interpolation exact: that is the
 * affine fast path, with no projection call at all.
 */

export const DEFAULT_MAX_ERROR = 0.125;

/**
 * Fill outX/outY[offset + i] for the destination points (x0 + i, y), i = 0 … n−1, with source
 * coordinates from `exact` (destination pixel → source pixel) minus `origin`, or NaN where it fails.
 * Returns the bounding box of the (absolute) coordinates written, [minX, minY, maxX, maxY], NaN when
 * some point failed: callers skip per-pixel checks on rows that lie wholly inside their window.
 *
 * `controls` gives the three control points' exact values at controls[controlsAt …] (six numbers,
 * controlRows' output) instead of transforming them here.
 *
 * With `linear` (4 numbers at linear[linearAt …]), a row that one straight segment approximates is not
 * written out: its coordinates are L0 + L1·i, L2 + L3·i (origin subtracted), the very expressions the
 * loop would have stored, and L0 is NaN when the row was written instead. Offsets rather than
 * subarrays: two views a row were a fifth of what a fresh tile allocated, in scavenges.
 */
export function approxRow(
  exact: PointTransform, n: number, x0: number, y: number, maxError: number,
  outX: Float64Array, outY: Float64Array, offset: number, origin: readonly [number, number] = [0, 0],
  controls?: Float64Array | null, controlsAt = 0, linear?: Float64Array, linearAt = 0,
): Float64Array {
  const run = RUN.reset(exact, x0, y, outX, outY, offset, origin, n, linear, linearAt);
  const mid = (n - 1) >> 1;
  const sme = SME;
  if (controls) for (let k = 0; k < 6; k++) sme[k] = controls[controlsAt + k];
  if (n <= 5 || maxError <= 0 || (!controls && !(run.at(0, sme, 0) && run.at(mid, sme, 2) && run.at(n - 1, sme, 4)))) {
    run.exact(0, n);
  } else {
    segment(run, 0, n, sme, maxError);
  }
  return run.box;
}

const SME = new Float64Array(6);

/**
 * The exact values of approxRow's three control points (first, middle, last) for the rows
 * y0 … y0 + rows − 1, six numbers a row, or null to let each row transform its own. They are
 * transformed exactly every STRIDE rows and interpolated in between by a cubic through the four
 * nearest exact rows: a projection is smooth at this scale, and a check against one extra exact row
 * must agree to 1e-7 px (coordinates then differ from GDAL's in the 7th decimal of a pixel at most),
 * for an eighth of the proj4 calls. Any failed point, or a worse fit, returns null.
 */
export function controlRows(exact: PointTransform, n: number, x0: number, y0: number, rows: number): Float64Array | null {
  const STRIDE = 8;
  if (n <= 5 || rows < 4 * STRIDE) return null;
  const mid = (n - 1) >> 1;
  const cols = [x0, x0 + mid, x0 + n - 1];
  const at: number[] = [];
  for (let r = 0; r < rows - 1; r += STRIDE) at.push(r);
  at.push(rows - 1);
  const samples = new Float64Array(at.length * 6);
  const p = new Float64Array(2);
  for (let k = 0; k < at.length; k++) {
    for (let c = 0; c < 3; c++) {
      if (!exact(cols[c], y0 + at[k], p)) return null;
      samples[k * 6 + c * 2] = p[0];
      samples[k * 6 + c * 2 + 1] = p[1];
    }
  }
  const out = new Float64Array(rows * 6);
  for (let r = 0; r < rows; r++) cubic(at, samples, r, out, r * 6);
  // the check: an exact row halfway between samples, in the middle of the run
  const r = at[at.length >> 1] + STRIDE / 2;
  for (let c = 0; c < 3; c++) {
    if (!exact(cols[c], y0 + r, p)) return null;
    if (Math.abs(p[0] - out[r * 6 + c * 2]) + Math.abs(p[1] - out[r * 6 + c * 2 + 1]) > 1e-7) return null;
  }
  return out;
}

/** Lagrange cubic through the 4 samples around row r (all 6 values at once). */
function cubic(at: number[], samples: Float64Array, r: number, out: Float64Array, o: number): void {
  let k = 0;
  while (k < at.length - 1 && at[k + 1] <= r) k++;
  const j0 = Math.max(0, Math.min(at.length - 4, k - 1));
  for (let v = 0; v < 6; v++) out[o + v] = 0;
  for (let a = j0; a < j0 + 4; a++) {
    let w = 1;
    for (let b = j0; b < j0 + 4; b++) if (b !== a) w *= (r - at[b]) / (at[a] - at[b]);
    for (let v = 0; v < 6; v++) out[o + v] += w * samples[a * 6 + v];
  }
}

/** GDALApproxTransformInternal over points [s, s + n) with exact values `sme` at s, s + mid, s + n − 1. */
function segment(run: Run, s: number, n: number, sme: Float64Array, maxError: number): void {
  const mid = (n - 1) >> 1;
  const dX = (sme[4] - sme[0]) / (n - 1);
  const dY = (sme[5] - sme[1]) / (n - 1);
  const error = Math.abs(sme[0] + dX * mid - sme[2]) + Math.abs(sme[1] + dY * mid - sme[3]);
  if (error > maxError) {
    const exactFirst = mid <= 5, exactSecond = n - mid <= 5;
    const first = new Float64Array(6), second = new Float64Array(6);
    let ok = true;
    if (!exactFirst) {
      first[0] = sme[0]; first[1] = sme[1];
      ok = run.at(s + ((mid - 1) >> 1), first, 2) && run.at(s + mid - 1, first, 4);
    }
    if (ok && !exactSecond) {
      second[0] = sme[2]; second[1] = sme[3];
      second[4] = sme[4]; second[5] = sme[5];
      ok = run.at(s + mid + ((n - mid - 1) >> 1), second, 2);
    }
    if (!ok) {
      run.exact(s + 1, mid - 1);
      run.exact(s + mid + 1, n - mid - 2);
      run.put(s, sme, 0);
      run.put(s + mid, sme, 2);
      run.put(s + n - 1, sme, 4);
      return;
    }
    if (exactFirst) {
      run.exact(s + 1, mid - 1);
      run.put(s, sme, 0);
    } else {
      segment(run, s, mid, first, maxError);
    }
    if (exactSecond) {
      run.exact(s + mid + 1, n - mid - 2);
      run.put(s + mid, sme, 2);
      run.put(s + n - 1, sme, 4);
    } else {
      segment(run, s + mid, n - mid, second, maxError);
    }
    return;
  }
  const { outX, outY, linear } = run;
  const x0 = sme[0], y0 = sme[1], at = run.offset + s;
  // GDAL interpolates x0 + dX · i; the origin is an integer, subtracted before (exact for these magnitudes)
  const rx0 = x0 - run.origin[0], ry0 = y0 - run.origin[1];
  if (linear && s === 0 && n === run.n) {
    // the whole row is this one segment: its caller may compute the points instead of reading them
    const l = run.linearAt;
    linear[l] = rx0; linear[l + 1] = dX; linear[l + 2] = ry0; linear[l + 3] = dY;
  } else {
    for (let i = 0; i < n; i++) {
      outX[at + i] = rx0 + dX * i;
      outY[at + i] = ry0 + dY * i;
    }
  }
  run.extend(x0, y0);
  run.extend(x0 + dX * (n - 1), y0 + dY * (n - 1));
}

/** One row's state. A single instance is reused (approxRow is not re-entrant): no allocation per row. */
class Run {
  private readonly p = new Float64Array(2);
  readonly box = new Float64Array(4);
  private fn!: PointTransform;
  private x0 = 0;
  private y = 0;
  outX!: Float64Array;
  outY!: Float64Array;
  offset = 0;
  origin: readonly [number, number] = [0, 0];
  /** The row's length, and where a row that is one segment is described instead of written (approxRow). */
  n = 0;
  linear?: Float64Array;
  linearAt = 0;

  reset(fn: PointTransform, x0: number, y: number, outX: Float64Array, outY: Float64Array, offset: number, origin: readonly [number, number], n: number, linear: Float64Array | undefined, linearAt: number): this {
    this.fn = fn; this.x0 = x0; this.y = y; this.outX = outX; this.outY = outY; this.offset = offset; this.origin = origin;
    this.n = n; this.linear = linear; this.linearAt = linearAt;
    if (linear) linear[linearAt] = NaN;
    this.box[0] = this.box[1] = Infinity;
    this.box[2] = this.box[3] = -Infinity;
    return this;
  }

  extend(x: number, y: number): void {
    const b = this.box;
    if (x !== x || y !== y) { b.fill(NaN); return; }
    if (x < b[0]) b[0] = x;
    if (y < b[1]) b[1] = y;
    if (x > b[2]) b[2] = x;
    if (y > b[3]) b[3] = y;
  }

  /** Exact transform of point i into dst[k], dst[k + 1]. */
  at(i: number, dst: Float64Array, k: number): boolean {
    if (!this.fn(this.x0 + i, this.y, this.p)) return false;
    dst[k] = this.p[0];
    dst[k + 1] = this.p[1];
    return true;
  }

  /** Exact transforms of points [from, from + count) into the output (NaN where they fail). */
  exact(from: number, count: number): void {
    for (let i = from; i < from + count; i++) {
      const ok = this.fn(this.x0 + i, this.y, this.p);
      this.outX[this.offset + i] = ok ? this.p[0] - this.origin[0] : NaN;
      this.outY[this.offset + i] = ok ? this.p[1] - this.origin[1] : NaN;
      this.extend(ok ? this.p[0] : NaN, this.p[1]);
    }
  }

  put(i: number, src: Float64Array, k: number): void {
    this.outX[this.offset + i] = src[k] - this.origin[0];
    this.outY[this.offset + i] = src[k + 1] - this.origin[1];
    this.extend(src[k], src[k + 1]);
  }
}

const RUN = new Run();
