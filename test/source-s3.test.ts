import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readRanges } from '../lib/source/coalesce.ts';
import { openSource } from '../lib/source/location.ts';
import { RecordingSource } from '../lib/source/record.ts';
import { S3Source, closeS3Clients } from '../lib/source/s3.ts';
import type { S3SourceOptions } from '../lib/source/s3.ts';
import { ObjectChangedError, SourceError } from '../lib/source/source.ts';

// s3rver ships no types; this is the little of it the test uses.
interface S3rver {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rver;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;

const data = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 13 + (i >> 9)) % 256);
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
let dir = '';
let s3rver: S3rver;
let config: S3SourceOptions;
let etag = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taoguan-s3-'));
  s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: 'cogs' }] });
  const { port } = await s3rver.run();
  config = { endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true, credentials };
  const client = new S3Client({ ...config, requestChecksumCalculation: 'WHEN_REQUIRED' });
  const put = await client.send(new PutObjectCommand({ Bucket: 'cogs', Key: 'dir/a b.tif', Body: data }));
  etag = put.ETag ?? '';
  client.destroy();
});

after(async () => {
  await closeS3Clients();
  await s3rver.close();
  await rm(dir, { recursive: true, force: true });
});

const isStatus = (status: number) => (e: unknown) => e instanceof SourceError && e.status === status && !e.retryable;

test('reads ranges with signed requests: bytes, size and ETag', async () => {
  assert.match(etag, /^"[0-9a-f]{32}"$/);
  const source = new S3Source('cogs', 'dir/a b.tif', config);
  const { bytes, info } = await source.read(1_000, 4_000, { etag });
  assert.deepEqual(bytes, data.subarray(1_000, 5_000));
  assert.equal(info.size, data.length);
  assert.equal(info.etag, etag);
  assert.ok(info.lastModified);
  const tail = await source.read(data.length - 100, 1_000);
  assert.deepEqual(tail.bytes, data.subarray(data.length - 100));
  const head = await source.head();
  assert.equal(head.size, data.length);
  assert.equal(head.etag, etag);
});

test('coalesced reads through openSource (env-free: options carry the endpoint)', async () => {
  const source = new RecordingSource(openSource('s3://cogs/dir/a b.tif', config));
  assert.equal(source.location, 's3://cogs/dir/a b.tif');
  const ranges = [{ offset: 200_000, length: 100 }, { offset: 10, length: 10 }, { offset: 30, length: 10 }];
  const out = await readRanges(source, ranges, { maxGap: 100, etag });
  ranges.forEach((r, i) => assert.deepEqual(out[i], data.subarray(r.offset, r.offset + r.length)));
  assert.deepEqual(source.requests.map((r) => [r.offset, r.length]).sort((a, b) => a[0] - b[0]), [[10, 30], [200_000, 100]]);
});

test('a missing key is a non-retryable 404', async () => {
  const source = new S3Source('cogs', 'missing.tif', config);
  await assert.rejects(source.read(0, 10), isStatus(404));
  await assert.rejects(source.head(), isStatus(404));
  await assert.rejects(new S3Source('no-such-bucket', 'k', config).read(0, 10), isStatus(404));
});

test('an offset past the end is a 416', async () => {
  await assert.rejects(new S3Source('cogs', 'dir/a b.tif', config).read(data.length + 10, 10), isStatus(416));
});

test('a different ETag is ObjectChangedError (s3rver ignores If-Match; the response ETag is checked)', async () => {
  const source = new S3Source('cogs', 'dir/a b.tif', config);
  await assert.rejects(source.read(0, 10, { etag: '"0123456789abcdef0123456789abcdef"' }), ObjectChangedError);
  await assert.rejects(source.head({ etag: '"0123456789abcdef0123456789abcdef"' }), ObjectChangedError);
});

// s3rver checks the access key id but not SigV4 signatures, so a wrong secret would pass.
test('an unknown access key is a non-retryable 403', async () => {
  const source = new S3Source('cogs', 'dir/a b.tif', { ...config, credentials: { accessKeyId: 'NOBODY', secretAccessKey: 'x' } });
  await assert.rejects(source.read(0, 10), isStatus(403));
});
