/**
 * The mosaic half of the catalog contract (catalog-contract.ts runs it for every store): select and
 * members — key filters (a value, a list, a prefix), a box on the bounds, a limit, keys ascending —
 * and the upgrade of a table an older taoguan left without bounds. Skipped for a store that has no
 * select/members of its own (TableStore: the cache's in-memory index stands in for one).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CatalogError, SCHEMA_VERSION, type Bounds, type Catalog, type DatasetRecord, type KeySpec } from '../lib/catalog/catalog.ts';

export interface MosaicContractOptions {
  /**
   * Make the stored table look as an older taoguan left it: MySQL and PostgreSQL drop the bounds
   * columns and their indexes; SQLite empties them (what `catalog publish` wrote before it copied them).
   */
  stripBounds?: () => Promise<void>;
}

const KEYS: KeySpec[] = [{ name: 'sensor' }, { name: 'date' }, { name: 'band' }];

/** Scenes with bounds of their own, in no particular order: [keys, bounds]. */
const SCENES: [string[], Bounds][] = [
  [['S2', '2024-06-11', 'B04'], [5, 5, 15, 15]],
  [['S2', '2024-06-01', 'B04'], [0, 0, 10, 10]],
  [['S2', '2024-07-01', 'B04'], [20, 20, 30, 30]],
  [['S2', '2024-06-11', 'B03'], [0, 0, 10, 10]],
  [['L8', '2024-06-05', 'B04'], [-10.5, -0.25, 0.125, 10]],
  // a prefix of "2024_" must not match "2024-…": no LIKE, whose "_" is any character
  [['S2', '2024_old', 'B04'], [100, 40, 101.5, 41]],
];

/** Keys in order as every store returns them (binary, first key first). */
const sorted = (keys: string[][]) => [...keys].sort((a, b) => (a.join('\u0000') < b.join('\u0000') ? -1 : 1));
const keysOf = (rows: { keys: string[] }[]) => rows.map((r) => r.keys);

export function mosaicContract(open: () => Promise<Catalog>, created: (keys: KeySpec[]) => Promise<Catalog>, record: (keys: string[], bounds: Bounds) => DatasetRecord, options: MosaicContractOptions = {}): void {
  /** A catalog holding SCENES, and a second client of it (so nothing is answered from the writer's memory). */
  const world = async (): Promise<Catalog> => {
    const writer = await created(KEYS);
    for (const [keys, bounds] of SCENES) await writer.put(record(keys, bounds));
    return open();
  };
  const select = (c: Catalog, q: Parameters<NonNullable<Catalog['select']>>[0]) => c.select!(q);

  describe('mosaic selection', () => {
    it('members: keys ascending with their bounds, by value, list and prefix filters', async (t) => {
      const c = await world();
      if (!c.select || !c.members) return t.skip('the store has no select/members of its own');
      const all = sorted(SCENES.map(([k]) => k));
      const members = await c.members!();
      assert.deepEqual(keysOf(members), all);
      for (const m of members) assert.deepEqual(m.bounds, SCENES.find(([k]) => k.join() === m.keys.join())![1], `bounds of ${m.keys.join('/')}`);
      assert.deepEqual(keysOf(await c.members!({ sensor: 'S2', band: 'B04' })), all.filter((k) => k[0] === 'S2' && k[2] === 'B04'));
      assert.deepEqual(keysOf(await c.members!({ date: ['2024-07-01', '2024-06-05'] })), [['L8', '2024-06-05', 'B04'], ['S2', '2024-07-01', 'B04']]);
      assert.deepEqual(keysOf(await c.members!({ date: { prefix: '2024-06' }, band: 'B04' })),
        [['L8', '2024-06-05', 'B04'], ['S2', '2024-06-01', 'B04'], ['S2', '2024-06-11', 'B04']]);
      assert.deepEqual(keysOf(await c.members!({ date: { prefix: '2024_' } })), [['S2', '2024_old', 'B04']]);
      assert.deepEqual(keysOf(await c.members!({ date: { prefix: '' }, sensor: 'L8' })), [['L8', '2024-06-05', 'B04']], 'an empty prefix is any value');
      assert.deepEqual(await c.members!({ sensor: [] }), [], 'an empty list matches nothing');
      assert.deepEqual(await c.members!({ sensor: 's2' }), [], 'values are case-sensitive');
      await assert.rejects(c.members({ colour: 'red' }), (e: unknown) => e instanceof CatalogError && e.code === 'invalid' && /unknown key "colour"/.test(e.message));
      await assert.rejects(c.members({ date: { prefix: 'a/b' } }), (e: unknown) => e instanceof CatalogError && e.code === 'invalid');
    });

    it('select: whole records whose bounds meet the box (edges count), keys ascending, at most limit', async (t) => {
      const c = await world();
      if (!c.select || !c.members) return t.skip('the store has no select/members of its own');
      const hit = await select(c, { where: { sensor: 'S2', band: 'B04' }, bbox: [8, 8, 9, 9] });
      assert.deepEqual(keysOf(hit), [['S2', '2024-06-01', 'B04'], ['S2', '2024-06-11', 'B04']]);
      const want = record(['S2', '2024-06-01', 'B04'], [0, 0, 10, 10]);
      assert.equal(hit[0].location, want.location);
      assert.deepEqual(hit[0].metadata, want.metadata);
      assert.deepEqual(hit[0].header, want.header, 'the header comes with the record: no get needed');
      assert.deepEqual(await select(c, { where: { sensor: 'S2' }, bbox: [50, 50, 60, 60] }), [], 'a box between scenes misses');
      assert.deepEqual(keysOf(await select(c, { bbox: [15, 15, 20, 20] })), [['S2', '2024-06-11', 'B04'], ['S2', '2024-07-01', 'B04']], 'touching corners meet');
      assert.deepEqual(keysOf(await select(c, { bbox: [-10.6, -0.3, -10.5, -0.25] })), [['L8', '2024-06-05', 'B04']], 'fractional bounds, negative longitudes');
      assert.deepEqual(keysOf(await select(c, { where: { date: { prefix: '2024-06' } }, bbox: [0, 0, 10, 10] })),
        [['L8', '2024-06-05', 'B04'], ['S2', '2024-06-01', 'B04'], ['S2', '2024-06-11', 'B03'], ['S2', '2024-06-11', 'B04']]);
      assert.deepEqual(keysOf(await select(c, { where: { band: 'B04' }, bbox: [-180, -90, 180, 90], limit: 2 })), [['L8', '2024-06-05', 'B04'], ['S2', '2024-06-01', 'B04']]);
      assert.deepEqual(await select(c, { where: { band: 'B04' }, limit: 0 }), []);
      assert.equal((await select(c, {})).length, SCENES.length, 'no filter, no box: every dataset');
      await assert.rejects(select(c, { bbox: [0, 0, Number.NaN, 1] }), CatalogError);
    });

    it('select and members follow puts and deletes by another client', async (t) => {
      const c = await world();
      if (!c.select || !c.members) return t.skip('the store has no select/members of its own');
      const writer = await open();
      await writer.put({ ...record(['S2', '2024-06-01', 'B04'], [50, 50, 51, 51]), location: 's3://bucket/moved.tif', etag: '"moved"' });
      await writer.delete(['S2', '2024-06-11', 'B04']);
      const reader = await open();
      assert.deepEqual(keysOf(await select(reader, { where: { band: 'B04' }, bbox: [8, 8, 9, 9] })), []);
      const moved = await select(reader, { bbox: [50.5, 50.5, 50.6, 50.6] });
      assert.deepEqual(moved.map((r) => r.location), ['s3://bucket/moved.tif']);
      assert.deepEqual((await reader.members!({ sensor: 'S2', band: 'B04' })).map((m) => [m.keys[1], m.bounds]),
        [['2024-06-01', [50, 50, 51, 51]], ['2024-07-01', [20, 20, 30, 30]], ['2024_old', [100, 40, 101.5, 41]]]);
    });

    it('a table an older taoguan left without bounds answers the same, and migrate() indexes it', { skip: !options.stripBounds }, async (t) => {
      const c = await world();
      if (!c.select || !c.members) return t.skip('the store has no select/members of its own');
      const expectMembers = await c.members!({ band: 'B04' });
      const expectSelect = keysOf(await select(c, { where: { band: 'B04' }, bbox: [8, 8, 9, 9] }));
      await options.stripBounds!();
      const old = await open();
      assert.deepEqual(await old.members!({ band: 'B04' }), expectMembers, 'members of the old table (listed and read)');
      assert.deepEqual(keysOf(await select(old, { where: { band: 'B04' }, bbox: [8, 8, 9, 9] })), expectSelect);
      const extra = record(['S2', '2024-08-01', 'B04'], [8, 8, 8.5, 8.5]);
      const put = await old.put(extra).then(() => 'put', (e: unknown) => e);
      if (put !== 'put') {
        assert.ok(put instanceof CatalogError && put.code === 'schema' && /taoguan catalog migrate/.test(put.message), `a put refused says to migrate: ${String(put)}`);
      }
      assert.deepEqual(await old.migrate(), { from: SCHEMA_VERSION, to: SCHEMA_VERSION });
      if (put !== 'put') await old.put(extra);
      const fresh = await open();
      assert.deepEqual(await fresh.members!({ band: 'B04' }), sorted([...expectMembers.map((m) => m.keys), extra.keys]).map((k) => ({
        keys: k, bounds: k[1] === '2024-08-01' ? [8, 8, 8.5, 8.5] : expectMembers.find((m) => m.keys.join() === k.join())!.bounds,
      })), 'bounds filled from each record\'s metadata');
      assert.deepEqual(keysOf(await select(fresh, { where: { band: 'B04' }, bbox: [8, 8, 9, 9] })), sorted([...expectSelect, extra.keys]));
      assert.deepEqual(await fresh.migrate(), { from: SCHEMA_VERSION, to: SCHEMA_VERSION }, 'a second migrate changes nothing');
      assert.equal((await fresh.members!()).length, SCENES.length + 1);
    });
  });
}
