import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FileSource } from '../lib/source/file.ts';
import { openSource, parseLocation, storeConfig } from '../lib/source/location.ts';
import { RetryingSource } from '../lib/source/retry.ts';

test('parseLocation: paths and file URLs', () => {
  assert.deepEqual(parseLocation('data/a_b.tif'), { scheme: 'file', path: 'data/a_b.tif' });
  assert.deepEqual(parseLocation('/abs/x:y.tif'), { scheme: 'file', path: '/abs/x:y.tif' });
  assert.deepEqual(parseLocation('C:\\data\\a.tif'), { scheme: 'file', path: 'C:\\data\\a.tif' });
  assert.deepEqual(parseLocation('file:///srv/cogs/a%20b.tif'), { scheme: 'file', path: '/srv/cogs/a b.tif' });
});

test('parseLocation: http(s) keeps the URL whole', () => {
  const url = 'https://example.com/c/a.tif?X-Amz-Signature=abc';
  assert.deepEqual(parseLocation(url), { scheme: 'https', url });
  assert.deepEqual(parseLocation('HTTP://h/a.tif'), { scheme: 'http', url: 'HTTP://h/a.tif' });
});

test('parseLocation: object stores keep the key raw (spaces, ?, # and nested slashes)', () => {
  assert.deepEqual(parseLocation('s3://bucket/dir/sub/a b?#.tif'), { scheme: 's3', bucket: 'bucket', key: 'dir/sub/a b?#.tif' });
  assert.deepEqual(parseLocation('oss://b/k.tif'), { scheme: 'oss', bucket: 'b', key: 'k.tif' });
  assert.deepEqual(parseLocation('cos://data-1250000000/k.tif'), { scheme: 'cos', bucket: 'data-1250000000', key: 'k.tif' });
});

test('parseLocation: clear errors', () => {
  assert.throws(() => parseLocation('ftp://h/a.tif'), /unknown location scheme "ftp:\/\/"/);
  assert.throws(() => parseLocation('s3://bucket'), /s3:\/\/BUCKET\/KEY/);
  assert.throws(() => parseLocation('s3://bucket/'), /s3:\/\/BUCKET\/KEY/);
  assert.throws(() => parseLocation(''), /empty/);
});

test('storeConfig: s3 from the environment', () => {
  const loc = parseLocation('s3://b/k');
  assert.deepEqual(storeConfig(loc, {}, { AWS_REGION: 'eu-west-1' }), { endpoint: undefined, region: 'eu-west-1', forcePathStyle: false, followRegionRedirects: true });
  const minio = storeConfig(loc, {}, { TAOGUAN_S3_ENDPOINT: 'http://127.0.0.1:9000', AWS_ENDPOINT_URL: 'http://x', AWS_DEFAULT_REGION: 'us-west-2', TAOGUAN_S3_PATH_STYLE: '1' });
  assert.deepEqual(minio, { endpoint: 'http://127.0.0.1:9000', region: 'us-west-2', forcePathStyle: true, followRegionRedirects: false });
});

test('storeConfig: oss endpoint, region spellings and credentials', () => {
  const loc = parseLocation('oss://b/k');
  const env = { OSS_REGION: 'oss-cn-hangzhou', ALIBABA_CLOUD_ACCESS_KEY_ID: 'id', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'sk', ALIBABA_CLOUD_SECURITY_TOKEN: 'tok', OSS_ACCESS_KEY_ID: 'other' };
  assert.deepEqual(storeConfig(loc, {}, env), {
    endpoint: 'https://oss-cn-hangzhou.aliyuncs.com',
    region: 'cn-hangzhou',
    forcePathStyle: false,
    credentials: { accessKeyId: 'id', secretAccessKey: 'sk', sessionToken: 'tok' },
  });
  const fallback = storeConfig(loc, {}, { OSS_ENDPOINT: 'https://oss-cn-beijing-internal.aliyuncs.com', OSS_ACCESS_KEY_ID: 'a', OSS_ACCESS_KEY_SECRET: 'b' });
  assert.deepEqual(fallback, { endpoint: 'https://oss-cn-beijing-internal.aliyuncs.com', region: 'cn-beijing', forcePathStyle: false, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  assert.throws(() => storeConfig(loc, {}, {}), /OSS_REGION/);
});

test('storeConfig: cos endpoint and credentials; bucket must carry the APPID', () => {
  const env = { TENCENTCLOUD_REGION: 'ap-guangzhou', TENCENTCLOUD_SECRETID: 'i', TENCENTCLOUD_SECRETKEY: 'k', TENCENTCLOUD_SESSIONTOKEN: 't' };
  assert.deepEqual(storeConfig(parseLocation('cos://data-1250000000/k'), {}, env), {
    endpoint: 'https://cos.ap-guangzhou.myqcloud.com',
    region: 'ap-guangzhou',
    forcePathStyle: false,
    credentials: { accessKeyId: 'i', secretAccessKey: 'k', sessionToken: 't' },
  });
  assert.throws(() => storeConfig(parseLocation('cos://data/k'), {}, env), /APPID/);
});

test('storeConfig: options override the environment', () => {
  const credentials = { accessKeyId: 'role', secretAccessKey: 's', sessionToken: 't' };
  const config = storeConfig(parseLocation('oss://b/k'), { region: 'cn-shanghai', credentials, forcePathStyle: true }, { OSS_REGION: 'cn-hangzhou', OSS_ACCESS_KEY_ID: 'a', OSS_ACCESS_KEY_SECRET: 'b' });
  assert.deepEqual(config, { endpoint: 'https://oss-cn-shanghai.aliyuncs.com', region: 'cn-shanghai', forcePathStyle: true, credentials });
  const s3 = storeConfig(parseLocation('s3://b/k'), { endpoint: 'http://local:9000' }, { TAOGUAN_S3_ENDPOINT: 'http://env:9000' });
  assert.equal(s3.endpoint, 'http://local:9000');
});

test('openSource: files bare, remote sources wrapped in retries unless asked not to', () => {
  assert.ok(openSource('a.tif') instanceof FileSource);
  const http = openSource('https://example.com/a.tif?sig=secret');
  assert.ok(http instanceof RetryingSource);
  assert.equal(http.location, 'https://example.com/a.tif');
  assert.ok(!(openSource('s3://b/k', { retry: false, region: 'us-east-1' }) instanceof RetryingSource));
});
