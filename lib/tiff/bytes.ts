/**
 * The bytes a header is parsed from, as lib/tiff sees them: anything that reads a range and says
 * how large the object is. lib/source's Source fits this shape without knowing of it; the parser
 * depends on no transport, so it can run over a file, an object store or an in-memory buffer alike.
 */

/** What the object was when it was read: its size, and its version where the store has one. */
export interface ObjectVersion {
  size: number;
  /** The object's ETag, quotes kept. */
  etag?: string;
  /** ISO-8601. */
  lastModified?: string;
}

export interface RangeReadOptions {
  signal?: AbortSignal;
  /** Fail unless the object still has this ETag (so a header is never read across two versions). */
  etag?: string;
}

export interface ByteRangeReader {
  /** Bytes [offset, min(offset + length, size)), and the object's version. */
  read(offset: number, length: number, options?: RangeReadOptions): Promise<{ bytes: Uint8Array; info: ObjectVersion }>;
}
