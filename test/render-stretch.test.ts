import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RenderInputError } from '../lib/render/errors.ts';
import { resolveStretchRange, stretchToIndices, stretchValue, type StretchMetadata } from '../lib/render/stretch.ts';

const stretch = (values: number[], lo: number, hi: number, mask?: number[]) =>
  [...stretchToIndices(Float64Array.from(values), mask && Uint8Array.from(mask), lo, hi)];

// Expected indices below come from Terracotta's own code (image.contrast_stretch to [0, 1], then
// image.to_uint8 with np.rint), run with NumPy.
describe('stretchToIndices (Terracotta to_uint8 semantics)', () => {
  it('maps [lo, hi] onto 1..255 and clips outside', () => {
    assert.deepEqual(
      stretch([-5, 0, 0.001, 10, 33.3, 50, 66.6, 99.99, 100, 1e9], 0, 100),
      [1, 1, 1, 26, 86, 128, 170, 255, 255, 255],
    );
  });

  it('rounds exact halves to even, as np.rint does', () => {
    const halves = [1, 2, 3, 4, 5, 6, 7, 8].map((k) => (k - 0.5) / 254);
    assert.deepEqual(stretch(halves, 0, 1), [2, 2, 4, 4, 6, 6, 8, 8]);
  });

  it('rounds like rint for any value, not only exact halves', () => {
    const rint = (x: number) => {
      const f = Math.floor(x), d = x - f;
      return d > 0.5 ? f + 1 : d < 0.5 ? f : f + (f % 2);
    };
    fc.assert(fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (v) => stretchValue(v, 0, 1) === rint(v * 254 + 1)));
  });

  it('gives 0 to NaN, ±Infinity and masked pixels only', () => {
    assert.deepEqual(stretch([NaN, Infinity, -Infinity, 50, 50], 0, 100, [255, 255, 255, 0, 255]), [0, 0, 0, 0, 128]);
    assert.deepEqual(stretch([50, 50], 0, 100, [1, 0]), [128, 0], 'any non-zero mask value is valid');
  });

  it('does not divide by zero when lo == hi (Terracotta: t = clip(v - lo, 0, 1))', () => {
    assert.deepEqual(stretch([9, 10, 10.25, 10.5, 10.75, 11, 12], 10, 10), [1, 1, 64, 128, 192, 255, 255]);
  });

  it('inverts the ramp when hi < lo', () => {
    assert.deepEqual(stretch([0, 25, 50, 100, 150], 100, 0), [255, 192, 128, 1, 1]);
  });

  it('reads every typed array kind, float32 in double precision', () => {
    assert.deepEqual([...stretchToIndices(Float32Array.of(0.1, 0.7, 1.3), undefined, 0.2, 1.2)], [1, 128, 255]);
    for (const T of [Uint8Array, Int8Array, Uint16Array, Int16Array, Uint32Array, Int32Array, Float32Array, Float64Array]) {
      assert.deepEqual([...stretchToIndices(T.of(0, 50, 100), undefined, 0, 100)], [1, 128, 255], T.name);
    }
  });

  it('never gives index 0 to valid data, for any finite bounds', () => {
    fc.assert(fc.property(
      fc.float32Array({ minLength: 1, maxLength: 64 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      (band, lo, hi) => {
        const out = stretchToIndices(band, undefined, lo, hi);
        return band.every((v, i) => (Number.isFinite(v) ? out[i] >= 1 : out[i] === 0));
      },
    ));
    // Float64 extremes, where v - lo and hi - lo overflow.
    fc.assert(fc.property(
      fc.float64Array({ minLength: 1, maxLength: 64, noNaN: true }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      (band, lo, hi) => stretchToIndices(band, undefined, lo, hi).every((x, i) => (Number.isFinite(band[i]) ? x >= 1 : x === 0)),
    ));
    assert.deepEqual(stretch([1e308, -1e308], -1e308, 1e308), [1, 1]);
  });

  it('refuses non-finite bounds and a mask of the wrong length', () => {
    assert.throws(() => stretch([1], NaN, 1), RenderInputError);
    assert.throws(() => stretch([1], 0, Infinity), /finite/);
    assert.throws(() => stretchToIndices(Float32Array.of(1, 2), new Uint8Array(3), 0, 1), RangeError);
  });

  it('stretchValue agrees with the array form', () => {
    assert.equal(stretchValue(50, 0, 100), 128);
    assert.equal(stretchValue(NaN, 0, 100), 0);
  });
});

describe('resolveStretchRange', () => {
  // percentiles[i] holds p(i + 1): p1 = 10, p2 = 20, …, p99 = 990.
  const meta: StretchMetadata = { min: -7, max: 1234, percentiles: Array.from({ length: 99 }, (_, i) => (i + 1) * 10) };

  it('resolves pN to the stored Nth percentile, p99 included', () => {
    assert.deepEqual(resolveStretchRange(['p2', 'p98'], meta), [20, 980]);
    assert.deepEqual(resolveStretchRange(['p1', 'p99'], meta), [10, 990]);
    assert.deepEqual(resolveStretchRange(['p50', 'p050'], meta), [500, 500]);
  });

  it('uses the dataset min / max for null bounds and a null range', () => {
    assert.deepEqual(resolveStretchRange([null, null], meta), [-7, 1234]);
    assert.deepEqual(resolveStretchRange([null, 'p90'], meta), [-7, 900]);
    assert.deepEqual(resolveStretchRange(['p5', null], meta), [50, 1234]);
    assert.deepEqual(resolveStretchRange(null, meta), [-7, 1234]);
    assert.deepEqual(resolveStretchRange(undefined, meta), [-7, 1234]);
  });

  it('passes numbers through', () => {
    assert.deepEqual(resolveStretchRange([0, 3000.5], meta), [0, 3000.5]);
    assert.deepEqual(resolveStretchRange([-1, -1], meta), [-1, -1]);
  });

  it('refuses p0 and p100, pointing to null for the min / max', () => {
    assert.throws(() => resolveStretchRange(['p0', 'p50'], meta), (e: unknown) =>
      e instanceof RenderInputError && e.parameter === 'stretch_range' && /p0.*out of range.*null.*minimum/.test(e.message));
    assert.throws(() => resolveStretchRange(['p1', 'p100'], meta), /p100.*out of range.*null.*maximum/);
  });

  it('refuses malformed bounds with a message that says what is accepted', () => {
    for (const bad of ['pfoo', 'p', 'p-1', 'p2.5', 'P5', '5', '', ' p5']) {
      assert.throws(() => resolveStretchRange([bad, 1], meta), (e: unknown) =>
        e instanceof RenderInputError && e.message.includes(JSON.stringify(bad).slice(1, -1)) && /pN/.test(e.message), bad);
    }
    assert.throws(() => resolveStretchRange([NaN, 1], meta), /finite/);
    assert.throws(() => resolveStretchRange([true as unknown as number, 1], meta), /number, "pN" or null/);
    assert.throws(() => resolveStretchRange([1, 2, 3] as unknown as [number, number], meta), /two bounds/);
    assert.throws(() => resolveStretchRange('p2' as unknown as [number, number], meta), /two bounds/);
  });

  it('says so when the dataset lacks the percentile', () => {
    assert.throws(() => resolveStretchRange(['p5', null], { min: 0, max: 1, percentiles: [] }), /no stored percentile p5/);
  });
});

describe('8- and 16-bit bands through a per-range table', () => {
  it('give the arithmetic\'s indices for every value, masked or not, over ranges that change between calls', () => {
    const u16 = new Uint16Array(65536).map((_, i) => i);
    const u8 = new Uint8Array(256).map((_, i) => i);
    const mask = new Uint8Array(65536).map((_, i) => (i % 7 === 3 ? 0 : 255));
    const ranges: [number, number][] = [[1000, 2500], [1000, 3000], [0, 65535], [2500, 1000], [300, 300], [-5.5, 70000.25], [12, 200], [1000, 2500], [0.5, 1e-9]];
    for (const [lo, hi] of ranges) {
      for (const band of [u16, u8]) {
        const m = mask.subarray(0, band.length);
        const viaFloat = stretchToIndices(Float64Array.from(band), m, lo, hi);
        assert.deepEqual(stretchToIndices(band, m, lo, hi), viaFloat, `${band.constructor.name} [${lo}, ${hi}] masked`);
        assert.deepEqual(stretchToIndices(band, undefined, lo, hi), stretchToIndices(Float64Array.from(band), undefined, lo, hi), `${band.constructor.name} [${lo}, ${hi}]`);
      }
    }
  });

  it('give the same indices into an output at any byte offset, for lengths that are not whole words', () => {
    const values = new Uint16Array(5003).map((_, i) => (i * 40503) & 0xffff);
    const bytes = new Uint8Array(5003).map((_, i) => (i * 167) & 0xff);
    const mask = new Uint8Array(5003).map((_, i) => (i % 5 === 1 ? 0 : 255));
    for (const band of [values, bytes]) {
      for (const m of [undefined, mask]) {
        const expected = stretchToIndices(Float64Array.from(band), m, 1000, 2500);
        for (const offset of [0, 1, 2, 3]) {
          const out = new Uint8Array(new ArrayBuffer(5003 + 8), offset, 5003).fill(77);
          stretchToIndices(band, m, 1000, 2500, out);
          assert.deepEqual(out, expected, `${band.constructor.name}, ${m ? 'masked' : 'unmasked'}, output at byte offset ${offset}`);
        }
      }
    }
  });
});
