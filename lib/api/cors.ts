/**
 * CORS for browsers on other origins (web maps fetch tiles and TileJSON cross-origin): `*`, or an
 * allow-list whose matching Origin is echoed back (with `Vary: Origin`, so caches keep them apart).
 * Preflights are answered here (before access control: browsers send no key with them), and ETag is exposed so scripts can revalidate.
 *
 * The headers hono/cors sends, set on the route's own response once it exists. hono/cors sets them
 * on c.res before the route runs, and Hono then rebuilds the route's response around its body to
 * merge them in: a Response streamed through a second Response, which @hono/node-server reads back
 * through web streams, for every tile.
 */
import type { MiddlewareHandler } from 'hono';

const ALLOW_METHODS = 'GET,HEAD,POST,OPTIONS';
const ALLOW_HEADERS = 'If-None-Match,Content-Type,X-Api-Key';
const EXPOSE_HEADERS = 'ETag,Content-Length';
const MAX_AGE = '86400';

export function corsMiddleware(allow: '*' | readonly string[]): MiddlewareHandler {
  const list = allow === '*' ? undefined : [...allow];
  const allowedOrigin = (origin: string | undefined): string | undefined => (list ? (origin && list.includes(origin) ? origin : undefined) : '*');
  return async (c, next) => {
    const origin = allowedOrigin(c.req.header('origin'));
    if (c.req.method === 'OPTIONS') {
      const headers = new Headers();
      if (origin) headers.set('Access-Control-Allow-Origin', origin);
      headers.set('Access-Control-Expose-Headers', EXPOSE_HEADERS);
      if (list) headers.append('Vary', 'Origin');
      headers.set('Access-Control-Max-Age', MAX_AGE);
      headers.set('Access-Control-Allow-Methods', ALLOW_METHODS);
      headers.set('Access-Control-Allow-Headers', ALLOW_HEADERS);
      headers.append('Vary', 'Access-Control-Request-Headers');
      return new Response(null, { status: 204, statusText: 'No Content', headers });
    }
    await next();
    const add = (headers: Headers) => {
      if (origin) headers.set('Access-Control-Allow-Origin', origin);
      headers.set('Access-Control-Expose-Headers', EXPOSE_HEADERS);
      if (list) headers.append('Vary', 'Origin');
    };
    try {
      add(c.res.headers);
    } catch (e) {
      // a response whose headers are immutable (Response.redirect, one passed on from fetch): a copy takes them
      if (!(e instanceof TypeError)) throw e;
      c.res = new Response(c.res.body, c.res);
      add(c.res.headers);
    }
  };
}
