/**
 * `taoguan catalog publish SRC DEST`: a consistent snapshot of any catalog written as one compact,
 * read-only-friendly SQLite file, to a path or an object location — what a nightly job runs after
 * ingest, so tiles can be served from a file in a bucket with no database server.
 *
 * The file is the SQLite store's own schema (sqlite.ts creates it, so `sqlite:` opens it as is),
 * laid out for reading by HTTP ranges (remote-sqlite.ts):
 * - 32 KiB pages: a 10,000-dataset catalog (~40 MB) has a two-level table B-tree (the root holds
 *   ~2,500 child pointers) and a ~4 KB row fits in its leaf, with no overflow chain to follow;
 * - each row's rowid is the first 8 bytes of its dataset id (SHA-256 of the key values), marked by
 *   PUBLISHED_APP_ID in the header, so a lookup descends the table B-tree alone (root, leaf) instead
 *   of the id index first and then the table;
 * - rows inserted in rowid order into a fresh file: full pages and no free list, as VACUUM leaves
 *   them (VACUUM itself may renumber rowids, which the layout depends on);
 * - each row's bounds in the store's bounds columns, and a covering mosaic index (keys, bounds:
 *   published-layout.ts) built last, so a mosaic reads that index and the rows it selects.
 * Consistency: a store that can read every record as of one moment (`records()`, PostgreSQL and
 * MySQL: one statement) is read that way; a SQLite source is read from a private copy taken under its
 * lock; others (TableStore) are listed and read twice over and refused if the listing moved.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import sqlite3 from 'node-sqlite3-wasm';
import { parseLocation, writeObject, type OpenOptions } from '../../source/index.ts';
import { CatalogError, type Catalog, type DatasetRecord, type KeySpec } from '../catalog.ts';
import { datasetId, MAX_LIMIT, toStored } from '../records.ts';
import { mosaicIndexSql, PUBLISH_PAGE_SIZE, PUBLISHED_APP_ID, publishedRowid } from './published-layout.ts';
import { SqliteCatalog } from './sqlite.ts';

export { PUBLISH_PAGE_SIZE, PUBLISHED_APP_ID, publishedRowid };

/** A store that can hand out every record as of one moment. */
export interface Snapshotting {
  records(): AsyncIterable<DatasetRecord>;
}
const snapshotting = (c: Catalog): c is Catalog & Snapshotting => typeof (c as Partial<Snapshotting>).records === 'function';


export interface PublishOptions {
  /** Settings for an object destination (credentials, endpoint). */
  objects?: OpenOptions;
  pageSize?: number;
}

export interface PublishResult {
  destination: string;
  datasets: number;
  bytes: number;
  pageSize: number;
  /** Whether rowids are the datasets' hashes (false only if two of them collide: lookups use the id index). */
  hashedRowids: boolean;
  /** The object's ETag after the upload (object destinations). */
  etag?: string;
  sha256: string;
}

export async function publishCatalog(source: Catalog, destination: string, options: PublishOptions = {}): Promise<PublishResult> {
  const target = publishTarget(destination);
  const pageSize = options.pageSize ?? PUBLISH_PAGE_SIZE;
  if (![4096, 8192, 16384, 32768, 65536].includes(pageSize)) throw new CatalogError(`page size ${pageSize}: use 4096, 8192, 16384, 32768 or 65536`);
  const keys = await source.keys();
  const work = mkdtempSync(join(tmpdir(), 'taoguan-publish-'));
  try {
    const file = join(work, 'catalog.sqlite');
    const { datasets, hashedRowids } = await build(file, keys, readAll(source), pageSize);
    const bytes = statSync(file).size;
    const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
    let etag: string | undefined;
    if (target.path) {
      // beside the destination, then renamed over it: a reader never opens half a file
      mkdirSync(dirname(target.path), { recursive: true });
      const partial = `${target.path}.${randomBytes(4).toString('hex')}.partial`;
      copyFileSync(file, partial);
      renameSync(partial, target.path);
    } else {
      etag = (await writeObject(destination, file, options.objects)).etag;
    }
    return { destination: target.path ?? destination, datasets, bytes, pageSize, hashedRowids, etag, sha256 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A local path (plain or `sqlite:`) or an object location, ending .sqlite/.db so it opens as a catalog. */
function publishTarget(destination: string): { path?: string } {
  const bare = destination.startsWith('sqlite:') ? destination.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '') : destination;
  if (!/\.(sqlite3?|db)$/i.test(bare)) throw new CatalogError(`${destination}: a published catalog's name ends .sqlite or .db (so it opens as one)`);
  let loc;
  try {
    loc = parseLocation(bare);
  } catch (e) {
    throw new CatalogError(`${destination}: ${(e as Error).message}`);
  }
  return loc.scheme === 'file' ? { path: resolve(loc.path!) } : {};
}

async function* readAll(source: Catalog): AsyncIterable<DatasetRecord> {
  if (snapshotting(source)) {
    yield* source.records();
    return;
  }
  // No snapshot to read from: list, read each, list again; a listing that moved meanwhile (a
  // dataset added, removed or moved) would make a mixed snapshot, so it is refused.
  const listing = async () => {
    const all = [];
    for (let page = 0; ; page++) {
      const rows = await source.list({ limit: MAX_LIMIT, page });
      all.push(...rows);
      if (rows.length < MAX_LIMIT) return all;
    }
  };
  const before = await listing();
  const records: DatasetRecord[] = [];
  for (const d of before) {
    const r = await source.get(d.keys);
    if (!r || r.location !== d.location) throw new CatalogError(`${source.uri} changed while it was published (${d.keys.join('/')}): run publish again`, 'unavailable');
    records.push(r);
  }
  const after = await listing();
  if (JSON.stringify(after) !== JSON.stringify(before)) throw new CatalogError(`${source.uri} changed while it was published: run publish again`, 'unavailable');
  yield* records;
}

async function build(file: string, keys: KeySpec[], records: AsyncIterable<DatasetRecord>, pageSize: number): Promise<{ datasets: number; hashedRowids: boolean }> {
  // the page size holds only once something is written: the header's application id is
  const init = new sqlite3.Database(file);
  init.exec(`PRAGMA page_size = ${pageSize}; PRAGMA application_id = ${PUBLISHED_APP_ID}`);
  init.close();
  const schema = new SqliteCatalog(file);
  await schema.create(keys);
  await schema.close();

  const stage = `${file}.stage`;
  const db = new sqlite3.Database(file);
  try {
    db.exec(`PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; ATTACH DATABASE '${stage.replace(/'/g, "''")}' AS stage;
      CREATE TABLE stage.d AS SELECT * FROM main.taoguan_datasets WHERE 0`);
    const cols = ['id', ...keys.map((k) => `"k_${k.name}"`), 'location', 'etag', 'size', 'last_modified', 'metadata', 'header', 'updated_at',
      'bounds_w', 'bounds_s', 'bounds_e', 'bounds_n'];
    const insert = db.prepare(`INSERT INTO stage.d (rowid, ${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')}, ?)`);
    const seen = new Set<bigint>();
    let hashed = true;
    let n = 0;
    const now = new Date().toISOString();
    db.exec('BEGIN');
    for await (const r of records) {
      const s = toStored(r);
      const rowid = publishedRowid(r.keys);
      if (seen.has(rowid)) hashed = false;
      seen.add(rowid);
      insert.run([rowid, datasetId(r.keys), ...r.keys, s.location, s.etag, s.size, s.lastModified, s.metadata, s.header, now, ...r.metadata.bounds]);
      n++;
    }
    insert.finalize();
    db.exec('COMMIT');
    // two datasets whose ids share their first 8 bytes: plain rowids, and no mark (lookups use the id index)
    const order = hashed ? 'rowid' : 'id';
    db.exec(`INSERT INTO main.taoguan_datasets (${hashed ? 'rowid, ' : ''}${cols.join(', ')}) SELECT ${hashed ? 'rowid, ' : ''}${cols.join(', ')} FROM stage.d ORDER BY ${order};
      DETACH DATABASE stage; ${mosaicIndexSql(keys)}; PRAGMA journal_mode = DELETE`);
    if (!hashed) db.exec('PRAGMA application_id = 0');
    const check = db.get('PRAGMA quick_check');
    if (check?.quick_check !== 'ok') throw new CatalogError(`the published file failed SQLite's check: ${JSON.stringify(check)}`, 'unavailable');
    return { datasets: n, hashedRowids: hashed };
  } finally {
    db.close();
    rmSync(stage, { force: true });
  }
}
