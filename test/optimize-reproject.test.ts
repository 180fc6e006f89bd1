/**
 * optimize --reproject against gdalwarp: the same output grid (GDALSuggestedWarpOutput2), the same
 * pixels with nearest, the same footprint (GDAL's -dstalpha vs our mask or nodata), and a COG whose
 * GeoKeys gdalinfo reads as the target EPSG code.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { optimize } from '../lib/optimize/index.ts';
import { resolveTarget, type WarpResampling } from '../lib/optimize/reproject.ts';
import { openSource } from '../lib/source/location.ts';
import { readHeader } from '../lib/tiff/parse.ts';
import { fixturePath } from './helpers.ts';
import { gdalinfo, gdalValidate, PY, run } from './optimize-gdal.ts';

const CLI = new URL('../bin/taoguan.mjs', import.meta.url).pathname;

interface Case { file: string; srs: string; resampling: WarpResampling; nodata: number | null }

const CASES: Case[] = [
  { file: 'f64-none-utm50.tif', srs: 'EPSG:3857', resampling: 'nearest', nodata: null }, // UTM, no nodata: a mask is added
  { file: 'i16-zstd-p2-nodata-4547.tif', srs: 'EPSG:3857', resampling: 'nearest', nodata: -9999 }, // CGCS2000 Gauss-Krüger, nodata kept
  { file: 'u8-deflate-p2-nodata0-4326.tif', srs: 'EPSG:3857', resampling: 'nearest', nodata: 0 }, // geographic source
  { file: 'u16-4band-deflate-p2-meta-utm50.tif', srs: 'EPSG:4326', resampling: 'nearest', nodata: null }, // 4 bands to geographic
  { file: 'f32-deflate-p3-nan-4490.tif', srs: 'EPSG:3857', resampling: 'bilinear', nodata: NaN },
  // targets from the EPSG database: EASE-Grid 2.0 (cylindrical equal-area), Equal Earth
  { file: 'f64-none-utm50.tif', srs: 'EPSG:6933', resampling: 'nearest', nodata: null },
  { file: 'u8-deflate-p2-nodata0-4326.tif', srs: 'EPSG:8857', resampling: 'nearest', nodata: 0 },
];

interface Comparison {
  ours: { size: [number, number]; gt: number[] };
  gdal: { size: [number, number]; gt: number[] };
  /** Pixels valid in ours, in GDAL's (its alpha), and where the two disagree. */
  valid: number; gdalValid: number; maskDiffer: number;
  /** Of our valid pixels, the fraction equal to GDAL's in every band (within 1e-6 relative for bilinear floats). */
  same: number;
}

/** gdalwarp of each input (with -dstalpha, so its footprint is known) compared with our output, in one Python run. */
async function compare(pairs: { ours: string; input: string; srs: string; resampling: string }[]): Promise<Comparison[]> {
  const code = `
import json, sys, numpy as np
from osgeo import gdal
gdal.UseExceptions()
out = []
for p in json.loads(sys.argv[1]):
    a = gdal.Open(p['ours'])
    g = gdal.Warp('', p['input'], format='MEM', dstSRS=p['srs'], resampleAlg='near' if p['resampling'] == 'nearest' else p['resampling'], dstAlpha=True)
    m = a.GetRasterBand(1).GetMaskBand().ReadAsArray() > 0
    gm = g.GetRasterBand(g.RasterCount).ReadAsArray() > 0
    same = np.ones(m.shape, bool)
    for b in range(a.RasterCount):
        x = a.GetRasterBand(b + 1).ReadAsArray().astype('float64'); y = g.GetRasterBand(b + 1).ReadAsArray().astype('float64')
        same &= (np.abs(x - y) <= 1e-6 * np.abs(y)) | (x == y) | (np.isnan(x) & np.isnan(y))
    out.append({
        'ours': {'size': [a.RasterXSize, a.RasterYSize], 'gt': list(a.GetGeoTransform())},
        'gdal': {'size': [g.RasterXSize, g.RasterYSize], 'gt': list(g.GetGeoTransform())},
        'valid': int(m.sum()), 'gdalValid': int(gm.sum()), 'maskDiffer': int((m != gm).sum()),
        'same': float((same & m).sum() / max(1, m.sum())),
    })
print(json.dumps(out))`;
  const { stdout } = await run(PY, ['-c', code, JSON.stringify(pairs)], { maxBuffer: 1 << 24 });
  return JSON.parse(stdout);
}

describe('optimize --reproject vs gdalwarp', () => {
  let dir: string;
  const outputs: string[] = [];
  let results: Comparison[];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taoguan-reproject-'));
    for (const c of CASES) {
      const out = join(dir, `${c.file}.${c.srs.replace(':', '')}.${c.resampling}.tif`);
      await optimize(fixturePath(c.file), out, { reproject: { srs: c.srs, resampling: c.resampling }, workers: 0 });
      outputs.push(out);
    }
    results = await compare(CASES.map((c, i) => ({ ours: outputs[i], input: fixturePath(c.file), srs: c.srs, resampling: c.resampling })));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  CASES.forEach((c, i) => {
    describe(`${c.file} → ${c.srs}, ${c.resampling}`, () => {
      it("gdalwarp's grid: same size, origin within 1e-6 of a pixel, pixel size within 1e-9 relative", () => {
        const r = results[i];
        assert.deepEqual(r.ours.size, r.gdal.size);
        const [o, g] = [r.ours.gt, r.gdal.gt];
        assert.equal(o[2], 0); assert.equal(o[4], 0);
        assert.ok(Math.abs(o[0] - g[0]) <= 1e-6 * Math.abs(g[1]), `origin x ${o[0]} vs ${g[0]}`);
        assert.ok(Math.abs(o[3] - g[3]) <= 1e-6 * Math.abs(g[5]), `origin y ${o[3]} vs ${g[3]}`);
        assert.ok(Math.abs(o[1] / g[1] - 1) < 1e-9 && Math.abs(o[5] / g[5] - 1) < 1e-9, `pixel size ${o[1]} vs ${g[1]}`);
      });

      it("the same footprint as GDAL's -dstalpha, and ≥ 99% of valid pixels identical", () => {
        const r = results[i];
        assert.ok(r.valid > 0.3 * r.ours.size[0] * r.ours.size[1], `${r.valid} valid pixels`);
        assert.ok(r.maskDiffer <= 0.001 * r.valid, `${r.maskDiffer} pixels valid in one output only`);
        assert.ok(r.same >= 0.99, `${(r.same * 100).toFixed(2)}% identical`);
      });

      it(`gdalinfo reads ${c.srs}, the nodata (or a mask), and GDAL's validator accepts it`, async () => {
        const info = await gdalinfo(outputs[i]) as { coordinateSystem: { wkt: string }; bands: { noDataValue?: number | string; mask?: { flags: string[] } }[] };
        const code = c.srs.split(':')[1];
        assert.match(info.coordinateSystem.wkt, new RegExp(`\\n    ID\\["EPSG",${code}\\]\\]$`));
        const band = info.bands[0];
        if (c.nodata === null) {
          assert.equal(band.noDataValue, undefined);
          assert.deepEqual(band.mask?.flags, ['PER_DATASET']);
        } else {
          assert.equal(Number.isNaN(c.nodata) ? band.noDataValue : Number(band.noDataValue), Number.isNaN(c.nodata) ? 'NaN' : c.nodata);
        }
        const errors = (await gdalValidate([outputs[i]]))[outputs[i]];
        assert.deepEqual(errors, []);
      });

      it('our own reader reads the target CRS and geotransform back', async () => {
        const source = openSource(outputs[i]);
        try {
          const { header } = await readHeader(source);
          assert.equal(header.crs?.epsg, Number(c.srs.split(':')[1]));
          assert.deepEqual(header.geotransform, results[i].ours.gt);
        } finally {
          await source.close?.();
        }
      });
    });
  });
});

describe('optimize --reproject of a source in a CRS from the EPSG database', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'taoguan-reproject-bng-')); });
  after(() => rm(dir, { recursive: true, force: true }));

  it('British National Grid → EPSG:3857: gdalwarp\'s grid and pixels, and the datum warning', async () => {
    const input = join(dir, 'bng.tif'), out = join(dir, 'bng-3857.tif');
    await run('gdal_translate', ['-q', '-of', 'COG', '-a_srs', 'EPSG:27700', '-a_ullr', '520000', '190000', '540000', '170000', fixturePath('f64-none-utm50.tif'), input]);
    const result = await optimize(input, out, { reproject: { srs: 'EPSG:3857' }, workers: 0 });
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0], /^EPSG:27700 \(OSGB36 \/ British National Grid\): PROJ shifts its datum with the grid OSTN15/);
    const [r] = await compare([{ ours: out, input, srs: 'EPSG:3857', resampling: 'nearest' }]);
    assert.deepEqual(r.ours.size, r.gdal.size);
    // proj4's Helmert and PROJ's agree to millimetres, not to the 1e-6 pixel of shift-free CRSs
    const [o, g] = [r.ours.gt, r.gdal.gt];
    assert.ok(Math.abs(o[0] - g[0]) <= 1e-3 * Math.abs(g[1]) && Math.abs(o[3] - g[3]) <= 1e-3 * Math.abs(g[5]), `origin ${o[0]}, ${o[3]} vs ${g[0]}, ${g[3]}`);
    assert.ok(Math.abs(o[1] / g[1] - 1) < 1e-6 && Math.abs(o[5] / g[5] - 1) < 1e-6, `pixel size ${o[1]} vs ${g[1]}`);
    assert.ok(r.maskDiffer <= 0.001 * r.valid, `${r.maskDiffer} pixels valid in one output only`);
    assert.ok(r.same >= 0.99, `${(r.same * 100).toFixed(2)}% identical`);
  });
});

describe('optimize --reproject: bad options', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'taoguan-reproject-cli-')); });
  after(() => rm(dir, { recursive: true, force: true }));

  it('an unknown target CRS is refused, naming it; any EPSG CRS is accepted', async () => {
    await assert.rejects(resolveTarget('EPSG:2000000'), /target CRS "EPSG:2000000": EPSG:2000000 cannot be used: EPSG:2000000 is not a projected or geographic CRS/);
    await assert.rejects(resolveTarget('EPSG:5703'), /target CRS "EPSG:5703"/); // a vertical CRS
    await assert.rejects(resolveTarget('mercator'), /target CRS "mercator"/);
    assert.equal((await resolveTarget('epsg:3857')).epsg, 3857);
    assert.equal((await resolveTarget('4326')).geographic, true);
    assert.match((await resolveTarget('EPSG:2193')).def, /^\+proj=tmerc .*\+lon_0=173 /);
    assert.match((await resolveTarget('EPSG:3413')).def, /^\+proj=stere .*\+lat_ts=70 /);
  });

  it('an unknown warp resampling is refused before writing', async () => {
    const out = join(dir, 'cubic.tif');
    await assert.rejects(optimize(fixturePath('f64-none-utm50.tif'), out, { reproject: { resampling: 'cubic' as WarpResampling }, workers: 0 }), /warp resampling "cubic"/);
    assert.equal(existsSync(out), false);
  });

  const cases: [string[], RegExp][] = [
    [['--t-srs', 'EPSG:9999'], /target CRS "EPSG:9999"/],
    [['--warp-resampling', 'bilinear'], /--warp-resampling needs --reproject or --t-srs/],
    [['--reproject', '--warp-resampling', 'cubic'], /--warp-resampling cubic: expected nearest, bilinear or average/],
  ];
  for (const [args, message] of cases) {
    it(`taoguan optimize ${args.join(' ')}: exit 1, says why, writes nothing`, async () => {
      const out = join(dir, args.join('_'));
      const r = await run(process.execPath, [CLI, 'optimize', fixturePath('f64-none-utm50.tif'), '-o', out, '--no-progress', ...args]).then(() => ({ code: 0, stderr: '' }), (e) => ({ code: e.code as number, stderr: e.stderr as string }));
      assert.equal(r.code, 1);
      assert.match(r.stderr, message);
      assert.equal(existsSync(out), false);
    });
  }

  it('taoguan optimize --reproject writes an EPSG:3857 COG', async () => {
    const out = join(dir, 'cli');
    await run(process.execPath, [CLI, 'optimize', fixturePath('f64-none-utm50.tif'), '-o', out, '--no-progress', '--reproject']);
    const info = await gdalinfo(join(out, 'f64-none-utm50.tif')) as { coordinateSystem: { wkt: string }; size: number[] };
    assert.match(info.coordinateSystem.wkt, /ID\["EPSG",3857\]\]$/);
    assert.deepEqual(info.size, [120, 101]);
  });
});
