/** The read-buffer pool (lib/util/byte-pool.ts): only its own buffers come back, once each, and reissued views are independent. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { releaseBytes, takeBytes } from '../lib/util/index.ts';

test('a released buffer is issued again for a read of about its size, never twice at once', () => {
  const a = takeBytes(300_000);
  assert.equal(a.length, 300_000);
  a.fill(1);
  // two views of one buffer (coalesced ranges) give it back once
  releaseBytes([a.subarray(0, 100_000), a.subarray(100_000)]);
  const b = takeBytes(290_000);
  assert.equal(b.buffer, a.buffer, 'the same buffer again');
  assert.equal(b.length, 290_000);
  const c = takeBytes(290_000);
  assert.notEqual(c.buffer, a.buffer, 'not handed to two readers');
  // given back twice, it is still issued to one reader only
  releaseBytes([b]);
  releaseBytes([b]);
  const d = takeBytes(280_000);
  const e = takeBytes(280_000);
  assert.equal(d.buffer, b.buffer);
  assert.notEqual(e.buffer, b.buffer);
});

test('buffers the pool did not issue (another source\'s, a small read) are left alone', () => {
  const other = new Uint8Array(300_000).fill(7);
  releaseBytes([other]);
  const t = takeBytes(300_000);
  assert.notEqual(t.buffer, other.buffer);
  assert.ok(other.every((v) => v === 7));
  const small = takeBytes(100);
  assert.equal(small.buffer.byteLength, 100, 'small reads get buffers of their own size');
});
