import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import proj4 from 'proj4';
import { readHeader } from '../lib/tiff/index.ts';
import type { CogHeader } from '../lib/tiff/header.ts';
import { gcj02ToWgs84, proj4ForEpsg, UnknownCrsError } from '../lib/crs/index.ts';
import { GCJ02WebMercatorQuad, tileTransform, WebMercatorQuad } from '../lib/grids/index.ts';
import { planTileWarp as planTile, sourceCoordinates, warpWindow, type TileWarpPlan as TilePlan } from '../lib/warp/index.ts';
import { fixturePath, MemorySource } from './helpers.ts';

const header = async (file: string): Promise<CogHeader> => (await readHeader(await MemorySource.fromFile(fixturePath(file)))).header;
/** A plan's coordinate for output pixel (col, row), in absolute pixels of its level. */
const coords = new WeakMap<TilePlan, ReturnType<typeof sourceCoordinates>>();
const at = (p: TilePlan, col: number, row: number): [number, number] => {
  const c = coords.get(p) ?? coords.set(p, sourceCoordinates(p)).get(p)!;
  return [c.srcX[row * p.tileSize + col] + p.window.x, c.srcY[row * p.tileSize + col] + p.window.y];
};

describe('planTile', () => {
  it('has no plan for a tile away from the raster (a transparent tile)', async () => {
    const h = await header('u16-zstd-bigtiff-utm50.tif');
    assert.equal(planTile(h, WebMercatorQuad, 12, 3390, 1551), null);
    assert.equal(planTile(h, WebMercatorQuad, 3, 1, 1), null);
  });

  it('reads the coarsest overview for a tile far larger than the raster', async () => {
    const h = await header('u16-zstd-bigtiff-utm50.tif');
    const plan = planTile(h, WebMercatorQuad, 10, 843, 388)!;
    assert.equal(plan.level, h.levels.length - 1);
    assert.ok(plan.window.width <= h.levels[plan.level].image.width);
  });

  it('a 512 px tile reads the level a 256 px tile one zoom deeper does', async () => {
    const h = await header('i16-zstd-p2-nodata-4547.tif');
    for (const [z, x, y] of [[13, 6696, 3364], [12, 3348, 1682]]) {
      const big = planTile(h, WebMercatorQuad, z, x, y, { tileSize: 512 })!;
      const small = planTile(h, WebMercatorQuad, z + 1, 2 * x, 2 * y)!;
      assert.equal(big.level, small.level);
      assert.equal(big.srcX.length, 512 * 512);
    }
  });

  it('is exact and affine when the raster is in the grid CRS (EPSG:3857)', async () => {
    const h = await header('u16-4band-lzw-p2-band-3857.tif');
    const [z, x, y] = [15, 26977, 12415];
    const plan = planTile(h, WebMercatorQuad, z, x, y)!;
    const dst = tileTransform(WebMercatorQuad, z, x, y, 256), gt = h.geotransform!;
    for (const [col, row] of [[0, 0], [100, 37], [255, 200]]) {
      const [sx, sy] = at(plan, col, row);
      if (Number.isNaN(sx)) continue;
      assert.ok(Math.abs(sx - (dst[0] + (col + 0.5) * dst[1] - gt[0]) / gt[1]) < 1e-9);
      assert.ok(Math.abs(sy - (dst[3] + (row + 0.5) * dst[5] - gt[3]) / gt[5]) < 1e-9);
    }
  });

  it('the approximate transformer stays within 0.125 source px of the exact one', async () => {
    const h = await header('i32-lzw-p2-4498.tif');
    for (const [z, x, y] of [[9, 421, 194], [13, 6744, 3104], [16, 53957, 24834]]) {
      const approx = planTile(h, WebMercatorQuad, z, x, y)!, exact = planTile(h, WebMercatorQuad, z, x, y, { maxError: 0 })!;
      let worst = 0;
      for (let row = 0; row < 256; row++) {
        for (let col = 0; col < 256; col++) {
          const [ax, ay] = at(approx, col, row), [ex, ey] = at(exact, col, row);
          if (ax === ax && ex === ex) worst = Math.max(worst, Math.abs(ax - ex) + Math.abs(ay - ey));
        }
      }
      assert.ok(worst <= 0.125, `z${z}: ${worst} px`);
    }
  });

  it('adjacent tiles continue each other (no seams)', async () => {
    const h = await header('u16-zstd-bigtiff-utm50.tif');
    const left = planTile(h, WebMercatorQuad, 16, 53957, 24834)!, right = planTile(h, WebMercatorQuad, 16, 53958, 24834)!;
    for (const row of [20, 128, 240]) {
      const [a1] = at(left, 254, row), [a2] = at(left, 255, row), [b] = at(right, 0, row);
      assert.ok(Math.abs(b - a2 - (a2 - a1)) < 1e-6, `row ${row}: ${a1} ${a2} → ${b}`);
    }
  });

  it('GCJ02WebMercatorQuad samples the raster at the GCJ-02 → WGS84 position of each pixel', async () => {
    const h = await header('u16-zstd-bigtiff-utm50.tif');
    const [z, x, y] = [16, 53957, 24834];
    // exact transforms (maxError 0): the default approximation is within its 0.125 px
    const plan = planTile(h, GCJ02WebMercatorQuad, z, x, y, { maxError: 0 })!;
    const plain = planTile(h, WebMercatorQuad, z, x, y, { maxError: 0 })!;
    const dst = tileTransform(GCJ02WebMercatorQuad, z, x, y, 256), gt = h.geotransform!;
    const toUtm = proj4('+proj=longlat +datum=WGS84 +no_defs', proj4ForEpsg(32650)!);
    const R = 6378137;
    for (const [col, row] of [[10, 10], [128, 128], [250, 30]]) {
      const mx = dst[0] + (col + 0.5) * dst[1], my = dst[3] + (row + 0.5) * dst[5];
      const wgs = gcj02ToWgs84((mx / R) * (180 / Math.PI), Math.atan(Math.sinh(my / R)) * (180 / Math.PI));
      const [ux, uy] = toUtm.forward(wgs) as number[];
      const [sx, sy] = at(plan, col, row);
      assert.ok(Math.abs(sx - (ux - gt[0]) / gt[1]) < 1e-6 && Math.abs(sy - (uy - gt[3]) / gt[5]) < 1e-6, `pixel ${col},${row}: ${sx},${sy} vs ${(ux - gt[0]) / gt[1]},${(uy - gt[3]) / gt[5]}`);
      // the GCJ-02 grid is the Web Mercator one moved by the GCJ-02 shift (~570 m here): ~40 px of 15 m
      const [px, py] = at(plain, col, row);
      const shift = Math.hypot(sx - px, sy - py) * gt[1];
      assert.ok(shift > 400 && shift < 700, `shift ${shift} m`);
    }
  });

  it('rejects bad requests clearly', async () => {
    const h = await header('u16-zstd-bigtiff-utm50.tif');
    assert.throws(() => planTile(h, WebMercatorQuad, 4, 99, 0), { name: 'InputError', message: 'x 99 is outside 0..15 at zoom 4' });
    assert.throws(() => planTile(h, WebMercatorQuad, 4, 1, 1, { tileSize: 4096 }), /tile size 4096 is outside 1\.\.2048/);
    assert.throws(() => planTile(h, WebMercatorQuad, 4, 1, 1, { resampling: 'cubic' as 'nearest' }), /resampling "cubic" is not one of nearest, bilinear, average/);
    assert.throws(() => planTile({ ...h, crs: { ...h.crs!, epsg: 2000 } }, WebMercatorQuad, 4, 1, 1), UnknownCrsError);
    assert.throws(() => planTile({ ...h, geotransform: null }, WebMercatorQuad, 4, 1, 1), /no geotransform/);
  });

  it('warpWindow refuses pixels of another window', async () => {
    const h = await header('u16-zstd-bigtiff-utm50.tif');
    const plan = planTile(h, WebMercatorQuad, 16, 53957, 24834)!;
    const { width, height } = plan.window;
    const wrong = { width: width + 1, height, bands: [new Uint16Array((width + 1) * height)], mask: new Uint8Array((width + 1) * height) };
    assert.throws(() => warpWindow(plan, wrong), /source window is .* the plan needs/);
  });
});
