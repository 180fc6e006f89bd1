/**
 * The OpenAPI document, generated from the zod schemas that validate each route (every route module
 * documents itself with `document()` beside its handler), served at /openapi.json and /swagger.json,
 * and rendered at /apidoc by a small self-contained page (apidoc-page.ts): no CDN, nothing to fetch
 * from elsewhere, and ~10 KB instead of swagger-ui's ~1.5 MB in a function bundle of ≤ 1 MB.
 */
import { createRoute, type OpenAPIHono, type z } from '@hono/zod-openapi';
import { APIDOC_HTML } from './apidoc-page.ts';
import { isPublicPath } from './auth.ts';
import { Etag } from './etag.ts';
import { documentResponse, type ApiContextOf, type ApiEnv } from './respond.ts';

type App = OpenAPIHono<ApiEnv>;

const MESSAGE = { 'application/json': { schema: { type: 'object' as const, properties: { message: { type: 'string' as const } }, required: ['message'] } } };

/** What each error status means here; every one is a JSON {"message": …}. */
const ERRORS: Record<number, { description: string; headers?: Record<string, object> }> = {
  400: { description: 'Bad input: the message names the parameter and why' },
  401: {
    description: 'Only where the deployment turns access control on (API keys and/or a URL signing secret): the key or signature is missing, wrong or expired',
    headers: { 'WWW-Authenticate': { description: 'ApiKey realm="taoguan"', schema: { type: 'string' } } },
  },
  404: { description: 'No dataset with these key values' },
  413: { description: 'Request body over 1 MiB' },
  422: { description: 'The request would read more source bytes or decode more pixels or bytes than this server\'s per-request cap (maxSourceBytes / maxDecodedPixels / maxDecodedBytes); the message names the cap' },
  502: { description: 'The object store failed after bounded retries, or the dataset\'s object changed, is missing or is corrupt since it was ingested (the message says which, and to re-ingest where that mends it)' },
  503: {
    description: 'The catalog is unavailable or did not answer in time, or the server is busy (every render slot taken and its queue full, or no slot free within the wait)',
    headers: { 'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer' } } },
  },
  504: { description: 'The object store did not answer within the time budget' },
};

/**
 * Access control is optional (off unless keys or a signing secret are configured), so a protected
 * route lists `{}` (no credentials) beside the ways in; a signed URL needs both exp and sig.
 */
const SECURITY_SCHEMES = {
  ApiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'An API key (TAOGUAN_API_KEYS, serve --api-key)' },
  ApiKeyQuery: { type: 'apiKey', in: 'query', name: 'api_key', description: 'An API key as a query parameter' },
  SignedUrlExpiry: { type: 'apiKey', in: 'query', name: 'exp', description: 'A signed URL\'s expiry, Unix seconds (taoguan sign)' },
  SignedUrlSignature: { type: 'apiKey', in: 'query', name: 'sig', description: 'A signed URL\'s signature: base64url HMAC-SHA256 of the path and sorted query (taoguan sign)' },
} as const;
const PROTECTED: Record<string, string[]>[] = [{}, { ApiKeyHeader: [] }, { ApiKeyQuery: [] }, { SignedUrlExpiry: [], SignedUrlSignature: [] }];

/**
 * What a route touches decides the faults it can answer with: the catalog (503), or the catalog and
 * the objects' blocks (503, 422 past a read cap, 502/504 from the object store).
 */
const FAULTS = { catalog: [503], objects: [422, 502, 503, 504] } as const;

export interface RouteDoc {
  method: 'get' | 'post';
  /** OpenAPI path template, e.g. /singleband/{keys}/{z}/{x}/{y}.png */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  query?: z.ZodObject;
  params?: z.ZodObject;
  body?: z.ZodType;
  /** Media type and description of the 200 answer. */
  ok: { type: string; description: string; schema?: z.ZodType };
  /** Request errors besides the 200 worth listing (400 and 404 are the usual ones). */
  errors?: number[];
  /** What the route reads, for the faults it can answer with (nothing: none). */
  reads?: keyof typeof FAULTS;
}

/** Add a route to the document (the handler is registered by the caller; validation uses the same schemas). */
export function document(app: App, doc: RouteDoc): void {
  const responses: Record<number, object> = {
    200: { description: doc.ok.description, content: { [doc.ok.type]: { schema: doc.ok.schema ?? { type: 'string', format: 'binary' } } } },
  };
  const open = isPublicPath(doc.path);
  const statuses = [...(doc.errors ?? [400, 404]), ...(open ? [] : [401]), ...(doc.reads ? FAULTS[doc.reads] : [])];
  for (const status of statuses.sort((a, b) => a - b)) responses[status] = { ...ERRORS[status], content: MESSAGE };
  app.openAPIRegistry.registerPath(createRoute({
    security: open ? [] : PROTECTED,
    method: doc.method,
    path: doc.path,
    summary: doc.summary,
    description: doc.description,
    tags: doc.tags,
    request: {
      query: doc.query,
      params: doc.params,
      body: doc.body ? { content: { 'application/json': { schema: doc.body } }, required: true } : undefined,
    },
    responses,
  }));
}

export function registerOpenApi(app: App, version: string): void {
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) app.openAPIRegistry.registerComponent('securitySchemes', name, scheme);
  let cached: string | undefined;
  let cachedEtag: string | undefined;
  const spec = (): string => {
    // Built once: the document depends on nothing but the registered routes.
    cached ??= JSON.stringify(app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'taoguan',
        version,
        description: 'Dynamic tiles from Cloud Optimized GeoTIFFs ingested into a catalog under named keys. '
          + 'Terracotta-compatible paths; errors are {"message": …} with 400 for bad input and 404 for unknown datasets. '
          + 'Access control is optional: where a deployment turns it on, every route but the page, its assets, this document and /colormap '
          + 'needs an API key (x-api-key header or api_key parameter) or a signed URL (exp and sig), else 401. '
          + 'Any route: 405 (with Allow) for another method on a known path, 414 for a URL over 16 KiB.',
      },
    }));
    return cached;
  };
  const openapi = (c: ApiContextOf) => {
    const body = spec();
    cachedEtag ??= Etag.forBody(body);
    return documentResponse(c, body, 'application/json; charset=utf-8', 'public, max-age=3600', cachedEtag);
  };
  const apidocEtag = Etag.forBody(APIDOC_HTML);
  app.get('/openapi.json', openapi);
  app.get('/swagger.json', openapi);
  app.get('/apidoc', (c) => documentResponse(c, APIDOC_HTML, 'text/html; charset=utf-8', 'public, max-age=3600', apidocEtag));
  document(app, { method: 'get', path: '/openapi.json', summary: 'This OpenAPI document (also at /swagger.json)', tags: ['documentation'], ok: { type: 'application/json', description: 'OpenAPI 3.1' }, errors: [] });
  document(app, { method: 'get', path: '/apidoc', summary: 'A page rendering this document', tags: ['documentation'], ok: { type: 'text/html', description: 'HTML' }, errors: [] });
}
