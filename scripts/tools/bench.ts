import { benchBundles } from './bench/bundles.ts';
import { benchCatalogs } from './bench/catalogs.ts';
import { benchCogRead } from './bench/cog-read.ts';
import { benchFunctionMemory } from './bench/function-memory.ts';
import { benchIngest } from './bench/ingest.ts';
import { benchOptimize } from './bench/optimize.ts';
import { benchPipelining } from './bench/pipelining.ts';
import { benchRender } from './bench/render.ts';
import { benchServe } from './bench/serve.ts';
import { benchSoak } from './bench/soak.ts';
import { benchTiles } from './bench/tiles.ts';
import { benchWebp } from './bench/webp.ts';

/** `npm run bench`: a benchmark, not a test. Figures go to stdout, and as JSON with --json. */
const results: Record<string, unknown> = {};
results.cogRead = await benchCogRead();
// Before the tile bench, which holds the whole COG in memory: ingest's peak RSS is its own.
results.ingest = await benchIngest();
console.log('catalogs — a cold lookup in a published 10,000-dataset SQLite catalog by ranges vs downloaded whole; uncached lookups on SQLite, PostgreSQL, MySQL');
results.catalogs = await benchCatalogs();
results.render = await benchRender();
results.webp = await benchWebp();
results.tiles = await benchTiles();
console.log(`serve — taoguan serve (workers = cores) on loopback, autocannon with 4 connections`);
results.serve = await benchServe();
console.log('pipelining — taoguan serve --workers 1, 4 raw sockets × 300 pipelined 1024 px tiles written at once, RSS sampled every 50 ms');
results.pipelining = await benchPipelining();
console.log(`soak — the API under autocannon (4 connections) for ${process.env.TAOGUAN_SOAK_SECONDS ?? 180} s, cached and uncached tiles mixed`);
results.soak = await benchSoak();
// Always rebuilt: a dist/ left from older code would be measured instead of this one.
results.bundles = await benchBundles({ rebuild: true });
console.log('128 MB function — the AWS tiles bundle as Lambda starts it, 4 requests at once, 15 s over the serve tiles');
results.functionMemory = await benchFunctionMemory();
results.optimize = await benchOptimize();
if (process.argv.includes('--json')) console.log(JSON.stringify(results, null, 2));
