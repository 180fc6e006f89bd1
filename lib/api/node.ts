/**
 * The Node bridge: node:http's (request, response) → WHATWG Request → api.fetch → back, as
 * @hono/node-server does it (lazily built Requests, streamed bodies, HEAD without a body). This is
 * what `taoguan serve` puts on a socket; serverless adapters call api.fetch directly.
 *
 * Around it, what a server on an open port needs and node:http does not do by itself: one request
 * of a connection at a time (lanes.ts), requests a WHATWG Request cannot hold answered 400 instead
 * of 500 (request-target.ts), node:http's own refusals (a malformed request line, headers too large
 * or too slow) answered in JSON and logged, and limits on connections and slow clients.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { RequestLog } from './context.ts';
import { oneAtATime } from './lanes.ts';
import { localHost, refusal, type Refusal } from './request-target.ts';

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface NodeOptions {
  /** Gets a line for each request answered here, before the API (createApi's logger gets the rest). */
  logger?: (line: RequestLog) => void;
}

const json = (message: string) => JSON.stringify({ message });

function logRefusal(logger: NodeOptions['logger'], method: string, path: string, r: Refusal): void {
  logger?.({
    method: method.slice(0, 20), path: path.length > 200 ? `${path.slice(0, 200)}…` : path, status: r.status, ms: 0,
    catalog: 0, source: 0, cache: { blockHits: 0, blockMisses: 0 }, ...(r.message ? { error: r.message } : {}),
  });
}

export function toNodeHandler(api: { fetch(request: Request): Promise<Response> }, options: NodeOptions = {}): NodeHandler {
  // overrideGlobalObjects: the node server's lightweight Request / Response as the globals, so a route's
  // `new Response(bytes)` goes to the socket as it is, not through web streams: a cached tile 148-178 →
  // 98-120 µs of server CPU (1 worker, wrk; `npm run bench -- cached` measures it with 2). Both subclass
  // the globals (instanceof holds), and lib/source's own Responses build the real one on first use of
  // their body. Reading a lightweight Response's body rebuilds it from its constructor's arguments:
  // take its headers first (compress.ts).
  const listener = getRequestListener((request) => api.fetch(request), {
    overrideGlobalObjects: true,
    // Only what refusal() did not foresee reaches here unbuilt (a RequestError): still the client's fault.
    errorHandler: (e) => {
      const request = e instanceof Error && e.name === 'RequestError';
      return new Response(json(request ? `bad request: ${e.message}` : 'internal error'), { status: request ? 400 : 500, headers: { 'content-type': 'application/json; charset=utf-8' } });
    },
  });
  return oneAtATime(async (req, res) => {
    const refused = refusal(req);
    if (refused) {
      logRefusal(options.logger, req.method ?? '', req.url ?? '', refused);
      const body = refused.status === 204 ? '' : json(refused.message);
      res.writeHead(refused.status, { ...refused.headers, ...(body ? { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) } : {}) });
      res.end(body);
      return;
    }
    if (req.headers.host === undefined) req.headers.host = localHost(req);
    await listener(req, res);
  });
}

export interface NodeServerOptions extends NodeOptions {
  /** Open connections at once; more are closed as they come. Default 1024. */
  maxConnections?: number;
}

/**
 * Limits, as nginx sets its own: headers within 20 s and the whole request within 30 s (slowloris);
 * a socket that moves no byte for 60 s while a request is open is closed (a client that stops
 * reading its answer frees it: nginx's send_timeout); idle keep-alive 65 s, longer than the usual
 * proxy's, so nginx never reuses a socket this side has closed; node:http's 16 KiB of headers.
 */
export const SERVER_LIMITS = { headersTimeout: 20_000, requestTimeout: 30_000, socketTimeout: 60_000, keepAliveTimeout: 65_000, maxConnections: 1024 } as const;

export function createNodeServer(api: { fetch(request: Request): Promise<Response> }, options: NodeServerOptions = {}): Server {
  const server = createServer({
    headersTimeout: SERVER_LIMITS.headersTimeout,
    requestTimeout: SERVER_LIMITS.requestTimeout,
    keepAliveTimeout: SERVER_LIMITS.keepAliveTimeout,
    // refusal() answers an HTTP/1.1 request without Host itself: 400 in JSON, and logged
    requireHostHeader: false,
    // how often those two are checked (node's default, 30 s, would let a slow client linger twice as long)
    connectionsCheckingInterval: 5_000,
  }, toNodeHandler(api, options));
  server.setTimeout(SERVER_LIMITS.socketTimeout);
  server.maxConnections = options.maxConnections ?? SERVER_LIMITS.maxConnections;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const message = status === 431 ? 'headers: larger than 16 KiB' : status === 408 ? 'request: not received in time' : `request: malformed (${err.code ?? err.message})`;
    logRefusal(options.logger, '-', '-', { status, message });
    const body = json(message);
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  return server;
}
