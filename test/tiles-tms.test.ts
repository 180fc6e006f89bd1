import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  GCJ02WebMercatorQuad, matrixSize, MAX_TILE_SIZE, MAX_ZOOM, tileBounds, tileMatrixSet, tileTransform,
  validateTile, validateTileSize, WEB_MERCATOR_HALF, WebMercatorQuad, WGS1984Quad,
} from '../lib/grids/tms.ts';

const near = (a: number[], b: number[], tol = 1e-6) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= tol, `${a} vs ${b}`));

describe('tile matrix sets', () => {
  it('WebMercatorQuad: z0 is the whole square world, z1 quarters it', () => {
    near(tileBounds(WebMercatorQuad, 0, 0, 0), [-WEB_MERCATOR_HALF, -WEB_MERCATOR_HALF, WEB_MERCATOR_HALF, WEB_MERCATOR_HALF]);
    near(tileBounds(WebMercatorQuad, 1, 0, 0), [-WEB_MERCATOR_HALF, 0, 0, WEB_MERCATOR_HALF]);
    near(tileBounds(WebMercatorQuad, 1, 1, 1), [0, -WEB_MERCATOR_HALF, WEB_MERCATOR_HALF, 0]);
  });

  it('WebMercatorQuad: a known Beijing tile', () => {
    // z10 843/388 covers 116.3671875–116.71875°E, 39.639538–39.909736°N (gdaltransform to EPSG:3857)
    near(tileBounds(WebMercatorQuad, 10, 843, 388), [12953936.058, 4813698.293, 12993071.816, 4852834.052], 1e-3);
  });

  it('WGS1984Quad: 2×1 tiles of 180° at z0 (OGC TMS 2.0), [lon, lat] order', () => {
    assert.deepEqual(matrixSize(WGS1984Quad, 0), [2, 1]);
    assert.deepEqual(matrixSize(WGS1984Quad, 3), [16, 8]);
    assert.deepEqual(tileBounds(WGS1984Quad, 0, 0, 0), [-180, -90, 0, 90]);
    assert.deepEqual(tileBounds(WGS1984Quad, 0, 1, 0), [0, -90, 180, 90]);
    assert.deepEqual(tileBounds(WGS1984Quad, 2, 6, 1), [90, 0, 135, 45]);
  });

  it('GCJ02WebMercatorQuad has Web Mercator numbers (its coordinates are shifted, not its grid)', () => {
    assert.deepEqual(tileBounds(GCJ02WebMercatorQuad, 12, 3372, 1552), tileBounds(WebMercatorQuad, 12, 3372, 1552));
    assert.equal(GCJ02WebMercatorQuad.gcj02, true);
  });

  it('neighbouring tiles share their edges exactly', () => {
    for (const tms of [WebMercatorQuad, WGS1984Quad]) {
      const a = tileBounds(tms, 17, 100001, 20001), right = tileBounds(tms, 17, 100002, 20001), below = tileBounds(tms, 17, 100001, 20002);
      assert.equal(a[2], right[0]);
      assert.equal(a[1], below[3]);
    }
  });

  it('tileTransform maps pixel corners onto the tile bounds', () => {
    const [minX, minY, maxX, maxY] = tileBounds(WebMercatorQuad, 14, 13489, 6208);
    const gt = tileTransform(WebMercatorQuad, 14, 13489, 6208, 512);
    assert.equal(gt[0], minX);
    assert.equal(gt[3], maxY);
    near([gt[0] + 512 * gt[1], gt[3] + 512 * gt[5]], [maxX, minY], 1e-6);
    assert.equal(gt[2], 0);
    assert.equal(gt[4], 0);
  });

  it('rejects bad tiles with a message that names the coordinate', () => {
    assert.throws(() => validateTile(WebMercatorQuad, 4, 99, 0), { name: 'InputError', message: 'x 99 is outside 0..15 at zoom 4' });
    assert.throws(() => validateTile(WebMercatorQuad, 4, 0, 16), { message: 'y 16 is outside 0..15 at zoom 4' });
    assert.throws(() => validateTile(WGS1984Quad, 0, 2, 0), { message: 'x 2 is outside 0..1 at zoom 0' });
    assert.throws(() => validateTile(WebMercatorQuad, MAX_ZOOM + 1, 0, 0), { message: `zoom ${MAX_ZOOM + 1} is outside 0..${MAX_ZOOM}` });
    assert.throws(() => validateTile(WebMercatorQuad, -1, 0, 0), /zoom -1 is outside/);
    assert.throws(() => validateTile(WebMercatorQuad, 1.5, 0, 0), /zoom 1.5 is not an integer/);
    assert.throws(() => validateTile(WebMercatorQuad, 3, 0.5, 0), /x 0.5 is not an integer/);
    assert.throws(() => validateTile(WebMercatorQuad, 3, 0, NaN), /y NaN is not an integer/);
    assert.doesNotThrow(() => validateTile(WebMercatorQuad, MAX_ZOOM, 2 ** MAX_ZOOM - 1, 0));
  });

  it('bounds the tile size', () => {
    assert.doesNotThrow(() => validateTileSize(1));
    assert.doesNotThrow(() => validateTileSize(MAX_TILE_SIZE));
    for (const bad of [0, MAX_TILE_SIZE + 1, 256.5, -256, NaN]) assert.throws(() => validateTileSize(bad), /tile size .* is outside 1\.\.2048/);
  });

  it('looks grids up by id', () => {
    assert.equal(tileMatrixSet('WGS1984Quad'), WGS1984Quad);
    assert.throws(() => tileMatrixSet('GoogleMapsCompatible'), /unknown tile matrix set "GoogleMapsCompatible" \(known: WebMercatorQuad, WGS1984Quad, GCJ02WebMercatorQuad, CGCS2000Quad\)/);
  });
});
