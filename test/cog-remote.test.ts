import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { planWindow, readWindow } from '../lib/raster/index.ts';
import { planRanges } from '../lib/source/coalesce.ts';
import { openSource } from '../lib/source/location.ts';
import { closeS3Clients } from '../lib/source/s3.ts';
import { ObjectChangedError } from '../lib/source/source.ts';
import { readHeader } from '../lib/tiff/index.ts';
import { fixturePath, fixtures, MemorySource } from './helpers.ts';

const cog = fixtures.find((f) => f.file === 'u16-4band-deflate-p2-meta-utm50.tif') ?? fixtures.find((f) => f.cog && f.overviews > 0)!;

describe('a COG over real HTTP range requests', () => {
  let server: Server;
  let url = '';
  let body: Buffer;
  let etag = '"v1"';
  const requests: string[] = [];

  before(async () => {
    body = await readFile(fixturePath(cog.file));
    server = createServer((req, res) => {
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      requests.push(`${req.method} ${req.headers.range ?? '-'}`);
      if (req.headers['if-match'] && req.headers['if-match'] !== etag) { res.writeHead(412).end(); return; }
      if (!m) { res.writeHead(200, { 'content-length': body.length, etag }).end(req.method === 'HEAD' ? undefined : body); return; }
      const start = Number(m[1]), end = Math.min(Number(m[2]), body.length - 1);
      res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${body.length}`, 'content-length': end - start + 1, etag });
      res.end(body.subarray(start, end + 1));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${cog.file}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('reads the whole header in one request, and a window in exactly the coalesced data ranges', async () => {
    requests.length = 0;
    const source = openSource(url);
    const { header, info } = await readHeader(source);
    assert.deepEqual(requests, ['GET bytes=0-65535']);
    assert.equal(info.etag, etag);

    requests.length = 0;
    const win = { x: 100, y: 100, width: 200, height: 150 };
    const plan = planWindow(header, 0, win);
    const { requests: planned } = planRanges(plan.blocks.map((b) => ({ offset: b.offset, length: b.byteCount })), 32 * 1024, 8 * 1024 * 1024);
    const remote = await readWindow(header, source, win, { etag: info.etag });
    assert.deepEqual(requests.sort(), planned.map((r) => `GET bytes=${r.offset}-${r.offset + r.length - 1}`).sort());
    assert.ok(requests.length < plan.blocks.length, `${plan.blocks.length} blocks in ${requests.length} request(s)`);

    const local = await readWindow(header, await MemorySource.fromFile(fixturePath(cog.file)), win);
    assert.deepEqual(remote.bands, local.bands);
    assert.deepEqual(remote.mask, local.mask);
  });

  it('fails loudly when the object changed after its header was read', async () => {
    const source = openSource(url);
    const { header, info } = await readHeader(source);
    etag = '"v2"';
    try {
      await assert.rejects(readWindow(header, source, { x: 0, y: 0, width: 10, height: 10 }, { etag: info.etag }), ObjectChangedError);
    } finally {
      etag = '"v1"';
    }
  });
});

describe('a COG in an S3-compatible store (s3rver, signed requests)', () => {
  interface S3rver { run(): Promise<{ port: number }>; close(): Promise<void> }
  const S3rver = createRequire(import.meta.url)('s3rver') as new (o: Record<string, unknown>) => S3rver;
  let s3: S3rver;
  let dir = '';
  let endpoint = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taoguan-cog-s3-'));
    s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: 'imagery' }] });
    endpoint = `http://127.0.0.1:${(await s3.run()).port}`;
    const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    await client.send(new PutObjectCommand({ Bucket: 'imagery', Key: `cn/${cog.file}`, Body: await readFile(fixturePath(cog.file)) }));
    client.destroy();
  });
  after(async () => {
    await closeS3Clients();
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads header and pixels equal to the local file', async () => {
    const source = openSource(`s3://imagery/cn/${cog.file}`, {
      endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    const { header, requests } = await readHeader(source);
    assert.equal(requests, 1);
    const win = { x: 30, y: 40, width: 150, height: 120 };
    const remote = await readWindow(header, source, win, { level: 1 });
    const local = await readWindow(header, await MemorySource.fromFile(fixturePath(cog.file)), win, { level: 1 });
    assert.deepEqual(remote.bands, local.bands);
  });

  it('`taoguan info s3://…` works with the endpoint from the environment', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [new URL('../bin/taoguan.mjs', import.meta.url).pathname, 'info', `s3://imagery/cn/${cog.file}`, '--json'], {
      env: { ...process.env, TAOGUAN_S3_ENDPOINT: endpoint, TAOGUAN_S3_PATH_STYLE: '1', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' },
      encoding: 'utf8',
    });
    const d = JSON.parse(stdout);
    assert.equal(d.width, cog.width);
    assert.equal(d.isCog, true);
  });
});
