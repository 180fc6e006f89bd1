/**
 * Checks every source applies before trusting an origin's answer: the range asked for, the
 * Content-Range and length that came back, the ETag, and which network failures are worth a retry.
 */
import { ObjectChangedError, SourceError } from './source.ts';

/** A programming error, not an origin fault: thrown before any request is made. */
export function checkRange(location: string, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 1) {
    throw new RangeError(`${location}: invalid read of ${length} bytes at ${offset} (need offset ≥ 0, length ≥ 1)`);
  }
}

export function pastEnd(location: string, offset: number, size?: number): SourceError {
  const of = size === undefined ? '' : ` of a ${size}-byte object`;
  return new SourceError(`${location}: offset ${offset} is at or past the end${of}`, 416, false);
}

/** `bytes a-b/size` → numbers; `bytes * /size` (a 416's form) gives only the size. */
export function parseContentRange(value: string | null | undefined): { start?: number; end?: number; size: number } | undefined {
  const m = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+)$/i.exec(value?.trim() ?? '');
  if (!m) return undefined;
  const size = Number(m[3]);
  if (m[1] === undefined) return { size };
  return { start: Number(m[1]), end: Number(m[2]), size };
}

/**
 * The object size from a 206's Content-Range, which must cover exactly the bytes asked for. Anything
 * else is never used (it would be the wrong pixels) but is retried: a misbehaving cache or proxy in
 * front of the store may answer the next attempt correctly, and the retries are bounded.
 */
export function sizeFromContentRange(location: string, offset: number, length: number, contentRange: string | null | undefined): number {
  const r = parseContentRange(contentRange);
  if (r?.start === undefined) {
    throw new SourceError(`${location}: partial response without a usable Content-Range (${contentRange ?? 'none'})`, 206, true);
  }
  const end = Math.min(offset + length, r.size) - 1;
  if (r.start !== offset || r.end !== end) {
    throw new SourceError(`${location}: asked for bytes ${offset}-${offset + length - 1}, got Content-Range ${contentRange}`, 206, true);
  }
  return r.size;
}

/** A body shorter than announced is a dropped or cut connection: worth another try. */
export function checkLength(location: string, got: number, expected: number): void {
  if (got !== expected) {
    throw new SourceError(`${location}: short read, got ${got} of ${expected} bytes`, undefined, true);
  }
}

function opaque(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

export function isWeakEtag(etag: string): boolean {
  return etag.startsWith('W/');
}

/** The If-Match value for an ETag, or undefined for a weak one (If-Match compares strongly, so it could never match). */
export function ifMatch(etag: string | undefined): string | undefined {
  if (etag === undefined || isWeakEtag(etag)) return undefined;
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

/**
 * Compares ETags weakly and ignoring quotes, so a caller's unquoted value still matches. An answer
 * without an ETag passes: If-Match already guarded it where the protocol allows.
 */
export function checkEtag(location: string, expected: string | undefined, actual: string | undefined): void {
  if (expected !== undefined && actual !== undefined && opaque(expected) !== opaque(actual)) {
    throw new ObjectChangedError(location, expected, actual);
  }
}

/** Failures a retry cannot cure: the name will not resolve, or the certificate is wrong. */
const PERMANENT = /^(ENOTFOUND|ERR_INVALID_URL|CERT_|ERR_TLS_CERT|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT|UNABLE_TO_VERIFY|ERR_SSL_WRONG_VERSION)/;

export function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, i = 0; e && typeof e === 'object' && i < 4; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** A failure below HTTP (reset, refused, cut body) as a SourceError that says whether to retry. */
export function networkError(location: string, err: unknown): SourceError {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  const cause = (err as { cause?: unknown })?.cause;
  const detail = cause instanceof Error && cause.message !== message ? `: ${cause.message}` : '';
  return new SourceError(`${location}: ${message}${detail}${code ? ` (${code})` : ''}`, undefined, !(code && PERMANENT.test(code)));
}
