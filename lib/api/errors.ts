/**
 * Every failure becomes `{"message": …}` with a status that says whose fault it was: 4xx for the
 * request (naming the parameter and why), 5xx only for real faults, with messages that name no
 * host, bucket or credential (the full error goes to the request log instead).
 */
import { errorKind, TaoguanError, type ErrorKind } from '../errors/index.ts';
import { CorruptBlockError } from '../raster/index.ts';
import { LocationRefusedError } from '../source/index.ts';
import { ObjectMissingError, SourceError } from '../source/index.ts';

/** The one mapping from what went wrong to the status that says whose fault it was. */
export const STATUS: Record<ErrorKind, number> = {
  input: 400, 'not-found': 404, limit: 422, origin: 502, timeout: 504, changed: 502, unavailable: 503, internal: 500,
};

/** The kind a status stands for; statuses with none of their own (401, 405, 413, 414…) are the request's: input. */
const kindOfStatus = (status: number): ErrorKind =>
  (Object.keys(STATUS) as ErrorKind[]).find((k) => STATUS[k] === status) ?? (status < 500 ? 'input' : 'internal');

/** An error whose status and message are fit to send as they are. */
export class ApiError extends TaoguanError {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(kindOfStatus(status), message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string): ApiError => new ApiError(400, message);
export const notFound = (message: string): ApiError => new ApiError(404, message);

/** Seconds a client should wait before retrying when the catalog cannot be reached. */
const RETRY_AFTER = '5';

/** What a 5xx answer says: a fixed sentence per kind, naming no host, bucket or credential. */
const SERVER_MESSAGES: Partial<Record<ErrorKind, string>> = {
  origin: 'the object store failed; try again later',
  timeout: 'the object store did not answer in time; try again',
  changed: 'the dataset\'s object changed since it was ingested (its ETag no longer matches): re-ingest it',
  unavailable: 'the catalog is unavailable; try again shortly',
  internal: 'internal error',
};

/** Origin faults say what failed, and those a retry cannot cure say what will. */
function originMessage(err: unknown): string {
  if (err instanceof CorruptBlockError) return 'the dataset\'s object is corrupt (a block of it does not decode): re-ingest it from a good copy';
  if (!(err instanceof SourceError)) return SERVER_MESSAGES.origin!;
  if (err instanceof ObjectMissingError) return 'the dataset\'s object is missing from the object store (deleted or moved since it was ingested): re-ingest the dataset, or delete it from the catalog';
  if (err instanceof LocationRefusedError) return 'the dataset\'s location is not one this server may read (its allowed buckets, prefixes or hosts): re-ingest it from an allowed location';
  // Only an error status says anything; a 206 with the wrong range is just "failed".
  const status = err.status !== undefined && err.status >= 400 ? ` (HTTP ${err.status})` : '';
  return `the object store failed${status}; try again later`;
}

/**
 * Map anything thrown while handling a request to the ApiError to answer with. A 4xx says the error's
 * own message (naming the parameter and why, quoting only the request); a 5xx a fixed sentence, its
 * cause going to the request log. A built-in error (RangeError, TypeError, a failed allocation) is a
 * bug: 500, never blamed on the client.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const kind = errorKind(err);
  const status = STATUS[kind];
  if (status < 500) return new ApiError(status, (err as Error).message);
  const message = kind === 'origin' ? originMessage(err) : SERVER_MESSAGES[kind] ?? 'internal error';
  return new ApiError(status, message, kind === 'unavailable' ? { 'retry-after': RETRY_AFTER } : {});
}

/** The JSON error response; 5xx answers are never cached. */
export function errorResponse(err: ApiError, extraHeaders: Record<string, string> = {}): Response {
  const body = JSON.stringify({ message: err.message });
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...err.headers,
    ...extraHeaders,
  };
  return new Response(body, { status: err.status, headers });
}

/** A one-line description of the original error for the log: the whole message, never sent to clients. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
