/**
 * Issue #13, item 1: one connection carrying 300 pipelined 1024 px tile requests took a `serve`
 * worker from 65 MB to 1.6–3 GB in seconds, whether or not the client read the answers. Here four
 * raw sockets each write 300 such requests at once, against `taoguan serve --workers 1` over a
 * 4096² COG, once reading the answers and once never reading; the worker's RSS is sampled every
 * 50 ms, and the probe kills the server past a ceiling, so this test can never take the machine
 * with it. With one request of a connection at a time, four connections are at most four renders.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openCatalog } from '../lib/catalog/open.ts';
import { ingestObject } from '../lib/ingest/ingest.ts';
import { probeServe, type ServeProbeOptions } from './support/pipelining.ts';
import { bigCogTiles, makeBigCog } from './big-cog.ts';

/** Past this the server is killed and the test fails: far below the GBs of the bug, far above a worker's ~150 MB. */
const CEILING_MB = 600;
/** A worker's working set (caches full, ~150 MiB) plus four renders in flight at 32 MiB each (~280 MiB). */
const BOUND_MB = 300;
const COLORMAPS = ['viridis', 'magma', 'terrain', 'inferno'];

describe('pipelining against taoguan serve', () => {
  let dir = '';
  let options: ServeProbeOptions;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taoguan-pipelining-'));
    const catalog = `sqlite:${join(dir, 'catalog.db')}`;
    const c = await openCatalog(catalog);
    await c.create([{ name: 'band' }]);
    await ingestObject(c, makeBigCog(dir), ['B04']);
    await c.close();
    const tiles = bigCogTiles([12, 13, 14, 15], 75);
    // 300 distinct 1024 px tiles per connection (no two share a render or a cached answer)
    options = {
      catalog, connections: 4, seconds: 8, ceilingMb: CEILING_MB,
      paths: (i) => Array.from({ length: 300 }, (_, k) => `/singleband/B04/${tiles[k % tiles.length]}.png?tile_size=[1024,1024]&colormap=${COLORMAPS[i]}&stretch_range=[1000,${2500 + Math.floor(k / tiles.length)}]`),
    };
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('4 × 300 pipelined 1024 px tiles, answers read: RSS bounded, every answer a 200', { timeout: 120_000 }, async () => {
    const r = await probeServe(options, true);
    console.log(`read: idle ${r.idleRssMb} MiB, peak ${r.probe.peakRssMb} MiB, ${r.probe.answers} answers ${JSON.stringify(r.probe.statuses)}`);
    assert.ok(!r.probe.ceilingHit, `the worker passed ${CEILING_MB} MiB and was killed`);
    assert.ok(r.probe.peakRssMb < BOUND_MB, `peak RSS ${r.probe.peakRssMb} MiB`);
    assert.ok(r.probe.answers >= 4, `${r.probe.answers} answers`);
    assert.deepEqual(Object.keys(r.probe.statuses), ['200']);
    assert.ok(r.alive, '/healthz answers meanwhile');
  });

  it('4 × 300 pipelined 1024 px tiles, answers never read: RSS bounded, the server still answers others', { timeout: 120_000 }, async () => {
    const r = await probeServe(options, false);
    console.log(`never read: idle ${r.idleRssMb} MiB, peak ${r.probe.peakRssMb} MiB`);
    assert.ok(!r.probe.ceilingHit, `the worker passed ${CEILING_MB} MiB and was killed`);
    assert.ok(r.probe.peakRssMb < BOUND_MB, `peak RSS ${r.probe.peakRssMb} MiB`);
    assert.ok(r.alive, '/healthz answers while four connections sit on unread answers');
  });
});
