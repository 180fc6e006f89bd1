/** scripts/tools/invoke.ts in --dry-run: the requests it would send, offline. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../scripts/tools/invoke.ts';

async function dryRun(...args: string[]): Promise<string[]> {
  const lines: string[] = [];
  assert.equal(await main([...args, '--dry-run'], (l) => lines.push(l)), 0);
  return lines;
}

test('--help prints the usage', async () => {
  const lines: string[] = [];
  assert.equal(await main(['--help'], (l) => lines.push(l)), 0);
  assert.match(lines.join('\n'), /reingest PREFIX/);
});

test('invoke: each cloud gets its own HTTP event shape for the path', async () => {
  const [fc] = (await dryRun('invoke', '/keys?limit=5', '--cloud', 'fc')).map((l) => JSON.parse(l));
  assert.deepEqual([fc.function, fc.async, fc.event.rawPath, fc.event.queryParameters], ['taoguan-tiles', false, '/keys', { limit: '5' }]);
  const [scf] = (await dryRun('invoke', '/keys', '--cloud', 'scf', '--region', 'ap-shanghai')).map((l) => JSON.parse(l));
  assert.deepEqual([scf.region, scf.event.httpMethod, scf.event.path], ['ap-shanghai', 'GET', '/keys']);
  const [aws] = (await dryRun('invoke', '/keys', '--cloud', 'lambda')).map((l) => JSON.parse(l));
  assert.equal(aws.event.version, '2.0');
});

test('reingest: named keys become batched async upload events in each platform shape', async () => {
  const fc = (await dryRun('reingest', 'oss://cogs/s2/', '--cloud', 'fc', '--key', 's2/a b.tif', '--key', 's2/c.tif', '--batch', '1')).map((l) => JSON.parse(l));
  assert.equal(fc.length, 2);
  assert.deepEqual(fc[0].event.events[0].oss, { bucket: { name: 'cogs' }, object: { key: 's2/a b.tif' } });
  assert.equal(fc[0].async, true);
  const [scf] = (await dryRun('reingest', 'cos://cogs-1250000000/s2/', '--cloud', 'scf', '--key', 's2/a.tif')).map((l) => JSON.parse(l));
  assert.equal(scf.event.Records[0].cos.cosObject.key, '/1250000000/cogs/s2/a.tif');
  const [aws] = (await dryRun('reingest', 's3://cogs/s2/', '--cloud', 'lambda', '--key', 's2/a b.tif')).map((l) => JSON.parse(l));
  assert.equal(aws.event.Records[0].s3.object.key, 's2/a+b.tif');
});

test('reingest without keys says what it would list; url prints the tile template', async () => {
  const lines = await dryRun('reingest', 'oss://cogs/s2/', '--cloud', 'fc');
  assert.match(lines[0], /would list oss:\/\/cogs\/s2\//);
  const [url] = await dryRun('url', 'S2/2024 01/B04', '--endpoint', 'https://tiles.example.cn/');
  assert.equal(url, 'https://tiles.example.cn/singleband/S2/2024%2001/B04/{z}/{x}/{y}.png');
});
