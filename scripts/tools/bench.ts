import { benchBundles } from './bench/bundles.ts';
import { benchCatalogs } from './bench/catalogs.ts';
import { benchCogRead } from './bench/cog-read.ts';
import { benchFresh, FRESH_MODES } from './bench/fresh.ts';
import { benchFunctionMemory } from './bench/function-memory.ts';
import { benchIngest } from './bench/ingest.ts';
import { benchMosaic } from './bench/mosaic.ts';
import { benchOptimize } from './bench/optimize.ts';
import { benchOptimizeVsGdal } from './bench/optimize-gdal.ts';
import { benchPipelining } from './bench/pipelining.ts';
import { benchRender } from './bench/render.ts';
import { benchServe } from './bench/serve.ts';
import { benchSoak } from './bench/soak.ts';
import { benchTiles } from './bench/tiles.ts';
import { benchWebp } from './bench/webp.ts';

/**
 * `npm run bench`: a benchmark, not a test. Figures go to stdout, and as JSON with --json.
 * `npm run bench -- fresh viewport` runs only the modes named (every mode when none is).
 */
const MODES = ['cog-read', 'ingest', 'catalogs', 'mosaic', 'render', 'webp', 'tiles', 'serve', 'fresh', 'viewport', 'cached', 'pipelining', 'soak', 'bundles', 'function-memory', 'optimize', 'optimize-gdal'] as const;
type Mode = (typeof MODES)[number];
const asked = process.argv.slice(2).filter((a) => !a.startsWith('--'));
for (const a of asked) if (!(MODES as readonly string[]).includes(a)) throw new Error(`bench: no mode ${JSON.stringify(a)} (modes: ${MODES.join(', ')})`);
const run = (m: Mode) => asked.length === 0 || asked.includes(m);

const results: Record<string, unknown> = {};
if (run('cog-read')) results.cogRead = await benchCogRead();
// Before the tile bench, which holds the whole COG in memory: ingest's peak RSS is its own.
if (run('ingest')) results.ingest = await benchIngest();
if (run('catalogs')) {
  console.log('catalogs — a cold lookup in a published 10,000-dataset SQLite catalog by ranges vs downloaded whole; uncached lookups on SQLite, PostgreSQL, MySQL');
  results.catalogs = await benchCatalogs();
}
// source selection over 10,000 rows on each store, then a mosaic tile's CPU against one scene's
if (run('mosaic')) results.mosaic = await benchMosaic();
if (run('render')) results.render = await benchRender();
if (run('webp')) results.webp = await benchWebp();
if (run('tiles')) results.tiles = await benchTiles();
if (run('serve')) {
  console.log(`serve — taoguan serve (workers = cores) on loopback, autocannon with 4 connections`);
  results.serve = await benchServe();
}
if (FRESH_MODES.some(run)) results.fresh = await benchFresh(FRESH_MODES.filter(run));
if (run('pipelining')) {
  console.log('pipelining — taoguan serve --workers 1, 4 raw sockets × 300 pipelined 1024 px tiles written at once, RSS sampled every 50 ms');
  results.pipelining = await benchPipelining();
}
if (run('soak')) {
  console.log(`soak — the API under autocannon (4 connections) for ${process.env.TAOGUAN_SOAK_SECONDS ?? 180} s, cached and uncached tiles mixed`);
  results.soak = await benchSoak();
}
// Always rebuilt: a dist/ left from older code would be measured instead of this one.
if (run('bundles')) results.bundles = await benchBundles({ rebuild: true });
if (run('function-memory')) {
  console.log('128 MB function — the AWS tiles bundle as Lambda starts it, 4 requests at once, 15 s over the serve tiles');
  results.functionMemory = await benchFunctionMemory();
}
if (run('optimize')) results.optimize = await benchOptimize();
if (run('optimize-gdal')) results.optimizeVsGdal = await benchOptimizeVsGdal();
if (process.argv.includes('--json')) console.log(JSON.stringify(results, null, 2));
