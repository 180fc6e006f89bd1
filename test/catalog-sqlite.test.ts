import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import sqlite3 from 'node-sqlite3-wasm';
import { CatalogError, SCHEMA_VERSION } from '../lib/catalog/catalog.ts';
import { parseSqliteUri, SqliteCatalog } from '../lib/catalog/stores/sqlite.ts';
import { catalogContract, sampleRecord } from './catalog-contract.ts';

/** Read-only catalogs' private copies, and their lock directories. */
const snapshots = () => readdirSync(tmpdir()).filter((f) => f.startsWith(`taoguan-catalog-${process.pid}-`)).sort();
const dir = mkdtempSync(join(tmpdir(), 'taoguan-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const contractPath = join(dir, 'contract.db');
catalogContract(
  'sqlite',
  async () => new SqliteCatalog(contractPath),
  async () => rmSync(contractPath, { force: true }),
  async (version) => {
    const db = new sqlite3.Database(contractPath);
    db.run('UPDATE taoguan_schema SET version = ?', version);
    db.close();
  },
  {
    // what `catalog publish` wrote before it copied the bounds: the columns, empty
    stripBounds: async () => {
      const db = new sqlite3.Database(contractPath);
      db.run('UPDATE taoguan_datasets SET bounds_w = NULL, bounds_s = NULL, bounds_e = NULL, bounds_n = NULL');
      db.close();
    },
  },
);

describe('sqlite catalog', () => {
  it('parses sqlite: URIs and bare paths', () => {
    assert.deepEqual(parseSqliteUri('sqlite:/tmp/catalog.db?mode=ro'), { path: '/tmp/catalog.db', readOnly: true });
    assert.deepEqual(parseSqliteUri('sqlite:///tmp/catalog.db'), { path: '/tmp/catalog.db', readOnly: false });
    assert.deepEqual(parseSqliteUri('data/catalog.sqlite'), { path: 'data/catalog.sqlite', readOnly: false });
    assert.throws(() => parseSqliteUri('sqlite:/x.db?mode=rx'), CatalogError);
    assert.throws(() => parseSqliteUri('sqlite:/x.db?cache=shared'), /unknown parameter "cache"/);
    assert.equal(new SqliteCatalog('sqlite:/tmp/c.db?mode=ro').uri, 'sqlite:/tmp/c.db?mode=ro');
  });

  it('read-only mode reads, and refuses every write saying why', async () => {
    const path = join(dir, 'ro.db');
    const rw = new SqliteCatalog(path);
    await rw.create([{ name: 'band' }]);
    await rw.put(sampleRecord(['B04']));

    const ro = new SqliteCatalog(`sqlite:${path}?mode=ro`);
    assert.equal((await ro.get(['B04']))?.location, sampleRecord(['B04']).location);
    const refused = (err: unknown) => err instanceof CatalogError && /read-only/.test(err.message) && /mode=ro/.test(err.message);
    await assert.rejects(ro.put(sampleRecord(['B05'])), refused);
    await assert.rejects(ro.delete(['B04']), refused);
    await assert.rejects(ro.create([{ name: 'x' }]), refused);
    await assert.rejects(ro.migrate(), refused);
    assert.equal(await ro.count(), 1);
    await ro.close();

    // it reads a private snapshot, removed on close
    const before = snapshots();
    const again = new SqliteCatalog(`sqlite:${path}?mode=ro`);
    await again.count();
    assert.equal(snapshots().length, before.length + 2, 'a copy and its lock, held while open');
    await rw.put(sampleRecord(['B08']));
    assert.equal(await again.count(), 1, 'a snapshot: later writes are not seen');
    await again.close();
    assert.deepEqual(snapshots(), before);

    const missing = new SqliteCatalog(`sqlite:${join(dir, 'nope.db')}?mode=ro`);
    await assert.rejects(missing.get(['B04']), (err: unknown) => err instanceof CatalogError && err.code === 'not-found');
    assert.equal(existsSync(join(dir, 'nope.db')), false, 'opening read-only creates nothing');
    await rw.close();
  });

  it('a file written by one process is read by another', async () => {
    const path = join(dir, 'shared.db');
    const writer = new SqliteCatalog(path);
    await writer.create([{ name: 'sensor' }, { name: 'band' }]);
    await writer.put(sampleRecord(['S2', 'B04']));
    const script = `
      import { SqliteCatalog } from './lib/catalog/stores/sqlite.ts';
      const c = new SqliteCatalog(${JSON.stringify(`sqlite:${path}?mode=ro`)});
      const r = await c.get(['S2', 'B04']);
      console.log(JSON.stringify({ location: r.location, levels: r.header.levels.length, n: await c.count() }));`;
    const read = () => JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' }));
    const expected = sampleRecord(['S2', 'B04']);
    assert.deepEqual(read(), { location: expected.location, levels: expected.header.levels.length, n: 1 });
    // and a write after the other process opened the file is seen by the next reader
    await writer.put(sampleRecord(['S2', 'B08']));
    assert.equal(read().n, 2);
    await writer.close();
  });

  it('a lock left by a crashed process gives an error that names it', async () => {
    const path = join(dir, 'stale.db');
    const c = new SqliteCatalog(path, { busyTimeoutMs: 50 });
    await c.create([{ name: 'band' }]);
    mkdirSync(`${path}.lock`); // what a process killed mid-statement leaves behind
    await assert.rejects(c.put(sampleRecord(['B04'])), (err: unknown) =>
      err instanceof CatalogError && err.code === 'unavailable' && err.message.includes(`${path}.lock`));
    const ro = new SqliteCatalog(`sqlite:${path}?mode=ro`, { busyTimeoutMs: 50 });
    await assert.rejects(ro.count(), (err: unknown) => err instanceof CatalogError && err.code === 'unavailable' && err.message.includes(`${path}.lock`));
    rmdirSync(`${path}.lock`);
    assert.equal(await c.put(sampleRecord(['B04'])), 'inserted');
    assert.equal(await ro.count(), 1);
    await Promise.all([c.close(), ro.close()]);
  });

  it('a file that is not SQLite is refused clearly', async () => {
    const path = join(dir, 'notes.db');
    writeFileSync(path, 'not a database, just text that is long enough to have a header '.repeat(20));
    const c = new SqliteCatalog(path);
    await assert.rejects(c.keys(), (err: unknown) => err instanceof CatalogError && /not a SQLite database/.test(err.message));
    await c.close();
  });

  it('a put in a new instance is seen by an instance that was already open', async () => {
    const path = join(dir, 'two.db');
    const a = new SqliteCatalog(path);
    await a.create([{ name: 'band' }]);
    assert.equal(await a.get(['B04']), undefined);
    const b = new SqliteCatalog(path);
    await b.put(sampleRecord(['B04']));
    assert.ok(await a.get(['B04']), 'no stale page cache');
    await Promise.all([a.close(), b.close()]);
  });

  it('a file of the first version 2 layout (two bounds indexes) answers mosaics, and migrate() moves it to the one the queries name', async () => {
    const path = join(dir, 'v2-first.db');
    const c = new SqliteCatalog(path);
    await c.create([{ name: 'band' }]);
    const bounds: [number, number, number, number][] = [[0, 0, 1, 1], [5, 5, 6, 6], [0.5, 0.5, 2, 2]];
    for (const [i, b] of bounds.entries()) await c.put(sampleRecord([`B0${i}`], { metadata: { ...sampleRecord(['x']).metadata, bounds: b } }));
    await c.close();
    const raw = new sqlite3.Database(path);
    raw.exec(`DROP INDEX taoguan_datasets_bounds; CREATE INDEX taoguan_datasets_bounds_x ON taoguan_datasets (bounds_w, bounds_e);
      CREATE INDEX taoguan_datasets_bounds_y ON taoguan_datasets (bounds_s, bounds_n)`);
    raw.close();
    const indexes = () => {
      const db = new sqlite3.Database(path);
      const names = db.all("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'taoguan_datasets_bounds%' ORDER BY name").map((r) => r.name);
      db.close();
      return names;
    };
    const old = new SqliteCatalog(path);
    assert.deepEqual((await old.select({ bbox: [0.8, 0.8, 0.9, 0.9] })).map((r) => r.keys), [['B00'], ['B02']]);
    assert.deepEqual(await old.migrate(), { from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    assert.deepEqual(indexes(), ['taoguan_datasets_bounds']);
    assert.deepEqual((await old.select({ bbox: [0.8, 0.8, 0.9, 0.9] })).map((r) => r.keys), [['B00'], ['B02']]);
    assert.deepEqual((await old.members()).map((m) => m.bounds), bounds);
    await old.close();
  });
});
