/**
 * The one interface every byte source implements: local files, HTTP(S), S3-compatible stores.
 * Small on purpose (as @cogeotiff/core's Source): coalescing, retries and recording wrap it.
 */
import { TaoguanError, type ErrorKind } from '../errors/index.ts';

export interface ObjectInfo {
  /** Total object size in bytes. */
  size: number;
  /** The object's ETag as the origin sent it (quotes kept), when it has one. */
  etag?: string;
  /** Last-Modified as an ISO-8601 string, when known. */
  lastModified?: string;
}

export interface ReadOptions {
  signal?: AbortSignal;
  /**
   * Fail with ObjectChangedError unless the object still has this ETag (sent as If-Match where the
   * protocol allows, and checked against the response's ETag as well).
   */
  etag?: string;
}

export interface RangeResult {
  /** Exactly the bytes [offset, min(offset + length, size)). Shorter only at the end of the object. */
  bytes: Uint8Array;
  info: ObjectInfo;
}

export interface Source {
  /** A location string a user would recognise: a path, URL or s3://bucket/key. */
  readonly location: string;
  /**
   * Read `length` bytes from `offset`. Reading past the end returns the bytes up to the end (the
   * first header read of a small file asks for more than there is); an offset at or past the end is
   * an error. One call is one request to the origin (plus retries).
   */
  read(offset: number, length: number, options?: ReadOptions): Promise<RangeResult>;
  /** Size, ETag and modification time without reading data. */
  head(options?: ReadOptions): Promise<ObjectInfo>;
  /** Releases what the source holds open (a file handle); a later read may reopen it. */
  close?(): Promise<void>;
}

/** The object's ETag no longer matches the one its header was read with. */
export class ObjectChangedError extends TaoguanError {
  constructor(location: string, expected: string, actual: string | undefined) {
    super('changed', `${location} changed since its header was read (ETag ${expected} → ${actual ?? 'missing'}); re-ingest it`);
    this.name = 'ObjectChangedError';
  }
}

/**
 * The origin failed in a way retries did not cure (5xx, reset, short read, wrong range). `status` is
 * the origin's HTTP status where it gave one; `retryable` whether another attempt could succeed.
 */
export class SourceError extends TaoguanError {
  constructor(message: string, readonly status?: number, readonly retryable = false, kind: ErrorKind = 'origin') {
    super(kind, message);
    this.name = 'SourceError';
  }
}

/**
 * No object at the location (HTTP 404, S3 NoSuchKey, a file's ENOENT). Never retried: it was deleted
 * or moved, and only a re-ingest (or deleting the dataset) mends a catalog row pointing at it.
 */
export class ObjectMissingError extends SourceError {
  constructor(location: string, detail: string) {
    super(`${location}: ${detail}`, 404, false);
    this.name = 'ObjectMissingError';
  }
}

/** The origin did not answer within the timeout. */
export class SourceTimeoutError extends SourceError {
  constructor(location: string, ms: number) {
    super(`${location}: no response within ${ms} ms`, undefined, true, 'timeout');
    this.name = 'SourceTimeoutError';
  }
}
