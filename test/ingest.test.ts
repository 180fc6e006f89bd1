import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { openCatalog } from '../lib/catalog/open.ts';
import type { Catalog } from '../lib/catalog/catalog.ts';
import { compilePattern, compileRegex, ingest, ingestObject, planIngest } from '../lib/ingest/index.ts';
import { fixturePath } from './helpers.ts';

describe('key patterns', () => {
  it('parse values with _ and - when the pattern allows only one reading', () => {
    const p = compilePattern('data/{sensor}_{date}_{band}.tif');
    assert.deepEqual(p.keys, ['sensor', 'date', 'band']);
    assert.equal(p.prefix, 'data/');
    assert.deepEqual(p.match('data/S2_2024-01-15_B04.tif'), { sensor: 'S2', date: '2024-01-15', band: 'B04' });
    assert.equal(p.match('data/sub/S2_2024_B04.tif'), undefined, 'placeholders do not cross directories');
    assert.equal(p.match('data/S2.tif'), undefined);
    const q = compilePattern('s3://bucket/{region}/{date}/{band}.tif');
    assert.deepEqual(q.match('s3://bucket/hubei_wuhan/2024-01-15/B_04.tif'), { region: 'hubei_wuhan', date: '2024-01-15', band: 'B_04' });
  });

  it('refuse a name that parses more than one way, and say how to fix it', () => {
    const p = compilePattern('{sensor}_{date}_{band}.tif');
    assert.throws(() => p.match('S2_A_2024_B04.tif'), /more than one way.*--regex/);
  });

  it('take regexes with named groups after the prefix', () => {
    const p = compileRegex('s3://b/s2/', '(?<sensor>S2[AB])_(?<date>\\d{8})_(?<band>B\\d\\d)\\.tif');
    assert.deepEqual(p.match('s3://b/s2/S2A_20240115_B04.tif'), { sensor: 'S2A', date: '20240115', band: 'B04' });
    assert.equal(p.match('s3://b/s2/S2C_20240115_B04.tif'), undefined);
    assert.throws(() => compileRegex('x/', '[a-z]+'), /no named groups/);
    assert.throws(() => compileRegex('x/', '(?<a>['), /invalid regex/);
  });

  it('refuse patterns without keys, with bad key names, or with ..', () => {
    assert.throws(() => compilePattern('data/x.tif'), /names no keys/);
    assert.throws(() => compilePattern('data/{1st}.tif'), /not a valid key name/);
    assert.throws(() => compilePattern('data/{a}_{a}.tif'), /appears twice/);
    assert.throws(() => compilePattern('../secret/{a}.tif'), /"\.\." is not allowed/);
  });
});

describe('ingest into a SQLite catalog', () => {
  let dir = '';
  let catalog: Catalog;
  const files = {
    'S2_2024-01-15_B04.tif': 'u16-4band-deflate-p2-meta-utm50.tif',
    'S2_2024-01-15_B08.tif': 'i16-zstd-p2-nodata-4547.tif',
    'L8_2023-06-01_B04.tif': 'u8-deflate-mask-4326.tif',
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taoguan-ingest-'));
    await mkdir(join(dir, 'data'));
    for (const [name, src] of Object.entries(files)) await copyFile(fixturePath(src), join(dir, 'data', name));
    catalog = await openCatalog(`sqlite:${join(dir, 'catalog.db')}`);
    await catalog.create([{ name: 'sensor' }, { name: 'date' }, { name: 'band', description: 'spectral band' }]);
  });
  after(async () => {
    await catalog.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('ingests every match, and a second run changes nothing', async () => {
    const pattern = join(dir, 'data/{sensor}_{date}_{band}.tif');
    const first = await ingest(catalog, pattern);
    assert.deepEqual(first.counts, { inserted: 3, updated: 0, unchanged: 0 });
    assert.deepEqual(first.failures, []);
    const again = await ingest(catalog, pattern);
    assert.deepEqual(again.counts, { inserted: 0, updated: 0, unchanged: 3 });
    const rows = await catalog.list({ where: { date: '2024-01-15' } });
    assert.deepEqual(rows.map((r) => r.keys), [['S2', '2024-01-15', 'B04'], ['S2', '2024-01-15', 'B08']]);
  });

  it('updates a dataset whose object changed', async () => {
    const file = join(dir, 'data/L8_2023-06-01_B04.tif');
    await utimes(file, new Date(), new Date(Date.now() + 5000));
    assert.equal(await ingestObject(catalog, file, ['L8', '2023-06-01', 'B04']), 'updated');
  });

  it('stores metadata equal to numpy over the same pixels (exact mode)', async () => {
    const file = join(dir, 'data/S2_2024-01-15_B08.tif');
    await ingestObject(catalog, file, ['S2', '2024-01-15', 'B08'], { exact: true, force: true });
    const rec = (await catalog.get(['S2', '2024-01-15', 'B08']))!;
    const e = JSON.parse(execFileSync('/usr/bin/python3', ['-c', `
import json, numpy as np
from osgeo import gdal
ds = gdal.Open(${JSON.stringify(file)}); b = ds.GetRasterBand(1)
a = b.ReadAsArray().astype('float64'); v = a[b.GetMaskBand().ReadAsArray() > 0]
print(json.dumps({'min': v.min(), 'max': v.max(), 'mean': v.mean(), 'stdev': v.std(), 'p': np.percentile(v, range(1, 100)).tolist(),
  'valid': 100.0 * v.size / a.size, 'wgs84': gdal.Info(ds, format='json')['wgs84Extent']['coordinates'][0]}))`], { encoding: 'utf8' }));
    const m = rec.metadata;
    assert.equal(m.exact, true);
    for (const [a, b] of [[m.min, e.min], [m.max, e.max], [m.mean, e.mean], [m.stdev, e.stdev], [m.validPercent, e.valid]]) {
      assert.ok(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
    }
    m.percentiles.forEach((p, i) => assert.ok(Math.abs(p - e.p[i]) <= 1e-6 * Math.max(1, Math.abs(e.p[i])), `p${i + 1}: ${p} vs ${e.p[i]}`));
    // Bounds hold GDAL's WGS84 corners; the footprint ring is closed and inside the bounds.
    const [w, s, east, n] = m.bounds;
    for (const [lon, lat] of e.wgs84) assert.ok(lon >= w - 1e-6 && lon <= east + 1e-6 && lat >= s - 1e-6 && lat <= n + 1e-6);
    const ring = (m.footprint.coordinates as number[][][])[0];
    assert.ok(ring.length >= 4);
    assert.deepEqual(ring[0], ring.at(-1));
    for (const [lon, lat] of ring) assert.ok(lon >= w - 1e-6 && lon <= east + 1e-6 && lat >= s - 1e-6 && lat <= n + 1e-6);
  });

  it('overview-mode metadata stays within a stated tolerance of the exact one', async () => {
    const file = join(dir, 'data/S2_2024-01-15_B04.tif');
    await ingestObject(catalog, file, ['S2', '2024-01-15', 'B04'], { exact: true, force: true });
    const exact = (await catalog.get(['S2', '2024-01-15', 'B04']))!.metadata;
    // The fixture is small, so force the overview path with the smallest level.
    const { computeMetadata } = await import('../lib/ingest/metadata.ts');
    const { readHeader } = await import('../lib/tiff/index.ts');
    const { MemorySource } = await import('./helpers.ts');
    const src = await MemorySource.fromFile(file);
    const { header } = await readHeader(src);
    const approx = await computeMetadata(header, src, {});
    const range = exact.max - exact.min;
    for (const i of [1, 49, 97]) assert.ok(Math.abs(approx.percentiles[i] - exact.percentiles[i]) <= 0.02 * range, `p${i + 1}`);
  });

  it('refuses a non-COG, a pattern matching nothing, and duplicate keys, writing nothing', async () => {
    const before = await catalog.count();
    await copyFile(fixturePath('u8-lzw-p2-ovr-notcog-3857.tif'), join(dir, 'data/X1_2020-01-01_B01.tif'));
    await assert.rejects(ingestObject(catalog, join(dir, 'data/X1_2020-01-01_B01.tif'), ['X1', '2020-01-01', 'B01']), /not a valid Cloud Optimized GeoTIFF.*taoguan optimize/);
    await assert.rejects(planIngest(['sensor', 'date', 'band'], join(dir, 'data/{sensor}-{date}-{band}.jpg')), /matches none/);
    await mkdir(join(dir, 'dup/a'), { recursive: true });
    await mkdir(join(dir, 'dup/b'), { recursive: true });
    await copyFile(fixturePath(files['S2_2024-01-15_B04.tif']), join(dir, 'dup/a/S2_d_B1.tif'));
    await copyFile(fixturePath(files['S2_2024-01-15_B04.tif']), join(dir, 'dup/b/S2_d_B1.tif'));
    await assert.rejects(planIngest(['sensor', 'date', 'band'], join(dir, 'dup/*/{sensor}_{date}_{band}.tif')), /both map to keys S2, d, B1/);
    await assert.rejects(planIngest(['sensor', 'date', 'band'], join(dir, 'data/{sensor}_{date}.tif')), /missing: band/);
    await assert.rejects(ingestObject(catalog, join(dir, 'data/S2_2024-01-15_B04.tif'), ['S2', '../..', 'B04']), /may not contain/);
    assert.equal(await catalog.count(), before);
  });

  it('the CLI creates, ingests past a bad file with exit code 1, and lists', async () => {
    const run = promisify(execFile);
    const bin = new URL('../bin/taoguan.mjs', import.meta.url).pathname;
    const uri = `sqlite:${join(dir, 'cli.db')}`;
    await run(process.execPath, [bin, 'catalog', 'create', uri, '--keys', 'sensor,date,band']);
    const res = await run(process.execPath, [bin, 'ingest', join(dir, 'data/{sensor}_{date}_{band}.tif'), '-c', uri]).catch((e) => e);
    assert.equal(res.code, 1, 'the non-COG makes the batch fail');
    assert.match(res.stdout, /4 object\(s\): 3 inserted, 0 updated, 0 unchanged, 1 failed/);
    assert.match(res.stderr, /X1_2020-01-01_B01\.tif: not a valid Cloud Optimized GeoTIFF/);
    const { stdout } = await run(process.execPath, [bin, 'catalog', 'list', uri, '--where', 'sensor=S2', '--json']);
    assert.deepEqual(JSON.parse(stdout).map((r: { keys: Record<string, string> }) => r.keys.band), ['B04', 'B08']);
    const info = await run(process.execPath, [bin, 'catalog', 'info', uri, '--json']);
    assert.equal(JSON.parse(info.stdout).datasets, 3);
  });
});
