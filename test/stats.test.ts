import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { computeStats, statsLevel } from '../lib/raster/stats.ts';
import { readHeader } from '../lib/tiff/index.ts';
import { fixturePath, fixtures, MemorySource } from './helpers.ts';

/** numpy's statistics of band 1's valid pixels at a level, computed by GDAL + numpy independently. */
function numpyStats(file: string, level: number) {
  const script = `
import json, sys, numpy as np
from osgeo import gdal
ds = gdal.Open(sys.argv[1]); b = ds.GetRasterBand(1)
lv = b if int(sys.argv[2]) == 0 else b.GetOverview(int(sys.argv[2]) - 1)
a = lv.ReadAsArray().astype('float64'); m = lv.GetMaskBand().ReadAsArray() > 0
v = a[m & np.isfinite(a)]
print(json.dumps({'min': v.min(), 'max': v.max(), 'mean': v.mean(), 'stdev': v.std(),
  'percentiles': np.percentile(v, range(1, 100)).tolist(), 'valid': 100.0 * v.size / a.size}))`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, file, String(level)], { encoding: 'utf8' }));
}

describe('dataset statistics equal numpy over the same pixels', () => {
  for (const name of ['i16-zstd-p2-nodata-4547.tif', 'f32-deflate-p3-nan-4490.tif', 'u8-deflate-mask-4326.tif', 'u16-4band-deflate-p2-meta-utm50.tif']) {
    const f = fixtures.find((x) => x.file === name);
    if (!f) continue;
    it(`${name}, exact and from an overview`, async () => {
      const source = await MemorySource.fromFile(fixturePath(f.file));
      const { header } = await readHeader(source);
      for (const [exact, minSize] of [[true, 1024], [false, 100]] as const) {
        const s = await computeStats(header, source, { exact, minSize });
        assert.equal(s.level, statsLevel(header, minSize, exact));
        const e = numpyStats(fixturePath(f.file), s.level);
        const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)), `${what}: ${a} vs numpy ${b}`);
        close(s.min, e.min, 'min');
        close(s.max, e.max, 'max');
        close(s.mean, e.mean, 'mean');
        close(s.stdev, e.stdev, 'stdev');
        close(s.validPercent, e.valid, 'valid %');
        s.percentiles.forEach((p, i) => close(p, e.percentiles[i], `p${i + 1}`));
      }
    });
  }
});
