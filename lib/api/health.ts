/**
 * GET /healthz for load balancers, API gateways and watchdogs: answers from memory only (no catalog
 * or object I/O, never waits for a render slot), so it says whether this process is up, not whether
 * a dependency is. 200 with the version and how busy the process is; never cached.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { document } from './openapi.ts';
import type { ApiEnv } from './respond.ts';

export function registerHealth(app: OpenAPIHono<ApiEnv>, version: string): void {
  app.get('/healthz', (c) => {
    const { admission } = c.get('api');
    const body = { status: 'ok', version, renders: { inFlight: admission.inFlight, queued: admission.queued, refused: admission.refused, ...admission.limits } };
    return c.json(body, 200, { 'cache-control': 'no-store' });
  });
  document(app, {
    method: 'get', path: '/healthz', tags: ['operations'], errors: [],
    summary: 'Liveness: this process answers (no catalog or object I/O)',
    description: 'For load balancers, API gateways and watchdogs; public even with access control on. renders: the admission limits and how many renders are running, waiting, and were refused with 503.',
    ok: { type: 'application/json', description: '{"status": "ok", "version", "renders": {inFlight, queued, refused, maxInFlight, maxQueue, maxWaitMs}}' },
  });
}
