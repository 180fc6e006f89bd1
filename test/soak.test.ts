/**
 * Soak (issue #9): the API in its own process on loopback under autocannon for 25 s — hot tiles that
 * stay cached mixed with ~300 that churn through caches smaller than the set — answers every request
 * 200, keeps every cache within its byte budget, and its memory is flat after warm-up (no leak).
 * `npm run bench` runs the same for minutes over the 10980² COG.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openCatalog } from '../lib/catalog/open.ts';
import { ingestObject } from '../lib/ingest/ingest.ts';
import { soak } from './support/soak.ts';
import { bigCogTiles, makeBigCog } from './big-cog.ts';

let dir = '';
let catalog = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taoguan-soak-'));
  const cog = makeBigCog(dir);
  catalog = `sqlite:${join(dir, 'catalog.db')}`;
  const c = await openCatalog(catalog);
  await c.create([{ name: 'band' }]);
  await ingestObject(c, cog, ['B04']);
  await c.close();
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('25 s of mixed cached and uncached tiles: no errors, caches within budget, memory flat', { timeout: 120_000 }, async () => {
  const tile = (t: string, colormap: string) => `/singleband/B04/${t}.png?colormap=${colormap}&stretch_range=[1000,2500]`;
  const hot = bigCogTiles([11, 12], 4).map((t) => tile(t, 'viridis'));
  const cold = bigCogTiles([10, 11, 12, 13, 14, 15, 16], 24).flatMap((t) => [tile(t, 'magma'), tile(t, 'terrain')]);
  const r = await soak({ catalog, hot, cold, seconds: 25, caches: '1/4', samples: 5 });
  const first = r.samples[0], last = r.samples[r.samples.length - 1];
  console.log(`soak: ${r.requests} requests, ${r.errors} errors, ${r.non2xx} non-2xx, p50 ${r.p50} ms, p99 ${r.p99} ms; after warm-up RSS ${first.rssMb.toFixed(0)} → ${last.rssMb.toFixed(0)} MB, heap ${first.heapUsedMb.toFixed(1)} → ${last.heapUsedMb.toFixed(1)} MB`);
  assert.ok(cold.length > 250 && r.requests > cold.length, 'the cold set was walked at least once');
  assert.equal(r.errors, 0, 'no socket errors or timeouts');
  assert.equal(r.non2xx, 0, 'every answer 2xx');
  for (const s of r.samples) for (const c of s.caches) assert.ok(c.bytes <= c.budget, `${c.name} cache ${c.bytes} B within its ${c.budget} B budget`);
  assert.ok(r.samples.some((s) => s.caches.find((c) => c.name === 'tiles')!.bytes > 0.5 * 2 ** 20), 'the tile cache was in use (filled past half)');
  // Flat: live heap (after a full GC) and RSS stop growing once caches are full.
  assert.ok(last.heapUsedMb - first.heapUsedMb < 4, `live heap grew ${(last.heapUsedMb - first.heapUsedMb).toFixed(1)} MB after warm-up`);
  assert.ok(Math.max(...r.samples.map((s) => s.rssMb)) - first.rssMb < 20, 'RSS flat after warm-up (< 20 MB drift)');
});
