/**
 * The page side of the remote SQLite catalog (remote-sqlite.ts): wa-sqlite's Asyncify build loaded
 * once per process, a VFS whose files are RemoteFiles, and RemoteFile itself — one version (one ETag)
 * of the object, its pages fetched by range through lib/source and kept in a bounded cache.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import SQLiteAsyncFactory from 'wa-sqlite/dist/wa-sqlite-async.mjs';
import * as SQLite from 'wa-sqlite';
import * as VFS from 'wa-sqlite/src/VFS.js';
import type { Source } from '../../source/index.ts';
import { CatalogError } from '../catalog.ts';

/** Pages read ahead of a scan: a 10,000-dataset mosaic index (25 pages) in 4 requests, not 25. */
const READ_AHEAD = 7;

export type Row = Record<string, SQLiteCompatibleType | null>;

// ---- wa-sqlite, once per process ----------------------------------------------------------------

type Api = ReturnType<typeof SQLite.Factory>;
let api: Promise<Api> | undefined;
/** Open files by the name SQLite opens them under. */
const files = new Map<string, RemoteFile>();
let fileCount = 0;

/** The WebAssembly beside the package (node_modules) or beside a bundle's index.js. */
function wasmBinary(): Buffer {
  const candidates: string[] = [];
  try {
    candidates.push(createRequire(import.meta.url).resolve('wa-sqlite/dist/wa-sqlite-async.wasm'));
  } catch { /* bundled: no node_modules */ }
  // a function bundle (CommonJS) has __dirname, where the build copies the .wasm beside index.js
  if (typeof __dirname === 'string') candidates.push(join(__dirname, 'wa-sqlite-async.wasm'));
  candidates.push(join(dirname(process.argv[1] ?? '.'), 'wa-sqlite-async.wasm'));
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new CatalogError(`wa-sqlite-async.wasm not found (looked in ${candidates.join(', ')})`, 'unavailable');
  return readFileSync(found);
}

function sqlite(): Promise<Api> {
  return (api ??= (async () => {
    const module = await SQLiteAsyncFactory({ wasmBinary: wasmBinary() });
    const sqlite3 = SQLite.Factory(module);
    sqlite3.vfs_register(new RangeVfs() as unknown as SQLiteVFS, false);
    return sqlite3;
  })());
}

/**
 * The Asyncify build runs one suspended call at a time: every use of the module waits its turn.
 * Catalog reads are short (a few pages), so this costs little next to the reads themselves.
 */
let turn: Promise<unknown> = Promise.resolve();
function serial<T>(work: () => Promise<T>): Promise<T> {
  const next = turn.then(work, work);
  turn = next.catch(() => undefined);
  return next;
}

/** The VFS: every file is a RemoteFile already opened (its first range read) by the catalog. */
class RangeVfs extends VFS.Base {
  name = 'taoguan-range';
  override mxPathName = 256;
  readonly #open = new Map<number, RemoteFile>();

  override xOpen(name: string | null, fileId: number, flags: number, pOutFlags: DataView): number {
    const file = name ? files.get(name) : undefined;
    if (!file) return VFS.SQLITE_CANTOPEN;
    this.#open.set(fileId, file);
    pOutFlags.setInt32(0, VFS.SQLITE_OPEN_READONLY, true);
    return VFS.SQLITE_OK;
  }

  override xClose(fileId: number): number {
    this.#open.delete(fileId);
    return VFS.SQLITE_OK;
  }

  override xRead(fileId: number, pData: unknown, iOffset: number): number {
    const data = pData as Uint8Array;
    const file = this.#open.get(fileId)!;
    return this.handleAsync(async () => {
      try {
        const bytes = await file.read(iOffset, data.byteLength);
        data.set(bytes);
        if (bytes.length < data.byteLength) {
          data.fill(0, bytes.length);
          return VFS.SQLITE_IOERR_SHORT_READ;
        }
        return VFS.SQLITE_OK;
      } catch (e) {
        file.failure = e;
        return VFS.SQLITE_IOERR;
      }
    });
  }

  override xWrite(): number {
    return VFS.SQLITE_READONLY;
  }

  override xFileSize(fileId: number, pSize64: DataView): number {
    pSize64.setBigInt64(0, BigInt(this.#open.get(fileId)!.size), true);
    return VFS.SQLITE_OK;
  }

  override xAccess(_name: string, _flags: number, pResOut: DataView): number {
    // no journal or WAL beside a published file
    pResOut.setInt32(0, 0, true);
    return VFS.SQLITE_OK;
  }

  override xDeviceCharacteristics(): number {
    // the bytes never change under one open file (reads are pinned to its ETag): no locks, no change checks
    return VFS.SQLITE_IOCAP_IMMUTABLE;
  }

  override handleAsync(f: () => Promise<number>): number {
    return f() as unknown as number; // replaced by the Asyncify build when registered
  }
}

// ---- one version of the object --------------------------------------------------------------------

/** One version of the object (one ETag): its pages as read so far, and what reading them cost. */
export class RemoteFile {
  size = 0;
  etag?: string;
  pageSize = 0;
  /** Requests and bytes this version cost (the figures the README quotes). */
  requests = 0;
  bytesRead = 0;
  /** The last read failure, kept because SQLite only hears "I/O error". */
  failure: unknown;
  readonly #pages = new Map<number, Uint8Array>();
  #cached = 0;
  /** The last page of each of the last few fetches: a read of the page after one is a scan, read ahead. */
  readonly #fetchEnds: number[] = [];

  constructor(readonly source: Source, readonly maxCacheBytes: number) {}

  /** Bytes of pages held now. */
  get cachedBytes(): number {
    return this.#cached;
  }

  /** The first read: `prefetch` bytes from 0, which also tell size, ETag and page size. */
  async open(prefetch: number, wholeBelow: number): Promise<void> {
    const { bytes, info } = await this.source.read(0, prefetch);
    this.#count(bytes.length);
    this.size = info.size;
    this.etag = info.etag;
    const header = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    if (bytes.length < 100 || header.toString('latin1', 0, 16) !== 'SQLite format 3\u0000') {
      throw new CatalogError(`${this.source.location} is not a SQLite database (a taoguan catalog is one)`, 'invalid');
    }
    const p = header.readUInt16BE(16);
    this.pageSize = p === 1 ? 65536 : p;
    this.#keep(0, bytes);
    // a small file is read whole at once: then no query costs another request
    if (bytes.length < this.size && this.size <= wholeBelow) await this.read(bytes.length, this.size - bytes.length);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const P = this.pageSize;
    const first = Math.floor(offset / P), last = Math.floor((Math.min(offset + length, this.size) - 1) / P);
    const missing: number[] = [];
    for (let p = first; p <= last; p++) if (!this.#pages.has(p)) missing.push(p);
    if (missing.length) {
      // one request from the first page missing to the last (SQLite reads one page at a time); a
      // scan (a mosaic's index, read in order) takes the next READ_AHEAD pages not held with it
      let end = missing[missing.length - 1];
      if (this.#fetchEnds.includes(missing[0] - 1)) {
        for (let n = 0; n < READ_AHEAD && (end + 1) * P < this.size && !this.#pages.has(end + 1); n++) end++;
      }
      this.#fetchEnds.push(end);
      if (this.#fetchEnds.length > 4) this.#fetchEnds.shift();
      const from = missing[0] * P, to = Math.min((end + 1) * P, this.size);
      const { bytes } = await this.source.read(from, to - from, { etag: this.etag });
      this.#count(bytes.length);
      this.#keep(from, bytes);
    }
    const out = new Uint8Array(Math.max(0, Math.min(length, this.size - offset)));
    for (let p = first; p <= last; p++) {
      const page = this.#pages.get(p)!;
      const start = Math.max(offset, p * P), end = Math.min(offset + out.length, p * P + page.length);
      out.set(page.subarray(start - p * P, end - p * P), start - offset);
    }
    return out;
  }

  #count(bytes: number): void {
    this.requests++;
    this.bytesRead += bytes;
  }

  #keep(from: number, bytes: Uint8Array): void {
    const P = this.pageSize;
    for (let at = 0; at < bytes.length; at += P) {
      const p = (from + at) / P;
      if (this.#pages.has(p)) continue;
      this.#pages.set(p, bytes.slice(at, at + P));
      this.#cached += P;
    }
    for (const [p, page] of this.#pages) {
      if (this.#cached <= this.maxCacheBytes) break;
      if (p < 8) continue; // the schema and the tables' roots stay
      this.#pages.delete(p);
      this.#cached -= page.length;
    }
  }
}

/** Opens a RemoteFile (already opened: its first range read) as a read-only database. */
export async function openDb(file: RemoteFile): Promise<{ name: string; db: number }> {
  const sqlite3 = await sqlite();
  const name = `taoguan-remote-${++fileCount}.sqlite`;
  files.set(name, file);
  try {
    return { name, db: await serial(() => sqlite3.open_v2(name, SQLite.SQLITE_OPEN_READONLY, 'taoguan-range')) };
  } catch (e) {
    files.delete(name);
    throw e;
  }
}

export async function closeDb(name: string, db: number): Promise<void> {
  files.delete(name);
  const sqlite3 = await sqlite();
  await serial(() => sqlite3.close(db)).catch(() => undefined);
}

/** Run one statement, all of it in the module's turn; rows as objects. */
export async function query(db: number, sql: string, params: (SQLiteCompatibleType | null)[] = []): Promise<Row[]> {
  const sqlite3 = await sqlite();
  return serial(async () => {
    const rows: Row[] = [];
    for await (const stmt of sqlite3.statements(db, sql)) {
      if (params.length) sqlite3.bind_collection(stmt, params);
      const names = sqlite3.column_names(stmt);
      while ((await sqlite3.step(stmt)) === SQLite.SQLITE_ROW) {
        const values = sqlite3.row(stmt);
        rows.push(Object.fromEntries(names.map((n, i) => [n, values[i]])));
      }
    }
    return rows;
  });
}
