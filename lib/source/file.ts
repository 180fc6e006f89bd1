/**
 * A local file. The handle is opened on first use and kept; a read stats the path so that an
 * in-place rewrite (new size or mtime → new ETag) and a replacement (new inode → new handle) are
 * both noticed — each read by default, or at most once per `statMaxAgeMs` (the tile server's
 * choice, see its option). A symbolic link is read through: the ETag is its target's, so re-pointing
 * the link reads as a change.
 */
import { lstat, open, readlink, realpath, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { BigIntStats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { takeBytes } from '../util/index.ts';
import { checkEtag, checkRange, pastEnd } from './check.ts';
import { ObjectMissingError, SourceError } from './source.ts';
import type { ObjectInfo, RangeResult, ReadOptions, Source } from './source.ts';

interface Handle {
  fh: FileHandle;
  /** The inode the handle really has open (a rename between stat and open can differ from the path's). */
  ino: bigint;
  dev: bigint;
  users: number;
  retired: boolean;
}

export interface FileSourceOptions {
  /**
   * Called with the real path of the file (every link followed) before it is read: at each open, with
   * the path the open handle names, and at each head. Throws to refuse it (an allow-list).
   */
  checkTarget?: (target: string) => void;
  /**
   * How long (ms) a stat of the path stands for the file (default 0: every read stats it). Within it,
   * a read pinned to the ETag that stat gave, or to none, goes straight to the open handle: a file
   * replaced by rename is still read whole from the version the handle has open, which is the one
   * that ETag names; a read pinned to another ETag (a re-ingested file) stats at once. Only an
   * in-place rewrite goes unnoticed, for that long. The stat and its promise cost ~0.3 ms of a fresh
   * tile's CPU (two reads a tile), ~5% of it.
   */
  statMaxAgeMs?: number;
}

/** The real path of what an open handle reads: Linux names it in /proc, so no link re-pointed after the open can differ. */
const handleTarget = (fh: FileHandle, location: string): Promise<string> =>
  readlink(`/proc/self/fd/${fh.fd}`).catch(() => realpath(location));

async function openHandle(location: string, checkTarget?: (target: string) => void): Promise<Handle> {
  // removed between the stat and the open: as missing as if the stat had said so
  const fh = await open(location, 'r').catch(async (err: unknown) => {
    throw await fsError(location, err);
  });
  try {
    if (checkTarget) checkTarget(await handleTarget(fh, location));
    const { ino, dev } = await fh.stat({ bigint: true });
    return { fh, ino, dev, users: 0, retired: false };
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw e;
  }
}

/** Size and mtime stand in for an ETag: enough to tell that a file changed since ingest. */
function infoOf(st: BigIntStats): ObjectInfo {
  return {
    size: Number(st.size),
    etag: `"${st.size.toString(16)}-${st.mtimeNs.toString(16)}"`,
    lastModified: st.mtime.toISOString(),
  };
}

/** Why a path names no file, in the words that help: a dangling link, or a relative path looked up from elsewhere. */
async function missing(location: string): Promise<string> {
  const link = await lstat(location).then((st) => st.isSymbolicLink(), () => false);
  if (link) return `a symbolic link to ${await readlink(location).catch(() => '?')}, which does not exist (a dangling link)`;
  return isAbsolute(location) ? 'no such file' : `no such file (a relative path, looked up from the working directory ${process.cwd()})`;
}

/**
 * A path that names no file (gone, a dangling link, a loop of links) is ObjectMissingError and an
 * unreadable one a plain, permanent SourceError; anything else stays as it is.
 */
async function fsError(location: string, err: unknown): Promise<unknown> {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new ObjectMissingError(location, await missing(location));
  if (code === 'ELOOP') return new ObjectMissingError(location, 'a loop of symbolic links, which never reaches a file');
  if (code === 'EACCES' || code === 'EPERM') return new SourceError(`${location}: permission denied`, 403, false);
  return err;
}

export class FileSource implements Source {
  private current?: { ino: bigint; dev: bigint; handle: Promise<Handle> };
  /** The last stat's verdict on the open handle, for statMaxAgeMs. */
  private verified?: { h: Handle; info: ObjectInfo; at: number };

  constructor(readonly location: string, private readonly options: FileSourceOptions = {}) {}

  async read(offset: number, length: number, options: ReadOptions = {}): Promise<RangeResult> {
    checkRange(this.location, offset, length);
    options.signal?.throwIfAborted();
    const { h, info } = await this.verify(options.etag);
    try {
      checkEtag(this.location, options.etag, info.etag);
      if (offset >= info.size) throw pastEnd(this.location, offset, info.size);
      // from the read-buffer pool: a reader done with them may give them back (lib/util/byte-pool.ts)
      const bytes = takeBytes(Math.min(length, info.size - offset));
      let done = 0;
      while (done < bytes.length) {
        const { bytesRead } = await h.fh.read(bytes, done, bytes.length - done, offset + done);
        if (bytesRead === 0) throw new SourceError(`${this.location}: file shrank while being read`, undefined, true);
        done += bytesRead;
      }
      return { bytes, info };
    } finally {
      this.release(h);
    }
  }

  async head(options: ReadOptions = {}): Promise<ObjectInfo> {
    options.signal?.throwIfAborted();
    const info = infoOf(await this.stat());
    if (this.options.checkTarget) this.options.checkTarget(await realpath(this.location));
    checkEtag(this.location, options.etag, info.etag);
    return info;
  }

  /** Closes the handle once reads in flight finish; a later read reopens it. */
  async close(): Promise<void> {
    const old = this.current;
    this.current = undefined;
    this.verified = undefined;
    if (old) this.retire(await old.handle.catch(() => undefined));
  }

  private async stat(): Promise<BigIntStats> {
    try {
      return await stat(this.location, { bigint: true });
    } catch (err) {
      throw await fsError(this.location, err);
    }
  }

  /** The open handle and what it holds (size, ETag), from a stat of the path unless a recent one stands. The caller releases h. */
  private async verify(etag: string | undefined): Promise<{ h: Handle; info: ObjectInfo }> {
    const v = this.verified, maxAge = this.options.statMaxAgeMs ?? 0;
    if (v && !v.h.retired && performance.now() - v.at < maxAge && (etag === undefined || etag === v.info.etag)) {
      v.h.users++;
      return v;
    }
    const at = performance.now();
    const { h, st } = await this.acquire();
    try {
      // The path's stat describes the handle's bytes only when both name the same inode; otherwise
      // (the file was replaced between the stat and the open) ask the handle itself.
      const same = h.ino === st.ino && h.dev === st.dev;
      const info = infoOf(same ? st : await h.fh.stat({ bigint: true }));
      // info describes h's own inode, so even a handle replaced meanwhile is read consistently
      if (maxAge > 0) this.verified = { h, info, at };
      return { h, info };
    } catch (e) {
      this.release(h);
      throw e;
    }
  }

  private async acquire(): Promise<{ h: Handle; st: BigIntStats }> {
    const st = await this.stat();
    if (this.current?.ino !== st.ino || this.current.dev !== st.dev) {
      const old = this.current;
      // Set synchronously so that concurrent reads share one open().
      this.current = { ino: st.ino, dev: st.dev, handle: openHandle(this.location, this.options.checkTarget) };
      if (old) void old.handle.then((h) => this.retire(h), () => undefined);
    }
    const current = this.current;
    const h = await current.handle.catch((err: unknown) => {
      if (this.current === current) this.current = undefined;
      throw err;
    });
    h.users++;
    return { h, st };
  }

  private release(h: Handle): void {
    h.users--;
    if (h.retired && h.users === 0) void h.fh.close().catch(() => undefined);
  }

  private retire(h: Handle | undefined): void {
    if (!h || h.retired) return;
    h.retired = true;
    h.users++;
    this.release(h);
  }
}
