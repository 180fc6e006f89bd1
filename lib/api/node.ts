/**
 * The Node bridge: node:http's (request, response) → WHATWG Request → api.fetch → back, as
 * @hono/node-server does it (lazily built Requests, streamed bodies, HEAD without a body). This is
 * what `taoguan serve` puts on a socket; serverless adapters call api.fetch directly.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function toNodeHandler(api: { fetch(request: Request): Promise<Response> }): NodeHandler {
  // overrideGlobalObjects: false — leave the global Request / Response (which lib/source's fetch uses) alone.
  const listener = getRequestListener((request) => api.fetch(request), {
    overrideGlobalObjects: false,
    errorHandler: () => new Response(JSON.stringify({ message: 'internal error' }), { status: 500, headers: { 'content-type': 'application/json' } }),
  });
  return async (req, res) => {
    await listener(req, res);
  };
}
