/** Arrays given back by the tile path (lib/raster/pool.ts) come back cleared, and views of other buffers are never taken. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { giveBack, takeArray } from '../lib/raster/index.ts';

test('a given-back array is taken again cleared to the fill asked for; other types and lengths get new arrays', () => {
  const a = takeArray(Uint16Array, 1000);
  a.fill(7);
  giveBack([a]);
  const b = takeArray(Uint16Array, 1000, 65535);
  assert.equal(b, a, 'the same array again');
  assert.ok(b.every((v) => v === 65535));
  b.fill(3);
  giveBack([b]);
  const c = takeArray(Int16Array, 1000);
  assert.notEqual(c as unknown, b as unknown, 'another type is never handed a Uint16Array');
  const d = takeArray(Uint16Array, 999);
  assert.notEqual(d, b, 'nor another length');
  const e = takeArray(Uint16Array, 1000);
  assert.equal(e, b);
  assert.ok(e.every((v) => v === 0));
});

test('a view into a larger buffer (a decoded block) is never kept for reuse', () => {
  const block = new Uint16Array(2000).fill(9);
  const view = block.subarray(0, 1000);
  giveBack([view]);
  const t = takeArray(Uint16Array, 1000);
  assert.notEqual(t.buffer, block.buffer);
  assert.ok(block.every((v) => v === 9), 'the block is untouched');
});
