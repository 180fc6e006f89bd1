/**
 * Ingest faults, with real S3 notifications (the AWS sample, re-aimed) against a local S3-compatible
 * server: duplicates, deletes before creates, late creates after deletes, and objects replaced or
 * deleted while being ingested. Whatever the order, the catalog must end as the bucket is.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { s3Records } from '../adapters/aws-lambda.ts';
import { handleObjectEvents } from '../lib/ingest/events.ts';
import { ingestConfig } from '../functions/config.ts';
import { runIngest, setCredentials } from '../functions/runtime.ts';
import type { Catalog } from '../lib/catalog/catalog.ts';
import { openCatalog } from '../lib/catalog/open.ts';
import { compilePattern } from '../lib/ingest/pattern.ts';
import { openSource } from '../lib/source/location.ts';
import { closeS3Clients } from '../lib/source/s3.ts';
import type { Source } from '../lib/source/source.ts';
import { LocalS3, S3RVER_CREDENTIALS, s3Event } from './ingest-harness.ts';

const A = 'u8-deflate-mask-4326.tif', B = 'u8-deflate-p2-nodata0-4326.tif';
const CREATED = 'ObjectCreated:Put', REMOVED = 'ObjectRemoved:Delete';
const pattern = compilePattern('s3://data/{sensor}/{date}_{band}.tif');

describe('ingest faults: the catalog ends as the bucket is', () => {
  const s3 = new LocalS3();
  let n = 0;
  const newCatalog = async (): Promise<Catalog> => {
    const catalog = await openCatalog(`sqlite:${join(s3.dir, `catalog-${n++}.db`)}`);
    await catalog.create([{ name: 'sensor' }, { name: 'date' }, { name: 'band' }]);
    return catalog;
  };
  /** One event through the AWS adapter and the shared handler; returns each record's status. */
  const deliver = async (catalog: Catalog, events: [string, string][], open?: (location: string) => Source) => {
    const records = s3Records(s3Event(...events.map(([name, key]) => [name, 'data', key] as [string, string, string])));
    const results = await handleObjectEvents(records, { catalog, pattern, openOptions: s3.options, open });
    return results.map((r) => (r.status === 'failed' ? `failed: ${r.message}` : r.status));
  };
  const etagOf = async (key: string) => (await openSource(`s3://data/${key}`, s3.options).head()).etag;

  before(() => s3.start(['data']));
  after(async () => {
    await closeS3Clients();
    await s3.stop();
  });

  it('the same create twice: inserted once, then unchanged', async () => {
    const catalog = await newCatalog();
    await s3.put('data', 'S2/2024-01-15_B04.tif', A);
    assert.deepEqual(await deliver(catalog, [[CREATED, 'S2/2024-01-15_B04.tif'], [CREATED, 'S2/2024-01-15_B04.tif']]), ['inserted', 'unchanged']);
    assert.equal(await catalog.count(), 1);
    await catalog.close();
  });

  it('out of order: a delete before its create, an old create after a newer delete', async () => {
    const catalog = await newCatalog();
    const key = 'S2/2024-02-01_B04.tif';
    await s3.put('data', key, A);
    // Upload, delete, upload again; the events arrive delete first: the object is there, so it is ingested.
    assert.deepEqual(await deliver(catalog, [[REMOVED, key], [CREATED, key], [CREATED, key]]), ['inserted', 'unchanged', 'unchanged']);
    assert.equal((await catalog.get(['S2', '2024-02-01', 'B04']))?.etag, await etagOf(key));
    // Delete it; a create from before the delete arrives first (the delete event still on its way).
    await s3.delete('data', key);
    assert.deepEqual(await deliver(catalog, [[CREATED, key]]), ['deleted']);
    assert.deepEqual(await deliver(catalog, [[REMOVED, key], [CREATED, key]]), ['absent', 'absent']);
    assert.equal(await catalog.count(), 0);
    await catalog.close();
  });

  it('a delete for keys now held by another object leaves that dataset alone', async () => {
    const catalog = await newCatalog();
    const other = compilePattern('s3://data/{sensor}/*/{date}_{band}.tif');
    await s3.put('data', 'L8/new/2023-06-01_B04.tif', A);
    const put = await handleObjectEvents(s3Records(s3Event([CREATED, 'data', 'L8/new/2023-06-01_B04.tif'])), { catalog, pattern: other, openOptions: s3.options });
    assert.equal(put[0].status, 'inserted');
    const del = await handleObjectEvents(s3Records(s3Event([REMOVED, 'data', 'L8/old/2023-06-01_B04.tif'])), { catalog, pattern: other, openOptions: s3.options });
    assert.equal(del[0].status, 'absent');
    assert.equal((await catalog.get(['L8', '2023-06-01', 'B04']))?.location, 's3://data/L8/new/2023-06-01_B04.tif');
    await catalog.close();
  });

  /** Opens the real object, and runs `fault` once, right after the first range read (the header) returns. */
  const faultAfterFirstRead = (fault: () => Promise<void>) => {
    let fired = false;
    return (location: string): Source => {
      const inner = openSource(location, s3.options);
      return {
        location,
        head: (o) => inner.head(o),
        read: async (offset, length, o) => {
          const out = await inner.read(offset, length, o);
          if (!fired) {
            fired = true;
            await fault();
          }
          return out;
        },
      };
    };
  };

  it('an object replaced mid-ingest: the half-read version is dropped and the current one ingested', async () => {
    const catalog = await newCatalog();
    const key = 'S2/2024-03-01_B04.tif';
    await s3.put('data', key, A);
    const statuses = await deliver(catalog, [[CREATED, key]], faultAfterFirstRead(() => s3.put('data', key, B).then(() => undefined)));
    assert.deepEqual(statuses, ['inserted']);
    const row = await catalog.get(['S2', '2024-03-01', 'B04']);
    const current = await openSource(`s3://data/${key}`, s3.options).head();
    assert.equal(row?.etag, current.etag);
    assert.equal(row?.size, current.size);
    // The stored header is B's, whole: the same as a clean ingest of B gives.
    const clean = await newCatalog();
    await s3.put('data', 'S2/2024-03-02_B04.tif', B);
    await deliver(clean, [[CREATED, 'S2/2024-03-02_B04.tif']]);
    assert.deepEqual(row?.header, (await clean.get(['S2', '2024-03-02', 'B04']))?.header);
    assert.deepEqual(row?.metadata, (await clean.get(['S2', '2024-03-02', 'B04']))?.metadata);
    await Promise.all([catalog.close(), clean.close()]);
  });

  it('an object deleted mid-read: no row, no failure', async () => {
    const catalog = await newCatalog();
    const key = 'S2/2024-04-01_B04.tif';
    await s3.put('data', key, A);
    assert.deepEqual(await deliver(catalog, [[CREATED, key]], faultAfterFirstRead(() => s3.delete('data', key))), ['absent']);
    assert.equal(await catalog.count(), 0);
    await catalog.close();
  });

  it('an object deleted after it was read but before its row was written: the row is taken back', async () => {
    const inner = await newCatalog();
    const key = 'S2/2024-05-01_B04.tif';
    await s3.put('data', key, A);
    // The delete (and its event, handled elsewhere, finding no row yet) lands just before the write.
    const catalog = new Proxy(inner, {
      get: (target, name) => name === 'put'
        ? async (record: Parameters<Catalog['put']>[0]) => {
          await s3.delete('data', key);
          assert.deepEqual(await deliver(inner, [[REMOVED, key]]), ['absent']);
          return target.put(record);
        }
        : typeof target[name as keyof Catalog] === 'function' ? (target[name as keyof Catalog] as (...a: unknown[]) => unknown).bind(target) : target[name as keyof Catalog],
    });
    assert.deepEqual(await deliver(catalog, [[CREATED, key]]), ['deleted']);
    assert.equal(await inner.count(), 0);
    await inner.close();
  });

  it('through the ingest function: a batch with a duplicate and a delete before create', async () => {
    const catalogPath = join(s3.dir, 'function.db');
    const catalog = await openCatalog(`sqlite:${catalogPath}`);
    await catalog.create([{ name: 'sensor' }, { name: 'date' }, { name: 'band' }]);
    await catalog.close();
    const config = ingestConfig({
      TAOGUAN_CATALOG: `sqlite:${catalogPath}`, TAOGUAN_PATTERN: 's3://data/{sensor}/{date}_{band}.tif',
      TAOGUAN_STORE_ENDPOINT: s3.endpoint, TAOGUAN_STORE_REGION: 'us-east-1', TAOGUAN_STORE_PATH_STYLE: '1', TAOGUAN_ALLOWED_BUCKETS: 'data',
    });
    setCredentials(S3RVER_CREDENTIALS);
    await s3.put('data', 'S1/2024-06-01_VV.tif', A);
    const log = console.log;
    console.log = () => undefined;
    try {
      const results = await runIngest(s3Records(s3Event(
        [REMOVED, 'data', 'S1/2024-06-01_VV.tif'], [CREATED, 'data', 'S1/2024-06-01_VV.tif'], [CREATED, 'data', 'S1/2024-06-01_VV.tif'],
        [REMOVED, 'data', 'S1/2024-06-02_VV.tif'],
      )), config);
      assert.deepEqual(results.map((r) => r.status), ['inserted', 'unchanged', 'unchanged', 'absent']);
    } finally {
      console.log = log;
      setCredentials(undefined);
    }
  });
});
