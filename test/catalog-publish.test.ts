/**
 * `taoguan catalog publish`: from each kind of store to a compact SQLite file that `sqlite:` (and the
 * remote store, test/catalog-remote-sqlite.test.ts) reads as the same catalog. Real stores where the
 * machine has them (SQLite files, MariaDB, PostgreSQL); TableStore through its in-memory SDK fake.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import sqlite3 from 'node-sqlite3-wasm';
import { CatalogError, type Catalog, type DatasetRecord, type KeySpec, type ListQuery } from '../lib/catalog/catalog.ts';
import { MysqlCatalog } from '../lib/catalog/stores/mysql.ts';
import { PUBLISHED_APP_ID, publishCatalog, publishedRowid } from '../lib/catalog/stores/publish.ts';
import { SqliteCatalog } from '../lib/catalog/stores/sqlite.ts';
import { TableStoreCatalog } from '../lib/catalog/stores/tablestore.ts';
import { sampleRecord } from './catalog-contract.ts';
import { FakeTableStore } from './tablestore-fake.ts';

const dir = await mkdtemp(join(tmpdir(), 'taoguan-publish-test-'));
after(() => rm(dir, { recursive: true, force: true }));

const KEYS: KeySpec[] = [{ name: 'sensor', description: '传感器' }, { name: 'date' }, { name: 'band' }];
const keysOf = (i: number) => [`S${i % 3}`, `2024-01-${String(1 + (i % 28)).padStart(2, '0')}`, `B${String(i).padStart(3, '0')}`];
const recordOf = (i: number) => sampleRecord(keysOf(i), { etag: `"e${i}"`, metadata: { ...sampleRecord(keysOf(i)).metadata, mean: i === 3 ? NaN : i } });

async function fill(c: Catalog, n: number): Promise<void> {
  await c.create(KEYS);
  for (let i = 0; i < n; i++) await c.put(recordOf(i));
}

/** The published file holds exactly the source's datasets, laid out for range reads. */
async function assertPublished(file: string, n: number): Promise<void> {
  const c = new SqliteCatalog(`sqlite:${file}?mode=ro`);
  assert.deepEqual((await c.keys()).map((k) => k.name), KEYS.map((k) => k.name));
  assert.equal((await c.keys())[0].description, '传感器');
  assert.equal(await c.count(), n);
  for (let i = 0; i < n; i++) {
    const got = await c.get(keysOf(i));
    const want = recordOf(i);
    assert.equal(got?.location, want.location);
    assert.equal(got?.etag, want.etag);
    assert.deepEqual(got?.header, want.header);
    assert.deepEqual({ ...got?.metadata, mean: 0 }, { ...want.metadata, mean: 0 });
    assert.ok(i === 3 ? Number.isNaN(got!.metadata.mean) : got!.metadata.mean === i);
  }
  await c.close();
  const db = new sqlite3.Database(file, { readOnly: true });
  try {
    assert.equal(db.get('PRAGMA page_size')!.page_size, 32768);
    assert.equal(db.get('PRAGMA application_id')!.application_id, PUBLISHED_APP_ID);
    assert.equal(db.get('PRAGMA freelist_count')!.freelist_count, 0, 'compact: no free pages');
    assert.equal(db.get('PRAGMA journal_mode')!.journal_mode, 'delete', 'no WAL beside it');
    // each row under its hashed rowid: what lets a remote lookup skip the id index
    for (let i = 0; i < n; i++) assert.equal(BigInt(db.get('SELECT rowid AS r FROM taoguan_datasets WHERE k_band = ?', keysOf(i)[2])!.r as number | bigint), publishedRowid(keysOf(i)));
  } finally {
    db.close();
  }
}

describe('catalog publish', () => {
  it('the CLI publishes a SQLite catalog to a path, replacing the file in one rename', async () => {
    const src = join(dir, 'src.db');
    const c = new SqliteCatalog(src);
    await fill(c, 30);
    await c.close();
    const out = join(dir, 'out', 'catalog.sqlite');
    const run = (...args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/cli/main.ts', ...args], { cwd: new URL('..', import.meta.url).pathname });
    const { stdout } = await run('catalog', 'publish', `sqlite:${src}`, out);
    assert.match(stdout, new RegExp(`published 30 dataset\\(s\\) to ${out}: .* 32 KiB pages`));
    await assertPublished(out, 30);
    // again over it, with one more dataset: the new file replaces the old, no partial left beside it
    const more = new SqliteCatalog(src);
    await more.put(recordOf(30));
    await more.close();
    await run('catalog', 'publish', src, out);
    await assertPublished(out, 31);
    assert.deepEqual(readdirSync(join(dir, 'out')), ['catalog.sqlite']);
    assert.ok(!existsSync(`${src}.lock`), 'the source was read under its lock and released');
    await assert.rejects(run('catalog', 'publish', src, join(dir, 'catalog.json')), /ends \.sqlite or \.db/);
  });

  it('from MySQL and PostgreSQL (one statement: one snapshot) and TableStore (listed twice)', async () => {
    const prefix = `tgpub${process.pid}_`;
    const admin = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', database: 'test' });
    const { PostgresCatalog } = await import('../lib/catalog/stores/postgres.ts');
    const pgUri = `postgres://postgres@127.0.0.1:5432/test?prefix=${prefix}`;
    try {
      for (const [name, make] of [
        ['mysql', () => new MysqlCatalog(`mysql://root@127.0.0.1:3306/test?prefix=${prefix}`, { sharedPool: false })],
        ['postgres', () => new PostgresCatalog(pgUri, { sharedPool: false })],
        ['tablestore', () => new TableStoreCatalog('tablestore://inst?endpoint=https://inst.cn-hangzhou.ots.aliyuncs.com', { client: new FakeTableStore() })],
      ] as const) {
        const c: Catalog = make();
        await fill(c, 25);
        const file = join(dir, `${name}.sqlite`);
        assert.equal((await publishCatalog(c, file)).datasets, 25, name);
        await assertPublished(file, 25);
        await c.close();
      }
    } finally {
      await admin.query(`DROP TABLE IF EXISTS \`${prefix}datasets\`, \`${prefix}meta\``);
      await admin.end();
      const { default: pg } = await import('pg');
      const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
      await client.connect();
      await client.query(`DROP TABLE IF EXISTS "${prefix}datasets", "${prefix}meta"`);
      await client.end();
    }
  });

  it('a store without a snapshot that changes while it is published is refused, and nothing is written', async () => {
    const inner = new SqliteCatalog(join(dir, 'moving.db'));
    await fill(inner, 10);
    let reads = 0;
    // another process's ingest, as this store sees it: a dataset added while publish reads the others
    const moving = {
      uri: inner.uri, keys: () => inner.keys(), list: (q?: ListQuery) => inner.list(q),
      get: async (keys: string[]): Promise<DatasetRecord | undefined> => {
        if (++reads === 5) await inner.put(recordOf(99));
        return inner.get(keys);
      },
    } as unknown as Catalog;
    const file = join(dir, 'moving.sqlite');
    await assert.rejects(publishCatalog(moving, file), (e: unknown) => e instanceof CatalogError && /changed while it was published/.test(e.message));
    assert.ok(!existsSync(file));
    assert.equal((await publishCatalog(moving, file)).datasets, 11, 'published once it holds still');
    await inner.close();
  });
});
