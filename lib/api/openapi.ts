/**
 * The OpenAPI document, generated from the zod schemas that validate each route (every route module
 * documents itself with `document()` beside its handler), served at /openapi.json and /swagger.json,
 * and rendered at /apidoc by a small self-contained page (apidoc-page.ts): no CDN, nothing to fetch
 * from elsewhere, and ~10 KB instead of swagger-ui's ~1.5 MB in a function bundle of ≤ 1 MB.
 */
import { createRoute, type OpenAPIHono, type z } from '@hono/zod-openapi';
import { APIDOC_HTML } from './apidoc-page.ts';
import { documentResponse, type ApiContextOf, type ApiEnv } from './respond.ts';

type App = OpenAPIHono<ApiEnv>;

const ERROR = { description: 'Error', content: { 'application/json': { schema: { type: 'object' as const, properties: { message: { type: 'string' as const } } } } } };

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
  /** Statuses besides 200 worth listing (400 and 404 are the usual ones). */
  errors?: number[];
}

/** Add a route to the document (the handler is registered by the caller; validation uses the same schemas). */
export function document(app: App, doc: RouteDoc): void {
  const responses: Record<number, object> = {
    200: { description: doc.ok.description, content: { [doc.ok.type]: { schema: doc.ok.schema ?? { type: 'string', format: 'binary' } } } },
  };
  for (const status of doc.errors ?? [400, 404]) responses[status] = ERROR;
  app.openAPIRegistry.registerPath(createRoute({
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
  let cached: string | undefined;
  const spec = (): string => {
    // Built once: the document depends on nothing but the registered routes.
    cached ??= JSON.stringify(app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'taoguan',
        version,
        description: 'Dynamic tiles from Cloud Optimized GeoTIFFs ingested into a catalog under named keys. '
          + 'Terracotta-compatible paths; errors are {"message": …} with 400 for bad input and 404 for unknown datasets.',
      },
    }));
    return cached;
  };
  const openapi = (c: ApiContextOf) => documentResponse(c, spec(), 'application/json; charset=utf-8', 'public, max-age=3600');
  app.get('/openapi.json', openapi);
  app.get('/swagger.json', openapi);
  app.get('/apidoc', (c) => documentResponse(c, APIDOC_HTML, 'text/html; charset=utf-8', 'public, max-age=3600'));
  document(app, { method: 'get', path: '/openapi.json', summary: 'This OpenAPI document (also at /swagger.json)', tags: ['documentation'], ok: { type: 'application/json', description: 'OpenAPI 3.1' }, errors: [] });
  document(app, { method: 'get', path: '/apidoc', summary: 'A page rendering this document', tags: ['documentation'], ok: { type: 'text/html', description: 'HTML' }, errors: [] });
}
