import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cacheBudget, memoryLimitMb } from '../functions/memory.ts';

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
  assert.ok(mib(at(128).blockCacheBytes) > mib(at(128).tileCacheBytes), 'blocks get the larger share');
  assert.deepEqual(at(3008), { tileCacheBytes: 16 * 2 ** 20, blockCacheBytes: 24 * 2 ** 20 });
  assert.ok(mib(at(64).tileCacheBytes) > 0, 'even a tiny instance keeps a little');
});
