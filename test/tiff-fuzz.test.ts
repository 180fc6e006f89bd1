/**
 * A few thousand mutated files (test/tiff-fuzz.ts) through the header parser and the window reader:
 * each parses and reads, or fails with one of the library's own errors. `npm run fuzz` runs 100,000
 * and more under a watchdog (scripts/tools/fuzz.ts).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'node:test';
import { fuzzCase, loadSeed, mutate, runCase, seedPaths } from './tiff-fuzz.ts';

const RUNS = 3000;

describe('fuzzing the header parser and the window reader', { timeout: 600_000 }, () => {
  it(`${RUNS} mutated files (bytes, IFD entries, block arrays, blocks, cuts): a header and pixels, or a typed error`, async (t) => {
    const seeds = await Promise.all(seedPaths().map(loadSeed));
    for (const s of seeds) assert.equal(await runCase(s.bytes), 'read', `${s.name} unmutated`);
    const tally: Record<string, number> = {};
    await fc.assert(fc.asyncProperty(fuzzCase, async (c) => {
      const outcome = await runCase(mutate(seeds, c));
      tally[outcome] = (tally[outcome] ?? 0) + 1;
    }), { numRuns: RUNS, seed: 13 });
    t.diagnostic(JSON.stringify(tally));
    // The mutations reach every stage: some files read, some fail in the header, some in a block.
    for (const k of ['read', 'header: TiffError', 'read: CorruptBlockError']) assert.ok(tally[k] > RUNS / 50, `${k}: ${tally[k]}`);
  });
});
