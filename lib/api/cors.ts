/**
 * CORS for browsers on other origins (web maps fetch tiles and TileJSON cross-origin): `*`, or an
 * allow-list whose matching Origin is echoed back (with `Vary: Origin`, so caches keep them apart).
 * Preflights are answered here (before access control: browsers send no key with them), and ETag is exposed so scripts can revalidate.
 */
import type { MiddlewareHandler } from 'hono';
import { cors as honoCors } from 'hono/cors';

export function corsMiddleware(allow: '*' | readonly string[]): MiddlewareHandler {
  return honoCors({
    origin: allow === '*' ? '*' : [...allow],
    allowMethods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
    allowHeaders: ['If-None-Match', 'Content-Type', 'X-Api-Key'],
    exposeHeaders: ['ETag', 'Content-Length'],
    maxAge: 86400,
  });
}
