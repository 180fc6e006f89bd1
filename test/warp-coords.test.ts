/**
 * Warp plans reuse the coordinate arrays of released plans (lib/warp/coords.ts): a plan made into
 * arrays that held another tile's coordinates must equal one made into new arrays, whatever the
 * other tile covered (an edge tile leaves NaN where a centre tile had coordinates, and back).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toWgs84 } from '../lib/crs/index.ts';
import { WebMercatorQuad } from '../lib/grids/index.ts';
import { readHeader } from '../lib/tiff/index.ts';
import { planTileWarp, releaseWarpPlan, sourceCoordinates, type Resampling, type WarpPlan } from '../lib/warp/index.ts';
import { fixturePath, MemorySource } from './helpers.ts';

const tileAt = (z: number, [lon, lat]: [number, number]): [number, number] => [
  Math.floor(((lon + 180) / 360) * 2 ** z),
  Math.floor(((1 - Math.asinh(Math.tan((lat * Math.PI) / 180)) / Math.PI) / 2) * 2 ** z),
];

test('a plan into a released plan\'s arrays equals one into new arrays (centre ↔ edge tiles, nearest and average)', async () => {
  const source = await MemorySource.fromFile(fixturePath('u16-zstd-bigtiff-utm50.tif'));
  const { header } = await readHeader(source);
  const gt = header.geotransform!, { width, height } = header.levels[0].image;
  const ll = toWgs84(header.crs);
  const nw = ll([gt[0], gt[3]]), se = ll([gt[0] + width * gt[1], gt[3] + height * gt[5]]);
  const centre: [number, number] = [(nw[0] + se[0]) / 2, (nw[1] + se[1]) / 2];
  const plan = (z: number, p: [number, number], resampling: Resampling) => planTileWarp(header, WebMercatorQuad, z, ...tileAt(z, p), { resampling })!;
  const copy = (a?: Float64Array) => a && Float64Array.from(a);
  // every coordinate, described rows of nearest plans written out (lib/warp/plan.ts's WarpPlan.rows)
  const all = (q: WarpPlan) => { const { srcX, srcY } = sourceCoordinates(q); return [srcX, srcY, copy(q.srcX2), copy(q.srcY2)]; };
  for (const resampling of ['nearest', 'average'] as Resampling[]) {
    for (const [a, b] of [[centre, nw], [nw, centre], [se, centre]] as [number, number][][]) {
      const expected = plan(15, b, resampling);
      const want = all(expected);
      assert.ok(want[0]!.some((v) => Number.isNaN(v)) !== (b === centre), 'an edge tile has pixels without a source, a centre tile none');
      const first = plan(15, a, resampling);
      releaseWarpPlan(first);
      const reused = plan(15, b, resampling);
      const arrays = (q: typeof first) => [q.srcX, q.srcY, q.srcX2, q.srcY2].filter((x) => x !== undefined);
      assert.ok(arrays(reused).every((x) => arrays(first).includes(x)), 'the released arrays are taken again');
      assert.deepEqual(all(reused), want, `${resampling}: ${a} then ${b}`);
      releaseWarpPlan(reused);
      releaseWarpPlan(expected);
    }
  }
});

test('a nearest plan\'s described rows warp exactly as the same rows written out (one band, masked, four bands)', async () => {
  const { readWindow } = await import('../lib/raster/index.ts');
  const { warpWindow } = await import('../lib/warp/index.ts');
  for (const [file, bands] of [['u16-zstd-bigtiff-utm50.tif', [0]], ['i16-zstd-p2-nodata-4547.tif', [0]], ['u16-4band-deflate-p2-meta-utm50.tif', [0, 1, 2, 3]]] as const) {
    const source = await MemorySource.fromFile(fixturePath(file));
    const { header } = await readHeader(source);
    const gt = header.geotransform!, { width, height } = header.levels[0].image;
    const ll = toWgs84(header.crs);
    const centre = ll([gt[0] + (width / 2) * gt[1], gt[3] + (height / 2) * gt[5]]) as [number, number];
    let described = 0;
    for (const z of [12, 14, 15, 16, 17]) {
      const plan = planTileWarp(header, WebMercatorQuad, z, ...tileAt(z, centre))!;
      // an edge tile's plan has several chunks and describes no row
      for (let r = 0; r < plan.height; r++) if (plan.rows && plan.rows[r * 4] === plan.rows[r * 4]) described++;
      const window = await readWindow(header, source, plan.window, { level: plan.level, bands: [...bands] });
      const written = { ...plan, ...sourceCoordinates(plan), rows: undefined };
      const a = warpWindow(plan, window), b = warpWindow(written, window);
      assert.deepEqual(a.mask, b.mask, `${file} z${z}: mask`);
      a.bands.forEach((band, i) => assert.deepEqual(band, b.bands[i], `${file} z${z}: band ${i}`));
    }
    assert.ok(described > 0, `${file}: some rows are described`);
  }
});

test('a described row crossing source rows takes each pixel from the row its own y gives (nearest, rising and falling rows)', async () => {
  const { nearest } = await import('../lib/warp/kernels/nearest.ts');
  const n = 256, w = 400, h = 300;
  const src = { bands: [Uint16Array.from({ length: w * h }, (_, i) => i % 65521)], mask: new Uint8Array(w * h).fill(255), width: w, height: h };
  let seed = 3;
  const next = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let trial = 0; trial < 40; trial++) {
    // slopes from none to a source row every few pixels, either way; starts exactly on a row boundary too
    const rows = new Float64Array(n * 4);
    for (let r = 0; r < n; r++) {
      const dx = 0.1 + next() * 1.2, dy = (next() - 0.5) * (trial % 4 === 0 ? 0 : trial % 4 === 1 ? 0.02 : 0.6);
      const y0 = 100 + (trial % 5 === 0 ? Math.round(next() * 50) - 1e-10 : next() * 50);
      rows.set([next() * 40, dx, y0, dy], r * 4);
    }
    const plan = { width: n, height: n, rows, srcX: new Float64Array(0), srcY: new Float64Array(0) } as unknown as WarpPlan;
    const out = { width: n, height: n, bands: [new Uint16Array(n * n)], mask: new Uint8Array(n * n) };
    nearest.warp(plan, { x: 0, y: 0, width: n, height: n } as never, src, out);
    for (let r = 0; r < n; r++) {
      const [x0, dx, y0, dy] = rows.subarray(r * 4, r * 4 + 4);
      for (let col = 0; col < n; col++) {
        const k = ((y0 + dy * col + 1e-10) | 0) * w + ((x0 + dx * col + 1e-10) | 0);
        if (out.bands[0][r * n + col] !== src.bands[0][k] || out.mask[r * n + col] !== 255) {
          assert.fail(`trial ${trial}, row ${r}, column ${col}: ${out.bands[0][r * n + col]}, the source pixel is ${src.bands[0][k]}`);
        }
      }
    }
  }
});
