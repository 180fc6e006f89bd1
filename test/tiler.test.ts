import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { decodePng } from '../lib/render/png-decode.ts';
import { stretchToIndices } from '../lib/render/stretch.ts';
import { readHeader } from '../lib/tiff/index.ts';
import { renderTile, type TileDataset } from '../lib/pipeline/index.ts';
import { tileBounds, WebMercatorQuad } from '../lib/grids/tms.ts';
import { fixturePath, MemorySource } from './helpers.ts';

const FILE = 'u16-4band-deflate-p2-meta-utm50.tif';
// Tiles over the fixture near Beijing: inside, at its edge, and far away.
const INSIDE = { z: 15, x: 26978, y: 12416 };
const EDGE = { z: 14, x: 13487, y: 6207 };

async function dataset(file = FILE): Promise<TileDataset> {
  const source = await MemorySource.fromFile(fixturePath(file));
  const { header, info } = await readHeader(source);
  return { header, source, etag: info.etag };
}

/** GDAL's warp of bands into the tile (gdalwarp -t_srs EPSG:3857 -te … -ts 256 256 -r near -dstalpha). */
function gdalTile(file: string, t: { z: number; x: number; y: number }, bands: number[]): { bands: Float64Array[]; alpha: Uint8Array } {
  const b = tileBounds(WebMercatorQuad, t.z, t.x, t.y);
  const out = execFileSync('/usr/bin/python3', ['-c', `
import sys, json, base64
from osgeo import gdal
import numpy as np
src = gdal.Translate('', sys.argv[1], format='VRT', bandList=json.loads(sys.argv[3]))
ds = gdal.Warp('', src, format='MEM', dstSRS='EPSG:3857', outputBounds=json.loads(sys.argv[2]), width=256, height=256, resampleAlg='near', dstAlpha=True)
n = ds.RasterCount
print(json.dumps({'bands': [base64.b64encode(ds.GetRasterBand(i + 1).ReadAsArray().astype('<f8').tobytes()).decode() for i in range(n - 1)],
  'alpha': base64.b64encode(ds.GetRasterBand(n).ReadAsArray().astype('u1').tobytes()).decode()}))`,
  fixturePath(file), JSON.stringify(b), JSON.stringify(bands)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const j = JSON.parse(out);
  const f64 = (s: string) => { const buf = Buffer.from(s, 'base64'); return new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length)); };
  return { bands: j.bands.map(f64), alpha: new Uint8Array(Buffer.from(j.alpha, 'base64')) };
}

describe('renderTile', () => {
  it('singleband: the PNG decodes to GDAL\'s warped values through the stretch, transparent exactly where GDAL has no data', async () => {
    const ds = await dataset();
    for (const t of [INSIDE, EDGE]) {
      const tile = await renderTile({ ...t, inputs: [{ dataset: ds, band: 0 }], style: { kind: 'singleband', stretch: [900, 2600], colormap: 'viridis' } });
      assert.equal(tile.contentType, 'image/png');
      const png = decodePng(tile.bytes);
      assert.equal(png.width, 256);
      const g = gdalTile(FILE, t, [1]);
      const expected = stretchToIndices(g.bands[0], g.alpha, 900, 2600);
      let same = 0, valid = 0;
      for (let i = 0; i < 256 * 256; i++) {
        assert.equal(png.rgba[i * 4 + 3] === 0, g.alpha[i] === 0, `pixel ${i}: transparency differs from GDAL's`);
        if (g.alpha[i]) { valid++; if (png.indices![i] === expected[i]) same++; }
      }
      assert.ok(valid > 0, 'the tile has data');
      assert.ok(same / valid >= 0.99, `${same}/${valid} identical`);
    }
  });

  it('rgb from three bands of one dataset, and compute, match GDAL + numpy', async () => {
    const ds = await dataset();
    const g = gdalTile(FILE, INSIDE, [3, 2, 1, 4]);
    const rgb = decodePng((await renderTile({ ...INSIDE, inputs: [2, 1, 0].map((band) => ({ dataset: ds, band })), style: { kind: 'rgb', ranges: [[0, 4000], [0, 4000], [0, 4000]] } })).bytes);
    const r = stretchToIndices(g.bands[0], g.alpha, 0, 4000);
    let same = 0;
    for (let i = 0; i < 65536; i++) if (rgb.rgba[i * 4] === r[i]) same++;
    assert.ok(same / 65536 >= 0.99, `red channel ${same}/65536`);

    const ndvi = decodePng((await renderTile({
      ...INSIDE, inputs: [0, 1, 2, 3].map((band) => ({ dataset: ds, band })),
      style: { kind: 'compute', expression: '(v4 - v3) / (v4 + v3)', stretch: [-1, 1], colormap: 'RdYlGn' },
    })).bytes);
    const [red, nir] = [g.bands[0], g.bands[3]];
    const values = new Float32Array(65536).map((_, i) => (nir[i] - red[i]) / (nir[i] + red[i]));
    const expected = stretchToIndices(values, g.alpha, -1, 1);
    let same2 = 0;
    for (let i = 0; i < 65536; i++) if (ndvi.indices![i] === expected[i]) same2++;
    assert.ok(same2 / 65536 >= 0.99, `ndvi ${same2}/65536`);
  });

  it('a tile outside the dataset is a transparent PNG of the requested size, read with no I/O', async () => {
    const ds = await dataset();
    const before = (ds.source as MemorySource).reads.length;
    const tile = await renderTile({ z: 10, x: 10, y: 10, tileSize: 512, inputs: [{ dataset: ds }], style: { kind: 'singleband', stretch: [0, 1] } });
    assert.equal(tile.empty, true);
    const png = decodePng(tile.bytes);
    assert.equal(png.width, 512);
    assert.ok(png.rgba.every((v, i) => i % 4 !== 3 || v === 0));
    assert.equal((ds.source as MemorySource).reads.length, before);
  });

  it('tile_size 512 renders; bad sizes, hostile expressions and JPEG singleband are refused clearly', async () => {
    const ds = await dataset();
    const big = await renderTile({ ...INSIDE, tileSize: 512, inputs: [{ dataset: ds }], style: { kind: 'singleband', stretch: [0, 3000] } });
    assert.equal(decodePng(big.bytes).width, 512);
    await assert.rejects(renderTile({ ...INSIDE, tileSize: 4096, inputs: [{ dataset: ds }], style: { kind: 'singleband', stretch: [0, 1] } }), /tile size|2048/);
    for (const expression of ['process.exit()', 'v1.constructor', '(' .repeat(5000)]) {
      await assert.rejects(renderTile({ ...INSIDE, inputs: [{ dataset: ds }], style: { kind: 'compute', expression, stretch: [0, 1] } }),
        (e: Error & { parameter?: string }) => e.parameter === 'expression' && /^expression: /.test(e.message));
    }
    await assert.rejects(renderTile({ ...INSIDE, inputs: [{ dataset: ds }], style: { kind: 'singleband', stretch: ['p2', 'p98'] } }), /statistics/);
    await assert.rejects(renderTile({ ...INSIDE, format: 'jpeg', inputs: [{ dataset: ds }], style: { kind: 'singleband', stretch: [0, 1] } }), /JPEG output is for rgb/);
    await assert.rejects(renderTile({ z: 3, x: 99, y: 0, inputs: [{ dataset: ds }], style: { kind: 'singleband', stretch: [0, 1] } }), /x 99 is outside/);
  });

  it('an RGB of three bands of one COG fetches its blocks once', async () => {
    const ds = await dataset();
    const source = ds.source as MemorySource;
    await renderTile({ ...INSIDE, inputs: [{ dataset: ds, band: 0 }], style: { kind: 'singleband', stretch: [0, 1] } });
    const single = source.reads.length;
    await renderTile({ ...INSIDE, inputs: [2, 1, 0].map((band) => ({ dataset: ds, band })), style: { kind: 'rgb', ranges: [[0, 1], [0, 1], [0, 1]] } });
    assert.equal(source.reads.length - single, single - 1, 'same reads as one band (the header read aside)');
  });
});
