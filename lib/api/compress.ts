/**
 * gzip for documents (JSON, XML, HTML) when the client accepts it: metadata lists and capabilities
 * shrink 5–10×, which matters on slow links. Images are already compressed and go as they are.
 * Bodies are small and built in memory, so one synchronous node:zlib call (level 6) is the
 * cheapest way; the ETag stays that of the content, with `Vary: Accept-Encoding` for caches.
 */
import { gzipSync } from 'node:zlib';
import type { MiddlewareHandler } from 'hono';

const COMPRESSIBLE = /^(application\/(json|xml|javascript)|text\/)/;
/** Below this, gzip's header and the CPU cost more than they save. */
const MIN_BYTES = 1024;

export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return !q || Number(q.slice(2)) > 0;
  });
}

export function compressMiddleware(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const res = c.res;
    const type = res.headers.get('content-type') ?? '';
    if (!COMPRESSIBLE.test(type) || res.status !== 200 || res.headers.has('content-encoding')) return;
    res.headers.append('vary', 'Accept-Encoding');
    if (!acceptsGzip(c.req.header('accept-encoding'))) return;
    // the headers before the body: reading the body of @hono/node-server's lightweight Response (serve's
    // global, node.ts) builds the real one from its constructor's arguments, without later changes
    const headers = new Headers(res.headers);
    const body = new Uint8Array(await res.arrayBuffer());
    if (body.byteLength < MIN_BYTES) {
      c.res = new Response(body, { status: res.status, headers });
      return;
    }
    const gz = gzipSync(body);
    headers.set('content-encoding', 'gzip');
    headers.set('content-length', String(gz.byteLength));
    c.res = new Response(gz, { status: res.status, headers });
  };
}
