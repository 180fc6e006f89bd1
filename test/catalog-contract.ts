/**
 * The contract every catalog store passes (SQLite, MySQL, TableStore): one suite, run by each
 * store's test file with its own `make`. What is checked here is what the API, ingest and the cache
 * rely on; a store that needs a different answer changes this file on purpose, not its own test.
 *
 *   catalogContract('sqlite', () => Promise.resolve(new SqliteCatalog(path)), () => rm(path), setVersion);
 *
 * - `make()` opens a NEW catalog instance on THE store under test (the same database/file/instance
 *   every call), so two `make()`s are two clients of one catalog. It must not create anything.
 * - `cleanup()` removes the catalog from the store (drop the tables, delete the file), so every test
 *   starts from "no catalog here". It runs before each test and after the last one.
 * - `setSchemaVersion(v)` writes `v` into the store's schema-version record behind the catalog's back,
 *   to check that old and new schemas are refused; the schema tests are skipped without it.
 * - `mosaic.stripBounds()` makes the table one without bounds (catalog-contract-mosaic.ts).
 */
import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import {
  CatalogError, SCHEMA_VERSION,
  type Catalog, type DatasetMetadata, type DatasetRecord, type KeySpec,
} from '../lib/catalog/catalog.ts';
import type { CogHeader } from '../lib/tiff/header.ts';
import { readHeader } from '../lib/tiff/index.ts';
import { fixturePath, MemorySource } from './helpers.ts';
import { mosaicContract, type MosaicContractOptions } from './catalog-contract-mosaic.ts';

/** A real header (4 bands, uint16, UTM 50N, three levels), parsed once for every record. */
const HEADER: CogHeader = (await readHeader(await MemorySource.fromFile(fixturePath('u16-4band-deflate-p2-meta-utm50.tif')))).header;

/** Metadata as ingest computes it: 99 non-integer percentiles, a footprint, Unicode extras. */
export function sampleMetadata(): DatasetMetadata {
  return {
    bounds: [117.123456789, 30.5, 118.25, 31.75],
    footprint: { type: 'Polygon', coordinates: [[[117.1, 30.5], [118.2, 30.5], [118.2, 31.7], [117.1, 31.7], [117.1, 30.5]]] },
    validPercent: 97.25,
    min: 0,
    max: 65535,
    mean: 1234.5678,
    stdev: 321.0987654321,
    percentiles: Array.from({ length: 99 }, (_, i) => 100 + i * 12.3456789),
    statsLevel: 2,
    exact: false,
    extra: { title: '西湖 · West Lake', cloud: 3.5, tags: ['a', 'b'] },
  };
}

/** A complete record for `keys`; each call returns fresh objects, so tests may change them. */
export function sampleRecord(keys: string[], overrides: Partial<DatasetRecord> = {}): DatasetRecord {
  return {
    keys: [...keys],
    location: `s3://bucket/cogs/${keys.join('_')}.tif`,
    etag: '"9b2cf535f27731c974343645a3985328"',
    size: HEADER.size,
    lastModified: '2024-01-15T08:00:00.000Z',
    metadata: sampleMetadata(),
    header: structuredClone(HEADER),
    ...overrides,
  };
}

const KEYS: KeySpec[] = [
  { name: 'sensor', description: 'Satellite sensor' },
  { name: 'date', description: '采集日期 (acquisition date)' },
  { name: 'band' },
];

/** Stores may leave an absent description out or set it to undefined: compare as the same. */
const plainKeys = (keys: KeySpec[]) => keys.map((k) => ({ name: k.name, description: k.description ?? undefined }));

/** Equal as a reader sees it: optional fields absent or undefined are the same; header exactly equal. */
function assertSameRecord(actual: DatasetRecord | undefined, expected: DatasetRecord): void {
  assert.ok(actual, `no record for ${expected.keys.join('/')}`);
  assert.deepEqual(actual.keys, expected.keys);
  assert.equal(actual.location, expected.location);
  assert.equal(actual.etag ?? undefined, expected.etag ?? undefined);
  assert.equal(actual.size, expected.size);
  assert.equal(actual.lastModified ?? undefined, expected.lastModified ?? undefined);
  assert.deepEqual(actual.metadata, expected.metadata);
  assert.deepEqual(actual.header, expected.header);
}

/** Key tuples in order: first key, then second…, each compared by code unit (binary, case-sensitive). */
function compareKeys(a: string[], b: string[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

async function rejectsWith(p: Promise<unknown>, code: CatalogError['code'], message?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof CatalogError, `expected a CatalogError, got ${String(err)}`);
    assert.equal(err.code, code, `expected code '${code}', got '${err.code}': ${err.message}`);
    if (message) assert.match(err.message, message);
    return true;
  });
}

export function catalogContract(
  name: string,
  make: () => Promise<Catalog>,
  cleanup?: () => Promise<void>,
  setSchemaVersion?: (v: number) => Promise<void>,
  mosaic: MosaicContractOptions = {},
): void {
  describe(`catalog contract: ${name}`, () => {
    let opened: Catalog[] = [];
    /** A new client of the store, closed after the test. */
    const open = async (): Promise<Catalog> => {
      const c = await make();
      opened.push(c);
      return c;
    };
    const created = async (keys: KeySpec[] = KEYS): Promise<Catalog> => {
      const c = await open();
      await c.create(keys);
      return c;
    };

    beforeEach(async () => { await cleanup?.(); });
    afterEach(async () => {
      for (const c of opened) await c.close();
      opened = [];
    });
    after(async () => { await cleanup?.(); });

    it('creates with ordered keys and descriptions, and refuses a second create', async () => {
      const c = await created();
      assert.deepEqual(plainKeys(await c.keys()), plainKeys(KEYS));
      assert.deepEqual(plainKeys(await (await open()).keys()), plainKeys(KEYS), 'another client sees the same keys');
      await rejectsWith(c.create(KEYS), 'exists');
      await rejectsWith((await open()).create([{ name: 'other' }]), 'exists');
    });

    it('refuses bad key specs at create', async () => {
      const c = await open();
      await rejectsWith(c.create([]), 'invalid');
      await rejectsWith(c.create([{ name: 'band' }, { name: 'band' }]), 'invalid');
      await rejectsWith(c.create([{ name: 'band' }, { name: 'BAND' }]), 'invalid', /BAND/); // SQL column names ignore case
      await rejectsWith(c.create([{ name: 'x; DROP TABLE y' }]), 'invalid');
      await rejectsWith(c.create([{ name: '1band' }]), 'invalid');
      await rejectsWith(c.keys(), 'not-found'); // nothing was created by the refused calls
    });

    it('put says inserted, then unchanged, then updated; get returns the record', async () => {
      const c = await created();
      const rec = sampleRecord(['S2', '2024-01-15', 'B04'], {
        header: { ...structuredClone(HEADER), nodata: NaN },
        metadata: { ...sampleMetadata(), mean: NaN, stdev: Infinity }, // all-nodata statistics
      });
      assert.equal(await c.put(rec), 'inserted');
      assert.equal(await c.put(sampleRecord(rec.keys, { header: rec.header })), 'unchanged', 'same location, ETag and size');
      const got = await c.get(['S2', '2024-01-15', 'B04']);
      assertSameRecord(got, rec);
      assert.ok(Number.isNaN(got!.header.nodata), 'NaN nodata survives');
      assert.equal(got!.metadata.percentiles.length, 99);
      assert.ok(Number.isNaN(got!.metadata.mean), 'NaN in metadata survives');

      const changed = sampleRecord(rec.keys, { etag: '"new-etag"', size: rec.size + 1 });
      assert.equal(await c.put(changed), 'updated');
      assertSameRecord(await c.get(rec.keys), changed);
      assertSameRecord(await (await open()).get(rec.keys), changed);
      const moved = sampleRecord(rec.keys, { etag: '"new-etag"', size: rec.size + 1, location: 'oss://other/x.tif' });
      assert.equal(await c.put(moved), 'updated', 'a new location is a change');
      assert.equal(await c.count(), 1);
    });

    it('treats absent ETag and last-modified as values (unchanged when both absent)', async () => {
      const c = await created();
      const rec = sampleRecord(['S2', '2024-01-15', 'B08'], { etag: undefined, lastModified: undefined });
      assert.equal(await c.put(rec), 'inserted');
      assert.equal(await c.put({ ...rec }), 'unchanged');
      assertSameRecord(await c.get(rec.keys), rec);
      assert.equal(await c.put({ ...rec, etag: '"now-known"' }), 'updated');
    });

    it('get of unknown keys is undefined', async () => {
      const c = await created();
      assert.equal(await c.get(['S2', '2024-01-15', 'B04']), undefined);
      await c.put(sampleRecord(['S2', '2024-01-15', 'B04']));
      assert.equal(await c.get(['S2', '2024-01-15', 'B03']), undefined);
      assert.equal(await c.get(['s2', '2024-01-15', 'B04']), undefined, 'key values are case-sensitive');
    });

    it('refuses wrong key counts and invalid values with nothing written', async () => {
      const c = await created();
      await c.put(sampleRecord(['S2', '2024-01-15', 'B04']));
      for (const keys of [['S2', '2024-01-15'], ['S2', '2024-01-15', 'B04', 'x'], []]) {
        await rejectsWith(c.get(keys), 'invalid', /key/);
        await rejectsWith(c.put(sampleRecord(keys)), 'invalid', /key/);
        await rejectsWith(c.delete(keys), 'invalid', /key/);
      }
      for (const bad of ['../x', '..', 'a/b', 'a\\b', 'a\u0001b', 'tab\there', 'x'.repeat(600), '']) {
        const keys = ['S2', bad, 'B04'];
        await rejectsWith(c.get(keys), 'invalid', /date/);
        await rejectsWith(c.put(sampleRecord(keys)), 'invalid', /date/);
        await rejectsWith(c.delete(keys), 'invalid', /date/);
        await rejectsWith(c.list({ where: { date: bad } }), 'invalid', /date/);
      }
      await rejectsWith(c.list({ where: { nosuchkey: 'S2' } }), 'invalid', /nosuchkey/);
      await rejectsWith(c.count({ 'sensor = 1 OR 1': 'S2' }), 'invalid');
      assert.equal(await c.count(), 1, 'nothing was written');
      assert.ok(await c.get(['S2', '2024-01-15', 'B04']), 'nothing was deleted');
    });

    it('lookup gives the key names and the record, cold (a new client) and warm, and refuses bad values', async () => {
      const rec = sampleRecord(['S2', '2024-01-15', 'B04']);
      await (await created()).put(rec);
      for (const c of [await open(), await open()]) {
        // the first call is cold (nothing loaded), the second warm, on each client
        for (let i = 0; i < 2; i++) {
          const found = await c.lookup(rec.keys);
          assert.deepEqual(plainKeys(found.keys), plainKeys(KEYS));
          assertSameRecord(found.record, rec);
        }
        const other = await c.lookup(['S2', '2024-01-15', 'B03']);
        assert.deepEqual(plainKeys(other.keys), plainKeys(KEYS));
        assert.equal(other.record, undefined);
      }
      // a wrong number of values is no error here, cold or warm: the caller words it with the names
      for (const c of [await open(), await open()]) {
        await c.keys(); // the second client is warm
        const short = await c.lookup(['S2', '2024-01-15']);
        assert.deepEqual([plainKeys(short.keys), short.record], [plainKeys(KEYS), undefined]);
        assert.equal((await c.lookup([...rec.keys, 'x'])).record, undefined);
      }
      const cold = await open();
      await rejectsWith(cold.lookup(['S2', '../x', 'B04']), 'invalid', /may not contain/);
      await rejectsWith(cold.lookup(['S2', '', 'B04']), 'invalid', /empty/);
      assertSameRecord((await cold.lookup(rec.keys)).record, rec);
      await rejectsWith(cold.lookup(['S2', 'a\u0001b', 'B04']), 'invalid', /control/);
      const found = await cold.lookup(rec.keys);
      found.keys[0].name = 'changed';
      assert.equal((await cold.lookup(rec.keys)).keys[0].name, 'sensor', 'callers get their own key specs');
    });

    it('delete says true, then false', async () => {
      const c = await created();
      const rec = sampleRecord(['S2', '2024-01-15', 'B04']);
      await c.put(rec);
      await c.put(sampleRecord(['S2', '2024-01-15', 'B03']));
      assert.equal(await c.delete(rec.keys), true);
      assert.equal(await c.delete(rec.keys), false);
      assert.equal(await c.get(rec.keys), undefined);
      assert.equal(await c.count(), 1);
      assert.equal(await c.put(rec), 'inserted', 'a deleted dataset can come back');
    });

    it('lists with filters, stable pages ordered by key values, and counts', async () => {
      const c = await created();
      const all: string[][] = [];
      for (const sensor of ['S2', 'L8', 'S1']) {
        for (const date of ['2024-01-02', '2024-01-01']) {
          for (const band of ['B02', 'B01']) all.push([sensor, date, band]);
        }
      }
      for (const keys of all) await c.put(sampleRecord(keys));
      const sorted = [...all].sort(compareKeys);

      const listed = await c.list();
      assert.deepEqual(listed.map((d) => d.keys), sorted);
      assert.equal(listed[0].location, sampleRecord(sorted[0]).location);

      const pages = [];
      for (let page = 0; page < 3; page++) pages.push(...(await c.list({ limit: 5, page })).map((d) => d.keys));
      assert.deepEqual(pages, sorted, 'pages of 5 cover everything once, in order');
      assert.deepEqual(await c.list({ limit: 5, page: 3 }), []);

      const s2 = await c.list({ where: { sensor: 'S2' } });
      assert.deepEqual(s2.map((d) => d.keys), sorted.filter((k) => k[0] === 'S2'));
      const some = await c.list({ where: { sensor: ['S1', 'L8'], band: 'B02' } });
      assert.deepEqual(some.map((d) => d.keys), sorted.filter((k) => k[0] !== 'S2' && k[2] === 'B02'));
      assert.deepEqual(await c.list({ where: { sensor: [] } }), [], 'an empty list of values matches nothing');
      assert.deepEqual(await c.list({ where: { sensor: 'XX' } }), []);

      assert.equal(await c.count(), 12);
      assert.equal(await c.count({ sensor: 'S2' }), 4);
      assert.equal(await c.count({ sensor: ['S1', 'L8'], date: '2024-01-01' }), 4);
      assert.equal(await c.count({ band: [] }), 0);
    });

    it('orders by the key tuple, not by a joined string', async () => {
      const c = await created([{ name: 'a' }, { name: 'b' }]);
      for (const keys of [['A-B', '1'], ['A', '2'], ['A', '10'], ['AB', '0']]) await c.put(sampleRecord(keys));
      assert.deepEqual((await c.list()).map((d) => d.keys), [['A', '10'], ['A', '2'], ['A-B', '1'], ['AB', '0']]);
    });

    it('keeps key values that differ only in case apart', async () => {
      const c = await created([{ name: 'band' }]);
      assert.equal(await c.put(sampleRecord(['b04'], { location: 'lower.tif' })), 'inserted');
      assert.equal(await c.put(sampleRecord(['B04'], { location: 'upper.tif' })), 'inserted');
      assert.equal((await c.get(['b04']))?.location, 'lower.tif');
      assert.equal((await c.get(['B04']))?.location, 'upper.tif');
      assert.equal(await c.count({ band: 'B04' }), 1);
    });

    it('handles 8 keys of 500-character values (the index-length trap)', async () => {
      const keys = Array.from({ length: 8 }, (_, i) => ({ name: `key_${i + 1}`, description: `key ${i + 1}` }));
      const c = await created(keys);
      const values = keys.map((_, i) => String.fromCharCode(65 + i).repeat(499) + 'z');
      const rec = sampleRecord(values);
      assert.equal(await c.put(rec), 'inserted');
      // differs only in the last character of the last key: a prefix index would call it a duplicate
      const twin = sampleRecord([...values.slice(0, 7), values[7].slice(0, 499) + 'y'], { location: 'twin.tif' });
      assert.equal(await c.put(twin), 'inserted');
      assertSameRecord(await c.get(values), rec);
      assertSameRecord(await c.get(twin.keys), twin);
      assert.equal(await c.count({ key_8: values[7] }), 1);
      assert.equal(await c.count({ key_1: values[0] }), 2);
      assert.equal(await c.delete(twin.keys), true);
      assert.equal(await c.count(), 1);
    });

    it('keeps Unicode key values and metadata (utf8mb4)', async () => {
      const c = await created([{ name: 'province' }, { name: 'city' }, { name: 'band' }]);
      const names = [['浙江省', '杭州市西湖区', 'B04'], ['广东省', '广州市', 'B04'], ['浙江省', '宁波市', '𠀋𝄞']];
      for (const keys of names) assert.equal(await c.put(sampleRecord(keys, { location: `oss://桶/${keys.join('/')}.tif` })), 'inserted');
      for (const keys of names) assertSameRecord(await c.get(keys), sampleRecord(keys, { location: `oss://桶/${keys.join('/')}.tif` }));
      assert.equal(await c.count({ province: '浙江省' }), 2);
      assert.deepEqual((await c.list({ where: { band: '𠀋𝄞' } })).map((d) => d.keys), [names[2]]);
      assert.equal(await c.get(['浙江省', '杭州市', 'B04']), undefined);
    });

    it('200 concurrent puts from two clients give 200 rows; racing puts of one dataset give one', async () => {
      const a = await created();
      const b = await open();
      const puts = Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).put(sampleRecord([`S${i % 7}`, `2024-01-${String(i).padStart(3, '0')}`, `B${i % 13}`])));
      assert.deepEqual(new Set(await Promise.all(puts)), new Set(['inserted']));
      assert.equal(await a.count(), 200);
      assert.equal(await (await open()).count(), 200);
      assert.equal((await b.list({ limit: 1000 })).length, 200);

      const same = ['race', '2024-02-01', 'B01'];
      const racing = Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).put(sampleRecord(same, { etag: `"e${i}"` })));
      const results = await Promise.all(racing);
      assert.equal(results.filter((r) => r === 'inserted').length, 1, `exactly one insert: ${results.join(',')}`);
      assert.equal(await a.count({ sensor: 'race' }), 1);
      assert.equal(await a.count(), 201);
      assert.match((await a.get(same))!.etag ?? '', /^"e\d+"$/);
    });

    it('info() tells the URI (no password), schema version, keys and dataset count', async () => {
      const c = await created();
      await c.put(sampleRecord(['S2', '2024-01-15', 'B04']));
      await c.put(sampleRecord(['S2', '2024-01-15', 'B03']));
      const info = await c.info();
      assert.equal(info.uri, c.uri);
      assert.doesNotMatch(info.uri, /\/\/[^/@]*:[^/@]*@/, 'no password in the URI');
      assert.equal(info.schemaVersion, SCHEMA_VERSION);
      assert.deepEqual(plainKeys(info.keys), plainKeys(KEYS));
      assert.equal(info.datasets, 2);
    });

    it('a catalog that was never created says to run `taoguan catalog create`', async () => {
      const c = await open();
      const hint = /taoguan catalog create/;
      await rejectsWith(c.keys(), 'not-found', hint);
      await rejectsWith(c.get(['S2', '2024-01-15', 'B04']), 'not-found', hint);
      await rejectsWith(c.lookup(['S2', '2024-01-15', 'B04']), 'not-found', hint);
      await rejectsWith((await open()).lookup(['S2', '2024-01-15', 'B04']), 'not-found', hint);
      await rejectsWith(c.put(sampleRecord(['S2', '2024-01-15', 'B04'])), 'not-found', hint);
      await rejectsWith(c.delete(['S2', '2024-01-15', 'B04']), 'not-found', hint);
      await rejectsWith(c.list(), 'not-found', hint);
      await rejectsWith(c.count(), 'not-found', hint);
      await rejectsWith(c.info(), 'not-found', hint);
      await rejectsWith(c.migrate(), 'not-found', hint);
      await c.create(KEYS); // and the same client can then create it
      assert.equal(await c.count(), 0);
    });

    it('migrate() on a current catalog changes nothing', async () => {
      const c = await created();
      assert.deepEqual(await c.migrate(), { from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    });

    it('an older schema is refused on reads and writes until `taoguan catalog migrate`', { skip: !setSchemaVersion }, async () => {
      const rec = sampleRecord(['S2', '2024-01-15', 'B04']);
      await (await created()).put(rec);
      await setSchemaVersion!(SCHEMA_VERSION - 1);
      const c = await open();
      const hint = /taoguan catalog migrate/;
      await rejectsWith((await open()).lookup(rec.keys), 'schema', hint);
      await rejectsWith(c.get(rec.keys), 'schema', hint);
      await rejectsWith(c.lookup(rec.keys), 'schema', hint);
      await rejectsWith(c.keys(), 'schema', hint);
      await rejectsWith(c.list(), 'schema', hint);
      await rejectsWith(c.put(sampleRecord(['S2', '2024-01-15', 'B03'])), 'schema', hint);
      assert.deepEqual(await c.migrate(), { from: SCHEMA_VERSION - 1, to: SCHEMA_VERSION });
      assertSameRecord(await c.get(rec.keys), rec);
      assertSameRecord(await (await open()).get(rec.keys), rec);
      assert.equal((await c.info()).schemaVersion, SCHEMA_VERSION);
    });

    mosaicContract(open, created, (keys, bounds) => sampleRecord(keys, { metadata: { ...sampleMetadata(), bounds } }), mosaic);

    it('a newer schema is refused, saying to upgrade taoguan', { skip: !setSchemaVersion }, async () => {
      const rec = sampleRecord(['S2', '2024-01-15', 'B04']);
      await (await created()).put(rec);
      await setSchemaVersion!(SCHEMA_VERSION + 1);
      const c = await open();
      const hint = /upgrade taoguan/i;
      await rejectsWith(c.lookup(rec.keys), 'schema', hint);
      await rejectsWith(c.get(rec.keys), 'schema', hint);
      await rejectsWith(c.count(), 'schema', hint);
      await rejectsWith(c.put(rec), 'schema', hint);
      await rejectsWith(c.migrate(), 'schema', hint);
    });
  });
}
