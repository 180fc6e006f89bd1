/**
 * Building answers: JSON and XML documents carry an ETag of their body and answer `304` when the
 * client has it; images carry the render ETag computed before any I/O. The hono environment type
 * (what every handler finds on its context) lives here too, beside the helpers that use it.
 */
import type { Context } from 'hono';
import type { AccessControl, Grant } from './auth.ts';
import type { ApiContext, RequestStats } from './context.ts';
import { Etag } from './etag.ts';

/**
 * Read with c.get('name'), not c.var.name: Hono's c.var builds a new object of every variable
 * (Object.fromEntries) on each access, a dozen a tile request.
 */
export interface ApiEnv {
  Variables: {
    /** Counters for this request's log line. */
    stats: RequestStats;
    /** The shared catalog, sources, caches and configuration. */
    api: ApiContext;
    /** The raw path after the base path (percent-encoding kept), and the parsed query. */
    path: string;
    query: URLSearchParams;
    /** Access control, and how this request got past it (what its documents' links must carry). */
    access: AccessControl;
    grant: Grant;
  };
}

export type ApiContextOf = Context<ApiEnv>;

/** Documents change when the catalog does: clients revalidate every time (a 304 is cheap). */
export const DOCUMENT_CACHE_CONTROL = 'no-cache';

/** `etag` may be given for a body that never changes (static assets, the spec), hashed once, not per request. */
export function documentResponse(c: ApiContextOf, body: string, contentType: string, cacheControl = DOCUMENT_CACHE_CONTROL, etag = Etag.forBody(body)): Response {
  const headers = { etag, 'cache-control': cacheControl };
  if (Etag.matches(c.req.header('if-none-match'), etag)) return new Response(null, { status: 304, headers });
  return new Response(body, { status: 200, headers: { ...headers, 'content-type': contentType } });
}

export const jsonResponse = (c: ApiContextOf, value: unknown, cacheControl?: string): Response =>
  documentResponse(c, JSON.stringify(value), 'application/json; charset=utf-8', cacheControl);

export const xmlResponse = (c: ApiContextOf, xml: string): Response =>
  documentResponse(c, xml, 'application/xml; charset=utf-8');

/** An image whose ETag was derived from its inputs (the caller has already answered any 304). */
export function imageResponse(bytes: Uint8Array, contentType: string, etag: string, cacheControl: string): Response {
  return new Response(bytes as Uint8Array<ArrayBuffer>, {
    status: 200,
    headers: { 'content-type': contentType, 'content-length': String(bytes.byteLength), etag, 'cache-control': cacheControl },
  });
}

/** `304 Not Modified` for a render ETag the client already holds, before any object is read. */
export function notModified(c: ApiContextOf, etag: string, cacheControl: string): Response | undefined {
  if (!Etag.matches(c.req.header('if-none-match'), etag)) return undefined;
  return new Response(null, { status: 304, headers: { etag, 'cache-control': cacheControl } });
}
