/**
 * lib/ingest/events: records from each provider's sample upload event → the ingest pipeline,
 * with cloud locations mapped to a local HTTP origin through the `open` option (no cloud here).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ossRecords } from '../adapters/aliyun-fc.ts';
import { s3Records } from '../adapters/aws-lambda.ts';
import { handleObjectEvents, ObjectEventsError, throwOnFailures, type ObjectRecord } from '../lib/ingest/events.ts';
import { cosRecords } from '../adapters/tencent-scf.ts';
import type { Catalog } from '../lib/catalog/catalog.ts';
import { openCatalog } from '../lib/catalog/open.ts';
import { compilePattern, compileRegex } from '../lib/ingest/pattern.ts';
import { openSource } from '../lib/source/location.ts';
import { Origin } from './api-harness.ts';
import { fixturePath } from './helpers.ts';

const sample = (path: string): unknown => JSON.parse(readFileSync(new URL(`events/${path}`, import.meta.url), 'utf8'));
const COG = 'u8-deflate-mask-4326.tif';

describe('lib/ingest/events', () => {
  const origin = new Origin();
  let dir: string;
  /** s3://bucket/key (and oss://, cos://) → the origin's /bucket/key, key percent-encoded. */
  const open = (location: string) => {
    const m = /^[a-z0-9]+:\/\/([^/]+)\/(.+)$/.exec(location)!;
    return openSource(`${origin.url}/${m[1]}/${m[2].split('/').map(encodeURIComponent).join('/')}`, { retry: false });
  };
  const originPath = (bucket: string, key: string) => `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  const newCatalog = async (name: string, keys: string[]): Promise<Catalog> => {
    const catalog = await openCatalog(`sqlite:${join(dir, `${name}.db`)}`);
    await catalog.create(keys.map((k) => ({ name: k })));
    return catalog;
  };
  before(async () => {
    await origin.start();
    dir = await mkdtemp(join(tmpdir(), 'taoguan-events-'));
  });
  after(async () => {
    await origin.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("ingests each provider's sample upload record", async () => {
    const catalog = await newCatalog('samples', ['name']);
    await origin.put(originPath('sourcebucket', 'Happy Face.jpg'), COG);
    await origin.put(originPath('testbucket', 'image/a.jpg'), COG);
    await origin.put(originPath('testpic-1253970026', 'testfile'), COG);
    const records = [...s3Records(sample('aws/s3-event-with-decoded.json') as never), ...ossRecords(readFileSync(new URL('events/aliyun/oss-event.json', import.meta.url))), ...cosRecords(sample('tencent/cos-event.json') as never)];
    const pattern = compileRegex('', '(?:s3|oss|cos)://[^/]+/(?:.*/)?(?<name>[^/.]+)(?:\\.[a-z]+)?');
    const results = await handleObjectEvents(records, { catalog, pattern, open });
    assert.deepEqual(results.map((r) => [r.status, r.keys]), [['inserted', ['Happy Face']], ['inserted', ['a']], ['inserted', ['testfile']]]);
    assert.equal((await catalog.get(['testfile']))?.location, 'cos://testpic-1253970026/testfile');
    await catalog.close();
  });

  it("a record whose CRS needs an approximated datum shift is ingested, its message saying so", async () => {
    const catalog = await newCatalog('datum', ['name']);
    const file = join(dir, 'bng.tif');
    execFileSync('gdal_translate', ['-q', '-of', 'COG', '-a_srs', 'EPSG:27700', '-a_ullr', '520000', '190000', '540000', '170000', fixturePath('u8-packbits-tiled-3857.tif'), file]);
    origin.objects.set(originPath('data', 'bng.tif'), { bytes: readFileSync(file), etag: '"bng-v1"' });
    const results = await handleObjectEvents([{ action: 'put', location: 's3://data/bng.tif' }], { catalog, pattern: compilePattern('s3://data/{name}.tif'), open });
    assert.equal(results[0].status, 'inserted');
    assert.match(results[0].message ?? '', /^EPSG:27700 \(OSGB36 \/ British National Grid\): PROJ shifts its datum with the grid OSTN15_NTv2_OSGBtoETRS\.gsb; taoguan uses the EPSG Helmert transformation/);
    assert.match((await catalog.get(['bng']))!.header.crs!.proj4!, /\+datum=OSGB36/);
    await catalog.close();
  });

  it('is idempotent, skips non-matching keys, and follows the bucket when events arrive out of order', async () => {
    const catalog = await newCatalog('order', ['sensor', 'date', 'band']);
    const pattern = compilePattern('s3://data/{sensor}/{date}_{band}.tif');
    const handle = (...records: ObjectRecord[]) => handleObjectEvents(records, { catalog, pattern, open }).then((rs) => rs.map((r) => r.status));
    const a = 's3://data/S2/2024-01-15_B04.tif';
    await origin.put('/data/S2/2024-01-15_B04.tif', COG);
    // A delete delivered before its create, while the object exists: the bucket wins, so it is ingested.
    assert.deepEqual(await handle({ action: 'delete', location: a }, { action: 'put', location: a }, { action: 'put', location: a }), ['inserted', 'unchanged', 'unchanged']);
    assert.deepEqual(await handle({ action: 'put', location: 's3://data/readme.txt' }), ['skipped']);
    // A put for an object deleted since: absent, not a failure.
    assert.deepEqual(await handle({ action: 'put', location: 's3://data/S2/2024-01-16_B04.tif' }), ['absent']);
    origin.objects.delete('/data/S2/2024-01-15_B04.tif');
    assert.deepEqual(await handle({ action: 'delete', location: a }, { action: 'delete', location: a }), ['deleted', 'absent']);
    assert.equal(await catalog.get(['S2', '2024-01-15', 'B04']), undefined);
    // The late put of the deleted object leaves the catalog as the bucket is.
    assert.deepEqual(await handle({ action: 'put', location: a }), ['absent']);
    assert.equal(await catalog.count(), 0);
    await catalog.close();
  });

  it('reports failures per record, then throws once so the platform retries', async () => {
    const catalog = await newCatalog('fail', ['sensor', 'date', 'band']);
    const pattern = compilePattern('s3://data/{sensor}/{date}_{band}.tif');
    await origin.put('/data/L8/2023-06-01_B04.tif', COG);
    await origin.put('/data/L8/2023-06-01_B05.tif', COG);
    origin.failing.set('/data/L8/2023-06-01_B05.tif', 500);
    const results = await handleObjectEvents([
      { action: 'put', location: 's3://data/L8/2023-06-01_B05.tif' },
      { action: 'put', location: 's3://data/L8/2023-06-01_B04.tif' },
    ], { catalog, pattern, open });
    assert.deepEqual(results.map((r) => r.status), ['failed', 'inserted']);
    assert.throws(() => throwOnFailures(results), (e: unknown) => e instanceof ObjectEventsError && /1 of 2 .*B05/.test(e.message));
    assert.equal(throwOnFailures(results.slice(1)).length, 1);
    await assert.rejects(handleObjectEvents([], { catalog, pattern: compilePattern('s3://data/{sensor}.tif'), open }), /pattern names keys sensor but the catalog has sensor, date, band/);
    await catalog.close();
  });

  it('a record that can never succeed fails alone and is not retried; only a transient failure throws, after the whole batch ran', async () => {
    const catalog = await newCatalog('permanent', ['name']);
    const pattern = compilePattern('s3://data/{name}.tif');
    await origin.put('/data/good.tif', COG);
    await origin.put('/data/flaky.tif', COG);
    await origin.put('/data/striped.tif', 'u8-lzw-p2-ovr-notcog-3857.tif');
    origin.failing.set('/data/flaky.tif', 503);
    // The AWS sample notification with its key replaced, as S3 sends keys: form-encoded.
    const template = (sample('aws/s3-event-with-decoded.json') as { Records: { s3: { bucket: object; object: object } }[] }).Records[0];
    const event = { Records: ['good.tif', 'bad%zz.tif', 'striped.tif', 'flaky.tif', 'readme.txt', 'a%01b.tif'].map((key) => ({ ...template, s3: { ...template.s3, bucket: { name: 'data' }, object: { ...template.s3.object, key } } })) };
    /** One invocation: every record handled, then what the function would throw to be retried. */
    const run = async () => {
      const results = await handleObjectEvents(s3Records(event as never), { catalog, pattern, open });
      let thrown: unknown;
      try {
        throwOnFailures(results);
      } catch (e) {
        thrown = e;
      }
      return { statuses: results.map((r) => r.status), thrown, results };
    };
    const first = await run();
    assert.deepEqual(first.statuses, ['inserted', 'invalid', 'invalid', 'failed', 'skipped', 'invalid']);
    assert.match(first.results[1].message ?? '', /object key "bad%zz\.tif" is not valid percent-encoding/);
    assert.match(first.results[2].message ?? '', /not a valid Cloud Optimized GeoTIFF/);
    assert.match(first.results[5].message ?? '', /key "name": value contains control characters/);
    assert.ok(first.thrown instanceof ObjectEventsError && /^1 of 6 object event\(s\) failed: s3:\/\/data\/flaky\.tif$/.test(first.thrown.message), String(first.thrown));
    // The platform's retry, once the store is back: finished records are no-ops, the flaky one lands.
    origin.failing.clear();
    const retried = await run();
    assert.deepEqual(retried.statuses, ['unchanged', 'invalid', 'invalid', 'inserted', 'skipped', 'invalid']);
    assert.equal(retried.thrown, undefined);
    assert.equal(await catalog.count(), 2);
    await catalog.close();
  });
});
