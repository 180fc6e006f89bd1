/**
 * Function memory vs caps: the valid 266 KB COG whose one 8192² uint32 block decodes to
 * 256 MiB took ingest to 1.2 GB and one z0 tile to ~640 MB, inside the default caps and far past a
 * function's memory. The built AWS bundles, started as Lambda starts a 128 MB function and watched
 * by a watchdog that kills them past 400 MB, must refuse it clearly (tiles: 422; ingest: an
 * 'invalid' record, not a retried batch) within their memory, and still serve what fits.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { MALLOC_ENV } from '../lib/util/index.ts';
import type { DatasetMetadata } from '../lib/catalog/catalog.ts';
import { openCatalog } from '../lib/catalog/open.ts';
import { ingestObject } from '../lib/ingest/ingest.ts';
import { FileSource } from '../lib/source/file.ts';
import { readHeader } from '../lib/tiff/parse.ts';
import { build } from '../scripts/tools/build.ts';
import { runCapped } from './support/capped-child.ts';
import { checkFunctionMemory } from './support/function-memory.ts';
import { bigCogTiles, makeBigCog, makeOneBlockCog } from './big-cog.ts';
import { LocalS3, s3Event } from './ingest-harness.ts';

const MEMORY_MB = 128;
/** Where the watchdog kills an instance: far above 128 MB, far below what the COG made them take. */
const CAP_MB = 400;

describe('a 128 MB function refuses what cannot fit, within its memory', () => {
  let dir = '', dist = '', oneBlock = '', big = '';
  const s3 = new LocalS3();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taoguan-caps-'));
    dist = join(dir, 'dist');
    await build({ outDir: dist, providers: ['aws'] });
    oneBlock = makeOneBlockCog(dir);
    big = makeBigCog(dir);
    await s3.start(['cogs']);
  });

  after(async () => {
    await s3.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('tiles: a z0 tile of the one-block COG is a 422 naming the cap; tiles that fit are drawn; peak RSS under 128 MB', { timeout: 180_000 }, async () => {
    const catalog = await openCatalog(`sqlite:${join(dir, 'tiles.db')}`);
    await catalog.create([{ name: 'name' }]);
    await ingestObject(catalog, big, ['big']);
    // Ingesting it here would cost this process the 1.2 GB the issue measured; the raster is all 7s,
    // so its statistics are known exactly, and the header is the real one, read from the file.
    const source = new FileSource(oneBlock);
    const { header, info } = await readHeader(source);
    await source.close();
    const metadata: DatasetMetadata = {
      bounds: [-180, -85, 180, 85], footprint: { type: 'Polygon', coordinates: [[[-180, -85], [180, -85], [180, 85], [-180, 85], [-180, -85]]] },
      validPercent: 100, min: 7, max: 7, mean: 7, stdev: 0, percentiles: new Array(99).fill(7), statsLevel: 0, exact: true,
    };
    await catalog.put({ keys: ['one'], location: oneBlock, etag: info.etag, size: info.size, lastModified: info.lastModified, header, metadata });
    await catalog.close();
    const paths = ['/singleband/one/0/0/0.png?stretch_range=[0,10]', ...bigCogTiles([11, 13, 15], 4).map((t) => `/singleband/big/${t}.png?stretch_range=[1000,2500]`)];
    const r = await checkFunctionMemory({
      bundleDir: join(dist, 'aws', 'tiles'), catalog: `sqlite:${join(dir, 'tiles.db')}?mode=ro`, folder: `${dir}/`, paths, seconds: 3, concurrency: 1, memoryMb: MEMORY_MB, capMb: CAP_MB,
    });
    console.log(`one-block COG, 128 MB tiles function: peak RSS ${r.peakMb} MB${r.killed ? ' (killed by the watchdog)' : ''}, ${JSON.stringify(r.statuses)}`);
    assert.ok(!r.killed, `the instance grew past ${CAP_MB} MB`);
    assert.deepEqual(Object.keys(r.statuses).sort(), ['200', '422']);
    assert.match(r.firstError ?? '', /^422 \/singleband\/one\/0\/0\/0\.png.*would decode 256\.0 MiB of samples, above this server's cap of [\d.]+ MiB per request \(maxDecodedBytes\)/);
    assert.ok(r.peakMb < MEMORY_MB, `peak RSS ${r.peakMb} MB in a ${MEMORY_MB} MB function`);
  });

  it('ingest: the one-block COG is an invalid record naming the cap (the invocation does not throw); a COG that fits is ingested; peak RSS under 128 MB', { timeout: 180_000 }, async () => {
    for (const [key, file] of [['cogs/one.tif', oneBlock], ['cogs/big.tif', big]]) await s3.client.send(new PutObjectCommand({ Bucket: 'cogs', Key: key, Body: await readFile(file) }));
    const uri = `sqlite:${join(dir, 'ingest.db')}`;
    const catalog = await openCatalog(uri);
    await catalog.create([{ name: 'name' }]);
    await catalog.close();
    const event = s3Event(['ObjectCreated:Put', 'cogs', 'cogs/one.tif'], ['ObjectCreated:Put', 'cogs', 'cogs/big.tif']);
    const script = `require(${JSON.stringify(join(dist, 'aws', 'ingest', 'index.js'))}).handler(${JSON.stringify(event)}, {}).then((r) => {
      const hwm = /VmHWM:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1];
      process.stdout.write('\\n@@' + JSON.stringify({ results: r, peakMb: Math.round(hwm / 1024) }));
    }, (e) => { console.error(e); process.exit(1); })`;
    // Lambda's Node flags for 128 MB, and the memory the context gives the function.
    const run = await runCapped(process.execPath, ['--max-semi-space-size=1', `--max-old-space-size=${MEMORY_MB - 12}`, '-e', script], {
      capMb: CAP_MB,
      env: {
        PATH: process.env.PATH, ...MALLOC_ENV, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(MEMORY_MB), TAOGUAN_CATALOG: uri, TAOGUAN_PATTERN: 's3://cogs/cogs/{name}.tif',
        TAOGUAN_STORE_ENDPOINT: s3.endpoint, TAOGUAN_STORE_PATH_STYLE: '1', TAOGUAN_STORE_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER',
      },
    });
    assert.ok(!run.killed, `the instance grew past ${CAP_MB} MB`);
    assert.equal(run.code, 0, run.stderr.slice(-1000));
    const { results, peakMb } = JSON.parse(run.stdout.slice(run.stdout.lastIndexOf('\n@@') + 3)) as { results: { status: string; message?: string }[]; peakMb: number };
    console.log(`one-block COG, 128 MB ingest function: peak RSS ${peakMb} MB, ${results.map((r) => r.status).join(', ')}`);
    assert.deepEqual(results.map((r) => r.status), ['invalid', 'inserted']);
    assert.match(results[0].message ?? '', /one\.tif: its statistics, read at full resolution \(8192×8192; no overview of at least 1024 px\), would decode 67\.1 M pixels: more than the cap of [\d.]+ M pixels \(maxDecodedPixels\); add overviews/);
    assert.ok(peakMb < MEMORY_MB, `peak RSS ${peakMb} MB in a ${MEMORY_MB} MB function`);
  });
});
