/**
 * Optimize on ingest, end to end against a local S3-compatible server: an uploaded non-COG's event
 * converts it, writes the COG under TAOGUAN_OPTIMIZE_PREFIX and ingests that; the COG's own event
 * is ingested and never converted again; the input size is bounded.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { s3Records } from '../adapters/aws-lambda.ts';
import { ConfigError, ingestConfig } from '../functions/config.ts';
import { runIngest, setCredentials } from '../functions/runtime.ts';
import { openCatalog } from '../lib/catalog/open.ts';
import { openSource } from '../lib/source/location.ts';
import { closeS3Clients } from '../lib/source/s3.ts';
import { validateCog } from '../lib/tiff/cog.ts';
import { readHeader } from '../lib/tiff/parse.ts';
import { LocalS3, S3RVER_CREDENTIALS, s3Event } from './ingest-harness.ts';

const NOT_COG = 'u8-striped-rps7-4326.tif', COG = 'u8-deflate-mask-4326.tif';
const CREATED = 'ObjectCreated:Put';

describe('optimize on ingest', () => {
  const s3 = new LocalS3();
  let n = 0;
  const env = (extra: Record<string, string> = {}) => ({
    TAOGUAN_PATTERN: 's3://data/cogs/{sensor}_{date}_{band}.tif', TAOGUAN_OPTIMIZE_PREFIX: 's3://data/cogs/',
    TAOGUAN_STORE_ENDPOINT: s3.endpoint, TAOGUAN_STORE_REGION: 'us-east-1', TAOGUAN_STORE_PATH_STYLE: '1', TAOGUAN_ALLOWED_BUCKETS: 'data', ...extra,
  });
  const newConfig = async (extra: Record<string, string> = {}) => {
    const uri = `sqlite:${join(s3.dir, `catalog-${n++}.db`)}`;
    const catalog = await openCatalog(uri);
    await catalog.create([{ name: 'sensor' }, { name: 'date' }, { name: 'band' }]);
    await catalog.close();
    return ingestConfig({ TAOGUAN_CATALOG: uri, ...env(extra) });
  };
  const ingest = async (config: ReturnType<typeof ingestConfig>, ...keys: string[]) => {
    const log = console.log;
    console.log = () => undefined;
    try {
      return (await runIngest(s3Records(s3Event(...keys.map((k) => [CREATED, 'data', k] as [string, string, string]))), config)).map(({ status, output, message }) => ({ status, output, message }));
    } finally {
      console.log = log;
    }
  };
  const listed = async () => ((await s3.client.send(new ListObjectsV2Command({ Bucket: 'data' }))).Contents ?? []).map((o) => o.Key).sort();

  before(async () => {
    await s3.start(['data']);
    setCredentials(S3RVER_CREDENTIALS);
  });
  after(async () => {
    setCredentials(undefined);
    await closeS3Clients();
    await s3.stop();
  });

  it('converts an uploaded non-COG, writes the COG under the prefix, and ingests it; its own event is only ingested', async () => {
    const config = await newConfig();
    await s3.put('data', 'incoming/S2_2024-01-15_B04.tif', NOT_COG);
    const [first] = await ingest(config, 'incoming/S2_2024-01-15_B04.tif');
    assert.deepEqual(first, { status: 'inserted', output: 's3://data/cogs/S2_2024-01-15_B04.tif', message: undefined });
    const cog = openSource('s3://data/cogs/S2_2024-01-15_B04.tif', s3.options);
    const { header, info } = await readHeader(cog);
    assert.deepEqual(validateCog(header).errors, []);
    const catalog = await openCatalog(config.catalog);
    const row = await catalog.get(['S2', '2024-01-15', 'B04']);
    assert.equal(row?.location, 's3://data/cogs/S2_2024-01-15_B04.tif');
    assert.equal(row?.etag, info.etag);
    await catalog.close();
    // The upload event of the COG just written: ingested (unchanged), not converted again.
    assert.deepEqual(await ingest(config, 'cogs/S2_2024-01-15_B04.tif'), [{ status: 'unchanged', output: undefined, message: undefined }]);
    assert.deepEqual(await listed(), ['cogs/S2_2024-01-15_B04.tif', 'incoming/S2_2024-01-15_B04.tif']);
  });

  it('a non-COG under the output prefix is refused as invalid, never converted (no loop)', async () => {
    const config = await newConfig();
    await s3.put('data', 'cogs/L8_2023-06-01_B05.tif', NOT_COG);
    const before = (await openSource('s3://data/cogs/L8_2023-06-01_B05.tif', s3.options).head()).etag;
    const [r] = await ingest(config, 'cogs/L8_2023-06-01_B05.tif');
    assert.equal(r.status, 'invalid');
    assert.equal(r.output, undefined);
    assert.match(r.message ?? '', /not a valid Cloud Optimized GeoTIFF/);
    assert.equal((await openSource('s3://data/cogs/L8_2023-06-01_B05.tif', s3.options).head()).etag, before);
  });

  it('a COG uploaded outside the prefix is still converted once; other files are skipped, a vanished one is absent', async () => {
    const config = await newConfig();
    await s3.put('data', 'incoming/S1_2024-02-01_VV.tif', COG);
    await s3.put('data', 'incoming/readme.txt', COG);
    const results = await ingest(config, 'incoming/S1_2024-02-01_VV.tif', 'incoming/readme.txt', 'incoming/gone_2024-01-01_X.tif', 'incoming/notakey.tif');
    assert.deepEqual(results.map((r) => r.status), ['inserted', 'skipped', 'absent', 'skipped']);
    assert.match(results[3].message ?? '', /its COG would be s3:\/\/data\/cogs\/notakey\.tif, which does not match the key pattern/);
  });

  it('the input size is bounded by TAOGUAN_OPTIMIZE_MAX_MB; nothing is written', async () => {
    const config = await newConfig({ TAOGUAN_OPTIMIZE_MAX_MB: '0.01' });
    await s3.put('data', 'incoming/S2_2024-03-01_B08.tif', NOT_COG);
    const [r] = await ingest(config, 'incoming/S2_2024-03-01_B08.tif');
    assert.equal(r.status, 'invalid');
    assert.match(r.message ?? '', /larger than the 0\.0 MB converted on ingest \(TAOGUAN_OPTIMIZE_MAX_MB\)/);
    assert.ok(!(await listed()).includes('cogs/S2_2024-03-01_B08.tif'));
  });

  it('configuration: the prefix must be an allowed object-store prefix', () => {
    const base = { TAOGUAN_CATALOG: 'sqlite:/tmp/x.db', TAOGUAN_PATTERN: 's3://data/cogs/{name}.tif' };
    assert.deepEqual(ingestConfig({ ...base, TAOGUAN_OPTIMIZE_PREFIX: 's3://data/cogs/' }).optimize, { prefix: 's3://data/cogs/', maxBytes: 256 * 2 ** 20 });
    assert.throws(() => ingestConfig({ ...base, TAOGUAN_OPTIMIZE_PREFIX: 's3://data/cogs' }), (e: unknown) => e instanceof ConfigError && /TAOGUAN_OPTIMIZE_PREFIX=s3:\/\/data\/cogs: expected an object-store prefix ending in "\/"/.test(e.message));
    assert.throws(() => ingestConfig({ ...base, TAOGUAN_OPTIMIZE_PREFIX: 's3://other/cogs/', TAOGUAN_ALLOWED_BUCKETS: 'data' }), /TAOGUAN_OPTIMIZE_PREFIX=s3:\/\/other\/cogs\/: .*outside the allowed buckets data/);
    assert.throws(() => ingestConfig({ ...base, TAOGUAN_OPTIMIZE_MAX_MB: '10' }), /TAOGUAN_OPTIMIZE_MAX_MB is set but TAOGUAN_OPTIMIZE_PREFIX is not/);
  });
});
