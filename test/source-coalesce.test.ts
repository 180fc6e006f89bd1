import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { planRanges, readRanges } from '../lib/source/coalesce.ts';
import type { ByteRange } from '../lib/source/coalesce.ts';
import { RecordingSource } from '../lib/source/record.ts';
import { SourceError } from '../lib/source/source.ts';
import type { RangeResult, Source } from '../lib/source/source.ts';

test('planRanges merges across small gaps, keeps far ranges apart, maps each input', () => {
  const plan = planRanges(
    [
      { offset: 1000, length: 10 },
      { offset: 0, length: 100 },
      { offset: 150, length: 50 },
      { offset: 500, length: 0 },
    ],
    64,
    1 << 20,
  );
  assert.deepEqual(plan.requests, [
    { offset: 0, length: 200 },
    { offset: 1000, length: 10 },
  ]);
  assert.deepEqual(plan.parts, [{ request: 1, start: 0 }, { request: 0, start: 0 }, { request: 0, start: 150 }, undefined]);
});

test('planRanges: a gap of exactly maxGap merges, one more byte does not', () => {
  assert.equal(planRanges([{ offset: 0, length: 10 }, { offset: 20, length: 10 }], 10, 100).requests.length, 1);
  assert.equal(planRanges([{ offset: 0, length: 10 }, { offset: 21, length: 10 }], 10, 100).requests.length, 2);
});

test('planRanges: duplicates and overlaps share a request; maxLength splits; a huge range stays whole', () => {
  const dup = planRanges([{ offset: 5, length: 10 }, { offset: 5, length: 10 }, { offset: 8, length: 2 }], 0, 100);
  assert.deepEqual(dup.requests, [{ offset: 5, length: 10 }]);
  assert.deepEqual(dup.parts, [{ request: 0, start: 0 }, { request: 0, start: 0 }, { request: 0, start: 3 }]);
  const capped = planRanges([{ offset: 0, length: 60 }, { offset: 60, length: 60 }], 1000, 100);
  assert.deepEqual(capped.requests, [{ offset: 0, length: 60 }, { offset: 60, length: 60 }]);
  const huge = planRanges([{ offset: 0, length: 500 }, { offset: 0, length: 500 }, { offset: 10, length: 5 }], 10, 100);
  assert.deepEqual(huge.requests, [{ offset: 0, length: 500 }]);
});

test('planRanges rejects negative, fractional and unsafe numbers', () => {
  for (const r of [{ offset: -1, length: 1 }, { offset: 0, length: -1 }, { offset: 0.5, length: 1 }, { offset: 2 ** 53, length: 1 }]) {
    assert.throws(() => planRanges([r], 0, 10), RangeError);
  }
});

test('planRanges properties: every range covered, requests ordered and disjoint, bounded, not mergeable', () => {
  const range = fc.record({ offset: fc.nat(10_000), length: fc.nat(300) });
  fc.assert(
    fc.property(fc.array(range, { maxLength: 40 }), fc.nat(200), fc.integer({ min: 1, max: 2000 }), (ranges, maxGap, maxLength) => {
      const { requests, parts } = planRanges(ranges, maxGap, maxLength);
      ranges.forEach((r, i) => {
        const p = parts[i];
        if (r.length === 0) return assert.equal(p, undefined);
        assert.ok(p);
        const q = requests[p.request];
        assert.equal(q.offset + p.start, r.offset);
        assert.ok(p.start + r.length <= q.length);
      });
      for (let k = 1; k < requests.length; k++) {
        const a = requests[k - 1], b = requests[k];
        assert.ok(a.offset <= b.offset);
        // Overlap is allowed only when merging would have broken maxLength.
        const mergedLength = Math.max(a.offset + a.length, b.offset + b.length) - a.offset;
        assert.ok(b.offset - (a.offset + a.length) > maxGap || mergedLength > maxLength);
      }
      for (const q of requests) {
        const alone = ranges.some((r) => r.offset === q.offset && r.length === q.length);
        assert.ok(q.length <= maxLength || alone);
      }
    }),
  );
});

/** An in-memory source: the pure half of readRanges tested without a network. */
function memory(data: Uint8Array): Source {
  return {
    location: 'memory',
    async read(offset, length): Promise<RangeResult> {
      if (offset >= data.length) throw new SourceError('past end', 416);
      return { bytes: data.subarray(offset, offset + length), info: { size: data.length } };
    },
    async head() {
      return { size: data.length };
    },
  };
}

test('readRanges returns input order, empty arrays for zero-length ranges, views not copies', async () => {
  const data = Uint8Array.from({ length: 5000 }, (_, i) => i % 251);
  const source = new RecordingSource(memory(data));
  const ranges: ByteRange[] = [{ offset: 4000, length: 100 }, { offset: 10, length: 20 }, { offset: 7, length: 0 }, { offset: 40, length: 5 }];
  const out = await readRanges(source, ranges, { maxGap: 100 });
  ranges.forEach((r, i) => assert.deepEqual(out[i], data.subarray(r.offset, r.offset + r.length)));
  assert.deepEqual(source.requests.map((r) => [r.offset, r.length]), [[10, 35], [4000, 100]]);
  assert.equal(out[1].buffer, out[3].buffer);
});

test('readRanges: a range past the end of the object fails like a read would', async () => {
  const source = memory(new Uint8Array(100));
  await assert.rejects(readRanges(source, [{ offset: 90, length: 5 }, { offset: 120, length: 5 }], { maxGap: 1000 }), (e: unknown) => e instanceof SourceError && e.status === 416);
  const tail = await readRanges(source, [{ offset: 90, length: 50 }]);
  assert.equal(tail[0].length, 10);
});

test('readRanges keeps at most `concurrency` requests in flight', async () => {
  let inFlight = 0, peak = 0;
  const slow: Source = {
    location: 'slow',
    async read(offset, length) {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return { bytes: new Uint8Array(length), info: { size: 1e9 } };
    },
    async head() {
      return { size: 1e9 };
    },
  };
  const ranges = Array.from({ length: 20 }, (_, i) => ({ offset: i * 1e6, length: 10 }));
  const out = await readRanges(slow, ranges, { concurrency: 3, maxGap: 0 });
  assert.equal(out.length, 20);
  assert.equal(peak, 3);
});
