/**
 * Round trip: every fixture type optimized, then read back by our reader and by GDAL, must hold the
 * input's exact values, mask, georeferencing and metadata; GDAL's validator must accept each output.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EncodePool, optimize } from '../lib/optimize/index.ts';
import { validateCog } from '../lib/tiff/cog.ts';
import { fixturePath, fixtures } from './helpers.ts';
import { gdalinfo, gdalRead, gdalValidate, readFull } from './optimize-gdal.ts';

/** What gdalinfo says that must survive optimizing (not the structure, which is meant to change). */
function essentials(info: Record<string, unknown>) {
  const bands = (info.bands as Record<string, unknown>[]).map((b) => ({
    type: b.type, noDataValue: b.noDataValue, description: b.description, scale: b.scale, offset: b.offset,
    colorInterpretation: b.colorInterpretation, checksum: b.checksum, metadata: b.metadata,
    mask: (b.mask as { flags: string[] } | undefined)?.flags,
  }));
  return {
    size: info.size, geoTransform: info.geoTransform,
    wkt: (info.coordinateSystem as { wkt: string } | undefined)?.wkt,
    metadata: (info.metadata as Record<string, unknown>)[''], bands,
  };
}

describe('optimize round trip', () => {
  let dir: string;
  let pool: EncodePool;
  const outputs: Record<string, string> = {};
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taoguan-optimize-'));
    pool = new EncodePool(2);
    for (const f of fixtures) {
      outputs[f.file] = join(dir, f.file);
      await optimize(fixturePath(f.file), outputs[f.file], { tileSize: 256, workers: pool });
    }
  });
  after(async () => {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("GDAL's validator accepts every output, with no errors", async () => {
    const result = await gdalValidate(Object.values(outputs));
    for (const [file, errors] of Object.entries(result)) assert.deepEqual(errors, [], file);
  });

  for (const f of fixtures) {
    it(`${f.file}: values, mask and header survive`, async () => {
      const input = await readFull(fixturePath(f.file));
      const output = await readFull(outputs[f.file]);
      assert.equal(validateCog(output.header).isCog, true);
      assert.equal(output.header.ghost?.LAYOUT, 'IFDS_BEFORE_DATA');
      assert.equal(output.header.dtype, input.header.dtype);
      assert.deepEqual(output.header.geotransform, input.header.geotransform);
      assert.deepEqual(output.header.crs, input.header.crs);
      assert.deepEqual(output.header.metadata, input.header.metadata);
      assert.deepEqual(output.header.bands, input.header.bands);
      assert.equal(String(output.header.nodata), String(input.header.nodata));
      assert.equal(Boolean(output.header.levels[0].mask), f.mask);
      assert.ok(output.header.levels.at(-1)!.image.width <= 256 && output.header.levels.at(-1)!.image.height <= 256);
      input.win.bands.forEach((band, b) => assert.deepEqual(output.win.bands[b], band, `band ${b + 1}`));
      assert.deepEqual(output.win.mask, input.win.mask, 'mask');

      // GDAL reads our output's pixels as exactly what we read from the input.
      const [gdal] = await gdalRead([{ file: outputs[f.file], level: 0, width: f.width, height: f.height }]);
      input.win.bands.forEach((band, b) => {
        const bytes = Buffer.from(gdal.bands[b], 'base64');
        assert.deepEqual(Buffer.from(bytes), Buffer.from(band.buffer, band.byteOffset, band.byteLength), `GDAL band ${b + 1}`);
      });
      if (!f.lossy) {
        // Lossless inputs: gdalinfo of input and output agree on everything but the structure.
        const [a, b] = await Promise.all([gdalinfo(fixturePath(f.file)), gdalinfo(outputs[f.file])]);
        assert.deepEqual(essentials(b), essentials(a));
      }
    });
  }
});
