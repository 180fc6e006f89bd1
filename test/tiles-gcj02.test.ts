import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { gcj02ToWgs84, outOfChina, wgs84ToGcj02 } from '../lib/crs/gcj02.ts';

/** eviltransform's published test vectors (go/transform_test.go): [wgsLat, wgsLng, gcjLat, gcjLng]. */
const VECTORS = [
  [31.1774276, 121.5272106, 31.17530398364597, 121.531541859215], // Shanghai
  [22.543847, 113.912316, 22.540796131694766, 113.9171764808363], // Shenzhen
  [39.911954, 116.377817, 39.91334545536069, 116.38404722455657], // Beijing
];

/** Metres between two [lon, lat] points (equirectangular: fine at these distances). */
const metres = (a: number[], b: number[]) => {
  const k = (Math.PI / 180) * 6378137;
  return Math.hypot((a[0] - b[0]) * k * Math.cos((a[1] * Math.PI) / 180), (a[1] - b[1]) * k);
};

describe('GCJ-02', () => {
  it('forward matches the published vectors bit for bit', () => {
    for (const [wLat, wLng, gLat, gLng] of VECTORS) assert.deepEqual(wgs84ToGcj02(wLng, wLat), [gLng, gLat]);
  });

  it('the shift is the familiar few hundred metres (Beijing ≈ 570 m)', () => {
    const d = metres(wgs84ToGcj02(116.391226, 39.907333), [116.391226, 39.907333]);
    assert.ok(d > 400 && d < 700, `${d} m`);
  });

  it('inverse recovers the published WGS84 points to < 1e-6 m', () => {
    for (const [wLat, wLng, gLat, gLng] of VECTORS) assert.ok(metres(gcj02ToWgs84(gLng, gLat), [wLng, wLat]) < 1e-6);
  });

  it('round trips anywhere in China to < 1e-6 m, both ways', () => {
    fc.assert(fc.property(fc.double({ min: 73, max: 135, noNaN: true }), fc.double({ min: 4, max: 53, noNaN: true }), (lon, lat) => {
      const back = wgs84ToGcj02(...gcj02ToWgs84(lon, lat));
      const there = gcj02ToWgs84(...wgs84ToGcj02(lon, lat));
      return metres(back, [lon, lat]) < 1e-6 && metres(there, [lon, lat]) < 1e-6;
    }), { numRuns: 2000 });
  });

  it('is the identity outside China, as every implementation is', () => {
    for (const p of [[-0.1276, 51.5072], [139.6917, 35.6895], [-74.006, 40.7128], [151.2093, -33.8688]]) {
      assert.equal(outOfChina(p[0], p[1]), true);
      assert.deepEqual(wgs84ToGcj02(p[0], p[1]), p);
      assert.deepEqual(gcj02ToWgs84(p[0], p[1]), p);
    }
    assert.equal(outOfChina(116.4, 39.9), false);
  });
});
