/**
 * The built bundles, as a platform runs them: each dist/<provider>/<fn>/index.js is require()d in a
 * fresh Node process (so nothing of this process's module graph helps it) and its handler is invoked
 * with the provider's published sample event, rewritten to a tile request or to an upload of the
 * test COG. Tiles read a SQLite catalog (?mode=ro) over a local file; ingest reads the COG from a local
 * S3-compatible server (s3rver), reached through TAOGUAN_STORE_ENDPOINT for s3://, oss:// and cos://.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { build } from '../scripts/tools/build.ts';
import { openCatalog } from '../lib/catalog/open.ts';
import { ingestObject } from '../lib/ingest/ingest.ts';
import { decodePng } from '../lib/render/png-decode.ts';
import { fixturePath } from './helpers.ts';

interface S3rver {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
const S3rver = createRequire(import.meta.url)('s3rver') as new (options: Record<string, unknown>) => S3rver;

const COG = fixturePath('u16-4band-deflate-p2-meta-utm50.tif');
const BUCKETS = { aws: 'cogs', aliyun: 'cogs-oss', tencent: 'cogs-1250000000' };
const events = (p: string, name: string) => readFile(new URL(`events/${p}/${name}`, import.meta.url), 'utf8').then(JSON.parse);

let dir = '';
let dist = '';
let s3rver: S3rver;
let endpoint = '';
let tilePath = '';
let jpegTilePath = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taoguan-functions-'));
  dist = join(dir, 'dist');
  await build({ outDir: dist });

  // The tiles catalog: the fixture ingested under name=u16 by its local path.
  const catalog = await openCatalog(`sqlite:${join(dir, 'tiles.db')}`);
  await catalog.create([{ name: 'name' }]);
  await ingestObject(catalog, COG, ['u16']);
  const [w, s, e, n] = (await catalog.get(['u16']))!.metadata.bounds;
  // and a JPEG COG (decoded by libjpeg as WASM, its .wasm beside index.js)
  await ingestObject(catalog, fixturePath('rgb-jpeg-ycbcr-3857.tif'), ['jpeg']);
  const jb = (await catalog.get(['jpeg']))!.metadata.bounds;
  await catalog.close();
  tilePath = `/singleband/u16/${xyz((w + e) / 2, (s + n) / 2, 12).join('/')}.png`;
  jpegTilePath = `/singleband/jpeg/${xyz((jb[0] + jb[2]) / 2, (jb[1] + jb[3]) / 2, 15).join('/')}.png`;

  s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(dir, 's3'), configureBuckets: Object.values(BUCKETS).map((name) => ({ name })) });
  endpoint = `http://127.0.0.1:${(await s3rver.run()).port}`;
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  for (const bucket of Object.values(BUCKETS)) await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'cogs/u16 a.tif', Body: await readFile(COG) }));
  client.destroy();
});

after(async () => {
  await s3rver?.close();
  await rm(dir, { recursive: true, force: true });
});

function xyz(lon: number, lat: number, z: number): [number, number, number] {
  const n = 2 ** z, r = (lat * Math.PI) / 180;
  return [z, Math.floor(((lon + 180) / 360) * n), Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n)];
}

/** require() the bundle in a fresh process and call handler(event, context); its JSON result comes back. */
async function invoke(provider: string, fn: string, event: unknown, env: Record<string, string>, context: unknown = {}): Promise<Record<string, unknown>> {
  const file = join(dist, provider, fn, 'index.js');
  // FC hands Node functions their event as a Buffer of JSON.
  const parse = provider === 'aliyun' ? 'Buffer.from(process.argv[1])' : 'JSON.parse(process.argv[1])';
  const script = `require(${JSON.stringify(file)}).handler(${parse}, JSON.parse(process.argv[2]))
    .then((r) => process.stdout.write('\\n@@result ' + JSON.stringify(r)), (e) => { console.error(e); process.exit(1); })`;
  // Async, not execFileSync: s3rver answers from this process's event loop.
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script, JSON.stringify(event), JSON.stringify(context)], {
    env: { PATH: process.env.PATH ?? '', ...env }, maxBuffer: 16 << 20,
  });
  // Function logs (one JSON line per ingested record) come first on stdout.
  return JSON.parse(stdout.slice(stdout.lastIndexOf('\n@@result ') + 10));
}

function assertPng(result: Record<string, unknown>): void {
  assert.equal(result.statusCode, 200, String(result.body).slice(0, 300));
  assert.equal(result.isBase64Encoded, true);
  const bytes = Buffer.from(result.body as string, 'base64');
  assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  const png = decodePng(bytes);
  assert.equal(png.width, 256);
  assert.equal(png.height, 256);
  // The tile's centre is inside the raster: real pixels, not the transparent outside-tile.
  assert.ok(png.rgba.some((v, i) => i % 4 === 3 && v === 255), 'no opaque pixel');
}

/** The catalog's row names a local file: a function reads it only with its folder listed. */
const tilesEnv = () => ({ TAOGUAN_CATALOG: `sqlite:${join(dir, 'tiles.db')}?mode=ro`, TAOGUAN_ALLOWED_PREFIXES: `${dirname(COG)}/` });

test('aws tiles: an HTTP API (2.0) and a REST (1.0) sample event each get a PNG tile', async () => {
  const v2 = await events('aws', 'apigw-v2-request.json');
  v2.requestContext.stage = 'release'; // a named stage prefixes the path
  Object.assign(v2, { rawPath: `/release${tilePath}`, rawQueryString: 'colormap=viridis&stretch_range=[0,10000]', body: undefined, isBase64Encoded: false });
  v2.requestContext.http.method = 'GET';
  assertPng(await invoke('aws', 'tiles', v2, tilesEnv()));

  const v1 = await events('aws', 'apigw-request.json');
  Object.assign(v1, { path: tilePath, httpMethod: 'GET', body: null, queryStringParameters: { colormap: 'viridis' }, multiValueQueryStringParameters: { colormap: ['viridis'] } });
  assertPng(await invoke('aws', 'tiles', v1, tilesEnv()));
});

test('aws tiles: a .webp tile from the bundle, its encoder .wasm read from beside index.js', async () => {
  const v2 = await events('aws', 'apigw-v2-request.json');
  Object.assign(v2, { rawPath: tilePath.replace(/\.png$/, '.webp'), rawQueryString: 'colormap=viridis&stretch_range=[0,10000]', body: undefined, isBase64Encoded: false });
  v2.requestContext.http.method = 'GET';
  const result = await invoke('aws', 'tiles', v2, tilesEnv());
  assert.equal(result.statusCode, 200, String(result.body).slice(0, 300));
  assert.equal((result.headers as Record<string, string>)['content-type'], 'image/webp');
  const bytes = Buffer.from(result.body as string, 'base64');
  assert.equal(bytes.subarray(0, 4).toString('latin1'), 'RIFF');
  assert.equal(bytes.subarray(8, 12).toString('latin1'), 'WEBP');
  const file = join(dir, 'tile.webp');
  await writeFile(file, bytes);
  const { stdout } = await promisify(execFile)('/usr/bin/python3', [fileURLToPath(new URL('support/webp-decode.py', import.meta.url)), file]);
  assert.deepEqual(JSON.parse(stdout), { file, width: 256, height: 256, bands: 4, lossless: 'LOSSLESS' });
  const rgba = await readFile(`${file}.rgba`);
  assert.ok(rgba.some((v, i) => i % 4 === 3 && v === 255), 'no opaque pixel');
});

test('aws tiles: a tile of a JPEG COG, its decoder .wasm read from beside index.js', async () => {
  const v2 = await events('aws', 'apigw-v2-request.json');
  Object.assign(v2, { rawPath: jpegTilePath, rawQueryString: 'colormap=viridis&stretch_range=[0,255]', body: undefined, isBase64Encoded: false });
  v2.requestContext.http.method = 'GET';
  assertPng(await invoke('aws', 'tiles', v2, tilesEnv()));
});

test('aliyun tiles: the FC 3.0 HTTP-trigger sample event gets a PNG tile', async () => {
  const event = await events('aliyun', 'http-trigger.json');
  Object.assign(event, { rawPath: tilePath, body: '', queryParameters: { colormap: 'terrain' } });
  event.requestContext.http.method = 'GET';
  assertPng(await invoke('aliyun', 'tiles', event, tilesEnv(), { credentials: { accessKeyId: 'STS.x', accessKeySecret: 'y', securityToken: 'z' } }));
});

test('tencent tiles: the API Gateway sample event (service path /test) gets a PNG tile', async () => {
  const event = await events('tencent', 'apigw-event.json');
  Object.assign(event, { path: `/test${tilePath}`, httpMethod: 'GET', body: '', queryString: { colormap: 'greys_r' } });
  event.requestContext.httpMethod = 'GET';
  assertPng(await invoke('tencent', 'tiles', event, tilesEnv()));
});

test('tiles: a catalog row naming a local file is refused (502) unless TAOGUAN_ALLOWED_PREFIXES lists its folder', async () => {
  const event = await events('aws', 'apigw-v2-request.json');
  event.requestContext.stage = 'release';
  Object.assign(event, { rawPath: `/release${tilePath}`, rawQueryString: '', body: undefined, isBase64Encoded: false });
  event.requestContext.http.method = 'GET';
  const { TAOGUAN_CATALOG } = tilesEnv();
  const refusing: Record<string, string>[] = [{ TAOGUAN_CATALOG }, { TAOGUAN_CATALOG, TAOGUAN_ALLOWED_BUCKETS: 'cogs' }, { TAOGUAN_CATALOG, TAOGUAN_ALLOWED_PREFIXES: `${dir}/` }];
  for (const env of refusing) {
    const result = await invoke('aws', 'tiles', event, env);
    assert.equal(result.statusCode, 502, JSON.stringify(env));
    assert.match(JSON.parse(result.body as string).message, /location is not one this server may read/);
  }
  assertPng(await invoke('aws', 'tiles', event, tilesEnv()));
});

test('a bad configuration fails the cold start with a message naming the variable', async () => {
  await assert.rejects(invoke('aws', 'tiles', {}, { TAOGUAN_CATALOG: '' }), /TAOGUAN_CATALOG is not set/);
  await assert.rejects(invoke('aliyun', 'ingest', {}, { TAOGUAN_CATALOG: 'sqlite:/tmp/x.db' }), /TAOGUAN_PATTERN/);
  await assert.rejects(invoke('tencent', 'tiles', {}, { TAOGUAN_CATALOG: 'sqlite:/tmp/x.db', TAOGUAN_TILE_CACHE_MB: 'lots' }), /TAOGUAN_TILE_CACHE_MB=lots/);
  // caches that leave a request too little of the instance's memory: the first invocation says so
  await assert.rejects(invoke('aws', 'tiles', {}, { TAOGUAN_CATALOG: 'sqlite:/tmp/x.db', TAOGUAN_TILE_CACHE_MB: '16', TAOGUAN_BLOCK_CACHE_MB: '24' }, { memoryLimitInMB: 128 }),
    /a 128 MB instance cannot hold 40 MB of caches \(TAOGUAN_TILE_CACHE_MB and TAOGUAN_BLOCK_CACHE_MB\) beside Node and the bundle/);
});

/** A fresh writable catalog per provider (ingest writes; a tiles function never does). */
async function ingestCatalog(name: string): Promise<string> {
  const uri = `sqlite:${join(dir, `${name}.db`)}`;
  const catalog = await openCatalog(uri);
  await catalog.create([{ name: 'name' }]);
  await catalog.close();
  return uri;
}

async function ingested(uri: string): Promise<string | undefined> {
  const catalog = await openCatalog(uri);
  try {
    return (await catalog.get(['u16 a']))?.location;
  } finally {
    await catalog.close();
  }
}

const storeEnv = (uri: string, pattern: string) => ({
  TAOGUAN_CATALOG: uri, TAOGUAN_PATTERN: pattern, TAOGUAN_STORE_ENDPOINT: endpoint, TAOGUAN_STORE_PATH_STYLE: '1', TAOGUAN_STORE_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER',
});

test('aws ingest: the S3 sample event (key form-encoded) ingests; a replay changes nothing; other buckets are refused', async () => {
  const uri = await ingestCatalog('aws');
  const event = await events('aws', 's3-event-with-decoded.json');
  event.Records[0].s3.bucket.name = BUCKETS.aws;
  event.Records[0].s3.object.key = 'cogs/u16+a.tif';
  const env = { ...storeEnv(uri, `s3://${BUCKETS.aws}/cogs/{name}.tif`), TAOGUAN_ALLOWED_BUCKETS: BUCKETS.aws };
  const results = await invoke('aws', 'ingest', event, env) as unknown as { status: string; location: string }[];
  assert.deepEqual(results.map((r) => [r.status, r.location]), [['inserted', `s3://${BUCKETS.aws}/cogs/u16 a.tif`]]);
  assert.equal(await ingested(uri), `s3://${BUCKETS.aws}/cogs/u16 a.tif`);
  // Replayed: nothing changes.
  assert.equal(((await invoke('aws', 'ingest', event, env)) as unknown as { status: string }[])[0].status, 'unchanged');
  // A bucket outside the allow-list is refused, not read.
  event.Records[0].s3.bucket.name = 'elsewhere';
  assert.equal(((await invoke('aws', 'ingest', event, env)) as unknown as { status: string }[])[0].status, 'refused');
});

test('aws ingest: records that can never succeed are logged and fail nothing; the invocation does not throw (no platform retry)', async () => {
  const uri = await ingestCatalog('aws-permanent');
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  await client.send(new PutObjectCommand({ Bucket: BUCKETS.aws, Key: 'cogs/striped.tif', Body: await readFile(fixturePath('u8-lzw-p2-ovr-notcog-3857.tif')) }));
  client.destroy();
  const event = await events('aws', 's3-event-with-decoded.json');
  const record = (bucket: string, key: string) => ({ ...event.Records[0], s3: { ...event.Records[0].s3, bucket: { ...event.Records[0].s3.bucket, name: bucket }, object: { ...event.Records[0].s3.object, key } } });
  event.Records = [record(BUCKETS.aws, 'cogs/u16+a.tif'), record(BUCKETS.aws, 'cogs/bad%zz.tif'), record(BUCKETS.aws, 'cogs/striped.tif'), record('elsewhere', 'cogs/u16+a.tif'), record(BUCKETS.aws, 'readme.txt')];
  const env = { ...storeEnv(uri, `s3://${BUCKETS.aws}/cogs/{name}.tif`), TAOGUAN_ALLOWED_BUCKETS: BUCKETS.aws };
  const results = await invoke('aws', 'ingest', event, env) as unknown as { location: string; status: string; message?: string }[];
  const by = Object.fromEntries(results.map((r) => [r.location, r]));
  const s3 = `s3://${BUCKETS.aws}`;
  assert.deepEqual(Object.entries(by).map(([location, r]) => [location, r.status]).sort(), [
    [`${s3}/cogs/bad%zz.tif`, 'invalid'], [`${s3}/cogs/striped.tif`, 'invalid'], [`${s3}/cogs/u16 a.tif`, 'inserted'], [`${s3}/readme.txt`, 'skipped'], ['s3://elsewhere/cogs/u16 a.tif', 'refused'],
  ]);
  assert.match(by[`${s3}/cogs/bad%zz.tif`].message ?? '', /"cogs\/bad%zz\.tif" is not valid percent-encoding/);
  assert.match(by[`${s3}/cogs/striped.tif`].message ?? '', /not a valid Cloud Optimized GeoTIFF/);
  assert.equal(await ingested(uri), `s3://${BUCKETS.aws}/cogs/u16 a.tif`);
});

test('aliyun ingest: the OSS sample event (a Buffer, as FC passes it) ingests with context credentials', async () => {
  const uri = await ingestCatalog('aliyun');
  const event = await events('aliyun', 'oss-event.json');
  event.events[0].oss.bucket.name = BUCKETS.aliyun;
  event.events[0].oss.object.key = 'cogs/u16 a.tif';
  // s3rver checks the access key id: the role's keys from context.credentials must be the ones used.
  const results = await invoke('aliyun', 'ingest', event, storeEnv(uri, `oss://${BUCKETS.aliyun}/cogs/{name}.tif`), { credentials: { accessKeyId: 'S3RVER', accessKeySecret: 'S3RVER', securityToken: 't' } });
  assert.equal((results as unknown as { status: string }[])[0].status, 'inserted');
  assert.equal(await ingested(uri), `oss://${BUCKETS.aliyun}/cogs/u16 a.tif`);
});

test('tencent ingest: the COS sample event (/appid/bucket/key) ingests with the role keys from the environment', async () => {
  const uri = await ingestCatalog('tencent');
  const event = await events('tencent', 'cos-event.json');
  event.Records[0].cos.cosBucket = { ...event.Records[0].cos.cosBucket, name: 'cogs', appid: '1250000000' };
  event.Records[0].cos.cosObject.key = '/1250000000/cogs/cogs/u16 a.tif';
  const env = { ...storeEnv(uri, `cos://${BUCKETS.tencent}/cogs/{name}.tif`), TENCENTCLOUD_SECRETID: 'S3RVER', TENCENTCLOUD_SECRETKEY: 'S3RVER' };
  const results = await invoke('tencent', 'ingest', event, env);
  assert.equal((results as unknown as { status: string }[])[0].status, 'inserted');
  assert.equal(await ingested(uri), `cos://${BUCKETS.tencent}/cogs/u16 a.tif`);
});

test('ingest resolves an EPSG CRS from the database it carries; tiles, without one, render from the stored definition', async () => {
  const tiles = await readFile(join(dist, 'aws', 'tiles', 'index.js'), 'utf8');
  const ingest = await readFile(join(dist, 'aws', 'ingest', 'index.js'), 'utf8');
  // ingest reads the database from a file beside index.js on first use (parsing it as code slowed every cold start)
  const database = JSON.parse(await readFile(join(dist, 'aws', 'ingest', 'epsg-index.json'), 'utf8')) as Record<string, { name: string }>;
  assert.equal(database['27700'].name, 'OSGB36 / British National Grid');
  assert.ok(!ingest.includes('OSGB36 / British National Grid'), 'not in the ingest index.js itself');
  assert.ok(!tiles.includes('OSGB36 / British National Grid') && !tiles.includes('+datum=OSGB36'), 'the tiles bundle carries no EPSG database');
  await assert.rejects(readFile(join(dist, 'aws', 'tiles', 'epsg-index.json')), /ENOENT/);

  // a COG in NZTM (EPSG:2193), a CRS outside the families resolved by rule
  const nz = join(dir, 'nztm.tif');
  await promisify(execFile)('gdal_translate', ['-q', '-of', 'COG', '-a_srs', 'EPSG:2193', '-a_ullr', '1750000', '5930000', '1760000', '5920000', COG, nz]);
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  await client.send(new PutObjectCommand({ Bucket: BUCKETS.aws, Key: 'cogs/nztm.tif', Body: await readFile(nz) }));
  client.destroy();
  const uri = await ingestCatalog('aws-nztm');
  const event = await events('aws', 's3-event-with-decoded.json');
  event.Records[0].s3.bucket.name = BUCKETS.aws;
  event.Records[0].s3.object.key = 'cogs/nztm.tif';
  const env = { ...storeEnv(uri, `s3://${BUCKETS.aws}/cogs/{name}.tif`), TAOGUAN_ALLOWED_BUCKETS: BUCKETS.aws };
  const results = await invoke('aws', 'ingest', event, env) as unknown as { status: string; message?: string }[];
  assert.equal(results[0].status, 'inserted', results[0].message);
  const catalog = await openCatalog(uri);
  const row = (await catalog.get(['nztm']))!;
  await catalog.close();
  assert.match(row.header.crs?.proj4 ?? '', /^\+proj=tmerc .*\+lon_0=173 .*\+y_0=10000000 /);
  const [w, s, e, n] = row.metadata.bounds;
  const v2 = await events('aws', 'apigw-v2-request.json');
  v2.requestContext.stage = 'release';
  Object.assign(v2, { rawPath: `/release/singleband/nztm/${xyz((w + e) / 2, (s + n) / 2, 13).join('/')}.png`, rawQueryString: 'stretch_range=[0,10000]', body: undefined, isBase64Encoded: false });
  v2.requestContext.http.method = 'GET';
  assertPng(await invoke('aws', 'tiles', v2, { ...env, TAOGUAN_CATALOG: `${uri}?mode=ro` }));
});

test('each zip holds index.js, its package.json and the .wasm files it loads', async () => {
  const { unzipSync } = await import('fflate');
  const names = Object.keys(unzipSync(await readFile(join(dist, 'aliyun', 'tiles.zip'))));
  for (const f of ['index.js', 'package.json', 'node-sqlite3-wasm.wasm', 'lerc-wasm.wasm', 'mozjpeg_dec.wasm', 'web/index.html', 'web/app.js', 'web/mosaic.js', 'node_modules/@aws-sdk/client-s3/index.js']) assert.ok(names.includes(f), f);
  assert.ok(!names.some((n) => n.endsWith('.map')));
  // The ZSTD encoder's WASM only where optimize is bundled: ingest, not tiles.
  assert.ok(!names.includes('zstd.wasm'), 'tiles ships zstd.wasm');
  assert.ok(Object.keys(unzipSync(await readFile(join(dist, 'aliyun', 'ingest.zip')))).includes('zstd.wasm'), 'ingest lacks zstd.wasm');
  // The EPSG database only where CRSs are resolved: ingest, not tiles.
  assert.ok(!names.includes('epsg-index.json'), 'tiles ships the EPSG database');
  assert.ok(Object.keys(unzipSync(await readFile(join(dist, 'aliyun', 'ingest.zip')))).includes('epsg-index.json'), 'ingest lacks the EPSG database');
});
