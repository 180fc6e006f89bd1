/**
 * Every failure becomes `{"message": …}` with a status that says whose fault it was: 4xx for the
 * request (naming the parameter and why), 5xx only for real faults, with messages that name no
 * host, bucket or credential (the full error goes to the request log instead).
 */
import { CatalogError } from '../catalog/catalog.ts';
import { ReadLimitError } from '../raster/budget.ts';
import { RenderInputError } from '../render/errors.ts';
import { ObjectChangedError, SourceError, SourceTimeoutError } from '../source/source.ts';
import { UnknownCrsError } from '../tiles/crs.ts';

/** An error whose status and message are fit to send as they are. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string): ApiError => new ApiError(400, message);
export const notFound = (message: string): ApiError => new ApiError(404, message);

/** Seconds a client should wait before retrying when the catalog cannot be reached. */
const RETRY_AFTER = '5';

/** Map anything thrown while handling a request to the ApiError to answer with. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  // RenderInputError's message already starts with the parameter's name.
  if (err instanceof RenderInputError) return badRequest(err.message);
  // lib/tiles and lib/render throw RangeError for coordinates, sizes and bands out of range.
  if (err instanceof RangeError) return badRequest(err.message);
  // Well-formed, but more than this server reads for one request: retrying cannot help (422, not 5xx).
  if (err instanceof ReadLimitError) return new ApiError(422, err.message);
  if (err instanceof ObjectChangedError) {
    return new ApiError(502, 'the dataset\'s object changed since it was ingested (its ETag no longer matches): re-ingest it');
  }
  if (err instanceof SourceTimeoutError) return new ApiError(504, 'the object store did not answer in time; try again');
  if (err instanceof SourceError) {
    // Only an error status says anything; a 206 with the wrong range is just "failed".
    const status = err.status !== undefined && err.status >= 400 ? ` (HTTP ${err.status})` : '';
    return new ApiError(502, `the object store failed${status}; try again later`);
  }
  if (err instanceof CatalogError) {
    // Bad key values and unknown key names are the request's doing; their messages name no secret.
    if (err.code === 'invalid') return badRequest(err.message);
    return new ApiError(503, 'the catalog is unavailable; try again shortly', { 'retry-after': RETRY_AFTER });
  }
  if (err instanceof UnknownCrsError) return new ApiError(500, 'the dataset\'s CRS cannot be transformed by this server');
  return new ApiError(500, 'internal error');
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
