import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BASE_MB, cacheBudget, ingestCaps, memoryLimitMb, requestMemory, tileCaps } from '../functions/memory.ts';

test('the instance memory comes from each provider\'s context, else Lambda\'s environment', () => {
  assert.equal(memoryLimitMb({ memoryLimitInMB: '128' }, {}), 128); // Lambda
  assert.equal(memoryLimitMb({ memory_limit_in_mb: 256 }, {}), 256); // SCF
  assert.equal(memoryLimitMb({ function: { memory: 512 } }, {}), 512); // FC
  assert.equal(memoryLimitMb(undefined, { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024' }), 1024);
  assert.equal(memoryLimitMb({ memoryLimitInMB: 'lots' }, {}), undefined);
  assert.equal(memoryLimitMb(undefined, {}), undefined);
});

test('caches shrink with the instance and never pass the API defaults', () => {
  const at = (mb: number) => cacheBudget(mb);
  const mib = (n?: number) => (n ?? NaN) / 2 ** 20;
  assert.deepEqual(cacheBudget(undefined), {});
  assert.ok(mib(at(128).tileCacheBytes) + mib(at(128).blockCacheBytes) <= 9, '128 MB: under 9 MB of caches');
  assert.ok(mib(at(128).tileCacheBytes) > mib(at(128).blockCacheBytes), 'tiles get the larger share (a hit skips the render)');
  assert.deepEqual(at(3008), { tileCacheBytes: 16 * 2 ** 20, blockCacheBytes: 24 * 2 ** 20 });
  assert.ok(mib(at(64).tileCacheBytes) > 0, 'even a tiny instance keeps a little');
});

test('read caps come from TAOGUAN_MAX_SOURCE_MB / TAOGUAN_MAX_DECODED_MPIXELS, checked at cold start', async () => {
  const { tilesConfig, ConfigError } = await import('../functions/config.ts');
  const base = { TAOGUAN_CATALOG: 'sqlite:/tmp/c.db' };
  const config = tilesConfig({ ...base, TAOGUAN_MAX_SOURCE_MB: '64', TAOGUAN_MAX_DECODED_MPIXELS: '32' });
  assert.equal(config.maxSourceBytes, 64 * 2 ** 20);
  assert.equal(config.maxDecodedPixels, 32 * 2 ** 20);
  assert.equal(tilesConfig(base).maxSourceBytes, undefined, 'unset: the API default');
  for (const bad of ['0', '-1', '1.5', 'lots']) {
    assert.throws(() => tilesConfig({ ...base, TAOGUAN_MAX_SOURCE_MB: bad }), (e: Error) => e instanceof ConfigError && e.message.includes('TAOGUAN_MAX_SOURCE_MB'));
  }
});

test('per-request caps are what the memory leaves after Node, the bundle and the caches; unknown memory keeps the API defaults', () => {
  const MiB = 2 ** 20;
  assert.equal(requestMemory(undefined, 0), undefined);
  assert.deepEqual(tileCaps(undefined), {});
  assert.deepEqual(ingestCaps(undefined), {});
  const at128 = cacheBudget(128);
  const free128 = requestMemory(128, at128.tileCacheBytes! + at128.blockCacheBytes!)!;
  assert.equal(free128, (128 - BASE_MB) * MiB - at128.tileCacheBytes! - at128.blockCacheBytes!);
  const tiles = tileCaps(free128);
  // One request at both caps (its fetched bytes + ~2.5× its decoded samples) fits in what is left.
  assert.ok(tiles.maxSourceBytes! + 2.5 * tiles.maxDecodedBytes! <= free128);
  // The 8192² uint32 block (256 MiB decoded) and a 4096² one (64 MiB) are refused at 128 MB;
  // a 256 px RGB tile of three Sentinel-2 bands with masks (3 × (4 × 512² uint16 + 4 × 512² mask) = 9 MiB) is not.
  assert.ok(tiles.maxDecodedBytes! < 64 * MiB && tiles.maxDecodedBytes! > 9 * MiB, `${tiles.maxDecodedBytes! / MiB} MiB`);
  // Ingest keeps a float64 per pixel of its statistics level besides the blocks of a strip.
  const ingest = ingestCaps(requestMemory(128, 0))!;
  assert.ok(8 * ingest.maxDecodedPixels! + ingest.maxSourceBytes! + 2.5 * ingest.maxDecodedBytes! <= requestMemory(128, 0)!);
  // A Sentinel-2 band's statistics come from its 1373² overview: alone it fits at 128 MB, with its mask from 160 MB.
  assert.ok(ingest.maxDecodedPixels! > 1373 ** 2);
  assert.ok(ingestCaps(requestMemory(160, 0)).maxDecodedPixels! > 2 * 1373 ** 2);
});

test('TAOGUAN_MAX_DECODED_MB joins the read caps; the ingest function reads all three', async () => {
  const { tilesConfig, ingestConfig } = await import('../functions/config.ts');
  const env = { TAOGUAN_CATALOG: 'sqlite:/tmp/c.db', TAOGUAN_MAX_DECODED_MB: '48', TAOGUAN_MAX_SOURCE_MB: '16', TAOGUAN_MAX_DECODED_MPIXELS: '8' };
  assert.equal(tilesConfig(env).maxDecodedBytes, 48 * 2 ** 20);
  const ingest = ingestConfig({ ...env, TAOGUAN_PATTERN: 's3://b/{name}.tif' });
  assert.deepEqual([ingest.maxSourceBytes, ingest.maxDecodedPixels, ingest.maxDecodedBytes], [16 * 2 ** 20, 8 * 2 ** 20, 48 * 2 ** 20]);
  assert.throws(() => tilesConfig({ ...env, TAOGUAN_MAX_DECODED_MB: '0' }), /TAOGUAN_MAX_DECODED_MB=0: expected a whole number from 1 to 65536/);
});

test('the catalog stale window comes from TAOGUAN_CATALOG_STALE_SECONDS, checked at cold start, and reaches the tiles catalog', async () => {
  const { tilesConfig, ConfigError } = await import('../functions/config.ts');
  const { tilesApi } = await import('../functions/runtime.ts');
  const { CachedCatalog } = await import('../lib/catalog/cache.ts');
  const base = { TAOGUAN_CATALOG: 'sqlite:/tmp/taoguan-never-opened.db' };
  assert.equal(tilesConfig(base).catalogStaleMs, undefined, 'unset: the cache default');
  assert.equal(tilesConfig({ ...base, TAOGUAN_CATALOG_STALE_SECONDS: '0' }).catalogStaleMs, 0);
  for (const bad of ['-1', '1.5', 'an hour', '604801']) {
    assert.throws(() => tilesConfig({ ...base, TAOGUAN_CATALOG_STALE_SECONDS: bad }),
      (e: Error) => e instanceof ConfigError && e.message.includes(`TAOGUAN_CATALOG_STALE_SECONDS=${bad}: expected whole seconds from 0 to 604800`));
  }
  const api = await tilesApi(tilesConfig({ ...base, TAOGUAN_CATALOG_STALE_SECONDS: '120' }));
  const catalog = api.context.catalog;
  assert.ok(catalog instanceof CachedCatalog);
  assert.equal(catalog.staleMs, 120_000);
  await catalog.close();
});
