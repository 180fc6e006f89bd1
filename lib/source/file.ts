/**
 * A local file. The handle is opened on first use and kept; each read stats the path so that an
 * in-place rewrite (new size or mtime → new ETag) and a replacement (new inode → new handle) are
 * both noticed.
 */
import { open, stat } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
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

/** A missing file is ObjectMissingError and an unreadable one a plain (permanent) SourceError; anything else stays as it is. */
function fsError(location: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new ObjectMissingError(location, 'no such file');
  if (code === 'EACCES' || code === 'EPERM') return new SourceError(`${location}: permission denied`, 403, false);
  return err;
}

async function openHandle(location: string): Promise<Handle> {
  // removed between the stat and the open: as missing as if the stat had said so
  const fh = await open(location, 'r').catch((err: unknown) => {
    throw fsError(location, err);
  });
  try {
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

export class FileSource implements Source {
  private current?: { ino: bigint; dev: bigint; handle: Promise<Handle> };

  constructor(readonly location: string) {}

  async read(offset: number, length: number, options: ReadOptions = {}): Promise<RangeResult> {
    checkRange(this.location, offset, length);
    options.signal?.throwIfAborted();
    const { h, st } = await this.acquire();
    try {
      // The path's stat describes the handle's bytes only when both name the same inode; otherwise
      // (the file was replaced between the stat and the open) ask the handle itself.
      const same = h.ino === st.ino && h.dev === st.dev;
      const info = infoOf(same ? st : await h.fh.stat({ bigint: true }));
      checkEtag(this.location, options.etag, info.etag);
      if (offset >= info.size) throw pastEnd(this.location, offset, info.size);
      const bytes = new Uint8Array(Math.min(length, info.size - offset));
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
    checkEtag(this.location, options.etag, info.etag);
    return info;
  }

  /** Closes the handle once reads in flight finish; a later read reopens it. */
  async close(): Promise<void> {
    const old = this.current;
    this.current = undefined;
    if (old) this.retire(await old.handle.catch(() => undefined));
  }

  private async stat(): Promise<BigIntStats> {
    try {
      return await stat(this.location, { bigint: true });
    } catch (err) {
      throw fsError(this.location, err);
    }
  }

  private async acquire(): Promise<{ h: Handle; st: BigIntStats }> {
    const st = await this.stat();
    if (this.current?.ino !== st.ino || this.current.dev !== st.dev) {
      const old = this.current;
      // Set synchronously so that concurrent reads share one open().
      this.current = { ino: st.ino, dev: st.dev, handle: openHandle(this.location) };
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
