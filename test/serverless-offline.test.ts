/**
 * The built AWS tiles function behind a real emulator of API Gateway HTTP API + Lambda:
 * serverless-offline (npm) runs serverless.yml as written — the prebuilt dist/aws/tiles.zip, its
 * handler, its environment resolved from the command's own (deploy/aws-settings.cjs) — with a
 * local SQLite catalog of a COG kept in a local S3-compatible server (s3rver). Tiles and TileJSON
 * come back through the emulator's HTTP API as a browser would get them. (~30 s: a build and the
 * framework's start.)
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import UPNG from 'upng-js';
import { parse, stringify } from 'yaml';
import { openCatalog } from '../lib/catalog/index.ts';
import { ingestObject } from '../lib/ingest/index.ts';
import { build } from '../scripts/tools/build.ts';
import { fixturePath } from './helpers.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
interface S3rver { run(): Promise<{ port: number }>; close(): Promise<void> }
const S3rver = createRequire(import.meta.url)('s3rver') as new (options: Record<string, unknown>) => S3rver;

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number };
    s.close(() => resolve(port));
  });
});

describe('the built AWS tiles function in serverless-offline', { timeout: 240_000 }, () => {
  let dir = '';
  let s3rver: S3rver;
  let offline: ChildProcess | undefined;
  let base = '';
  let log = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taoguan-offline-'));
    await build({ outDir: join(dir, 'dist'), providers: ['aws'] });

    // the origin: a bucket on a local S3-compatible server, holding one COG
    s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(dir, 's3'), configureBuckets: [{ name: 'cogs' }] });
    const endpoint = `http://127.0.0.1:${(await s3rver.run()).port}`;
    const s3env = { TAOGUAN_S3_ENDPOINT: endpoint, TAOGUAN_S3_PATH_STYLE: '1', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
    const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    await client.send(new PutObjectCommand({ Bucket: 'cogs', Key: 'cogs/beijing.tif', Body: await readFile(fixturePath('u16-4band-deflate-p2-meta-utm50.tif')) }));
    client.destroy();

    // the catalog, ingested from the bucket as the ingest function would
    Object.assign(process.env, s3env);
    const catalog = await openCatalog(`sqlite:${join(dir, 'catalog.db')}`);
    await catalog.create([{ name: 'name' }]);
    await ingestObject(catalog, 's3://cogs/cogs/beijing.tif', ['beijing']);
    await catalog.close();

    // serverless.yml as shipped, plus the emulator plugin; the framework finds it through node_modules
    const config = parse(await readFile(join(ROOT, 'serverless.yml'), 'utf8'));
    const httpPort = await freePort(), lambdaPort = await freePort();
    config.plugins = ['serverless-offline'];
    config.custom['serverless-offline'] = { host: '127.0.0.1', httpPort, lambdaPort, noPrependStageInUrl: true };
    await writeFile(join(dir, 'serverless.yml'), stringify(config));
    await mkdir(join(dir, 'deploy'));
    for (const f of ['aws-settings.cjs', 'settings.cjs']) await copyFile(join(ROOT, 'deploy', f), join(dir, 'deploy', f));
    await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    await mkdir(join(dir, 'home'));

    const env = {
      PATH: process.env.PATH ?? '', HOME: join(dir, 'home'), SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', SLS_DEPRECATION_DISABLE: '*',
      // the two settings the README exports before deploying
      TAOGUAN_BUCKET: 'cogs', TAOGUAN_CATALOG: `sqlite:${join(dir, 'catalog.db')}`,
      // the local origin: reaches the function through --localEnvironment (a real Lambda reads S3 itself)
      ...s3env,
    };
    offline = spawn(join(ROOT, 'node_modules/.bin/serverless'), ['offline', 'start', '--localEnvironment'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serverless offline did not start: ${log}`)), 120_000);
      const look = (d: Buffer) => {
        log += d;
        if (/Server ready/.test(log)) { clearTimeout(timer); resolve(); }
      };
      offline!.stdout!.on('data', look);
      offline!.stderr!.on('data', look);
      offline!.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serverless offline exited ${code}: ${log}`)); });
    });
    offline.removeAllListeners('exit');
    base = `http://127.0.0.1:${httpPort}`;
  });

  after(async () => {
    if (offline?.pid) {
      const exited = new Promise((r) => offline!.once('exit', r));
      try { process.kill(-offline.pid, 'SIGTERM'); } catch { /* gone */ }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      try { process.kill(-offline.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await s3rver?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers TileJSON with tile URLs on the HTTP API it is reached through', async () => {
    const res = await fetch(`${base}/singleband/beijing/tilejson.json?colormap=viridis`);
    assert.equal(res.status, 200, log);
    assert.match(res.headers.get('content-type')!, /application\/json/);
    const tilejson = await res.json() as { tiles: string[]; bounds: number[]; minzoom: number; maxzoom: number };
    // the adapter writes https (API Gateway's only scheme); the emulator's host and port come through
    assert.ok(tilejson.tiles[0].replace(/^https:/, 'http:').startsWith(`${base}/singleband/beijing/{z}/{x}/{y}.png`), tilejson.tiles[0]);
    assert.ok(tilejson.bounds[0] > 115 && tilejson.bounds[2] < 118, `Beijing's longitude: ${tilejson.bounds}`);
    assert.ok(tilejson.maxzoom >= tilejson.minzoom);
  });

  it('answers a tile read from the S3 origin: a real PNG, binary intact through the emulator', async () => {
    const tilejson = await (await fetch(`${base}/singleband/beijing/tilejson.json`)).json() as { center: [number, number, number]; maxzoom: number };
    const [lon, lat] = tilejson.center;
    const z = tilejson.maxzoom;
    const x = Math.floor(((lon + 180) / 360) * 2 ** z);
    const y = Math.floor(((1 - Math.asinh(Math.tan((lat * Math.PI) / 180)) / Math.PI) / 2) * 2 ** z);
    const res = await fetch(`${base}/singleband/beijing/${z}/${x}/${y}.png?colormap=viridis&stretch_range=[7000,15600]`);
    assert.equal(res.status, 200, log);
    assert.equal(res.headers.get('content-type'), 'image/png');
    const png = UPNG.decode(await res.arrayBuffer());
    assert.deepEqual([png.width, png.height], [256, 256]);
    const rgba = new Uint8Array(UPNG.toRGBA8(png)[0]);
    const colours = new Set<number>();
    for (let i = 0; i < rgba.length; i += 4) if (rgba[i + 3] === 255) colours.add((rgba[i] << 16) | (rgba[i + 1] << 8) | rgba[i + 2]);
    assert.ok(colours.size > 10, `pixels from the COG, not a blank tile (${colours.size} colours)`);
  });

  it('answers errors as the API does: an unknown dataset is a 404 with a JSON message', async () => {
    const res = await fetch(`${base}/singleband/nowhere/10/843/388.png`);
    assert.equal(res.status, 404);
    assert.ok(((await res.json()) as { message: string }).message);
  });
});
