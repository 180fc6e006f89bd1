/**
 * The 128 MB check (issue #9): the built AWS tiles bundle, started as Lambda's Node runtime starts a
 * 128 MB function (its heap flags, through our lambda-wrapper.sh) with the environment the deployment
 * files set, serves 4 requests at once — singleband, rgb and band math over a 4096² uint16 COG, cold
 * then warm — and its peak RSS stays under 110 MB. Without the wrapper and MALLOC_ENV the same run
 * peaks far higher (it is measured and printed, so a regression in either is visible).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openCatalog } from '../lib/catalog/open.ts';
import { ingestObject } from '../lib/ingest/ingest.ts';
import { build } from '../scripts/tools/build.ts';
import { checkFunctionMemory } from './support/function-memory.ts';
import { MALLOC_ENV } from '../lib/util/index.ts';
import { bigCogTiles, makeBigCog } from './big-cog.ts';

let dir = '';
let catalog = '';
const paths: string[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taoguan-mem128-'));
  const cog = makeBigCog(dir);
  catalog = `sqlite:${join(dir, 'catalog.db')}`;
  const c = await openCatalog(catalog);
  await c.create([{ name: 'band' }]);
  for (const band of ['B04', 'B08']) await ingestObject(c, cog, [band]);
  await c.close();
  catalog += '?mode=ro';
  // ~100 tiles z10–15 over the raster, three styles.
  bigCogTiles([10, 11, 12, 13, 14, 15], 16).forEach((t, i) => {
    paths.push(`/singleband/B04/${t}.png?colormap=viridis&stretch_range=[1000,2500]`);
    if (i % 4 === 1) paths.push(`/rgb/${t}.png?r=B04&g=B08&b=B04&r_range=[1000,2500]&g_range=[1000,2500]&b_range=[1000,2500]`);
    if (i % 4 === 3) paths.push(`/compute/${t}.png?expression=(v1-v2)/(v1%2Bv2%2B1)&v1=B04&v2=B08&stretch_range=[-1,1]&colormap=rdylgn`);
  });
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('deployment files and serve set the same malloc environment', async () => {
  for (const file of ['serverless.yml', 's.yaml', 'tencent/tiles/serverless.yml']) {
    const text = await readFile(new URL(`../${file}`, import.meta.url), 'utf8');
    for (const [name, value] of Object.entries(MALLOC_ENV)) assert.match(text, new RegExp(`${name}: ['"]?${value}['"]?`), `${file} sets ${name}=${value}`);
  }
});

test('lambda-wrapper.sh rewrites only the runtime\'s semi-space flag', () => {
  const script = new URL('../adapters/aws-lambda-wrapper.sh', import.meta.url).pathname;
  const probe = join(dir, 'argv.cjs');
  writeFileSync(probe, 'console.log(process.execArgv.join(" "))');
  const out = execFileSync('bash', [script, process.execPath, '--expose-gc', '--max-semi-space-size=6', '--max-old-space-size=116', probe]).toString().trim();
  assert.equal(out, '--expose-gc --max-semi-space-size=1 --max-old-space-size=116');
});

test('the tiles bundle serves 4 concurrent requests in a 128 MB Lambda under 110 MB RSS', { timeout: 1_500_000 }, async () => {
  const dist = join(dir, 'dist');
  await build({ outDir: dist, providers: ['aws'] });
  const bundleDir = join(dist, 'aws', 'tiles');
  const ours = await checkFunctionMemory({ bundleDir, catalog, folder: `${dir}/`, paths, seconds: 8 });
  const bare = await checkFunctionMemory({ bundleDir, catalog, folder: `${dir}/`, paths, seconds: 8, bare: true });
  console.log(`128 MB function, 4 concurrent: peak RSS ${ours.peakMb} MB (${ours.requests} requests); as Lambda starts Node without our settings: ${bare.peakMb} MB`);
  assert.deepEqual(Object.keys(ours.statuses), ['200'], `every request answered 200: ${JSON.stringify(ours.statuses)} ${ours.firstError ?? ''}`);
  assert.ok(ours.requests > paths.length, 'the list was served through at least once (cold, then warm)');
  assert.ok(ours.peakMb < 110, `peak RSS ${ours.peakMb} MB, the budget is 110 MB`);
});
