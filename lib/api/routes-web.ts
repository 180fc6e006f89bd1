/**
 * The preview map page at `/` and its few assets at `/web/{name}`: web/index.html, web/app.js,
 * web/mosaic.js, web/app.css and Leaflet's JS and CSS from node_modules — no CDN, so the page works where foreign
 * CDNs are slow or blocked. The list is explicit (a serverless bundle will inline exactly these);
 * each file is read once, on first use. The page uses only the public API, with URLs relative to
 * its own location, so it works under any base path. Its icon (web/favicon.svg) is at /favicon.ico.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { notFound } from './errors.ts';
import { document } from './openapi.ts';
import { Etag } from './etag.ts';
import { documentResponse, type ApiContextOf, type ApiEnv } from './respond.ts';

const require = createRequire(import.meta.url);
const web = (name: string) => new URL(`../../web/${name}`, import.meta.url).pathname;

/** name under /web/ → where it comes from and its media type. */
export const WEB_ASSETS: Record<string, { path: () => string; type: string }> = {
  'app.js': { path: () => web('app.js'), type: 'text/javascript; charset=utf-8' },
  'mosaic.js': { path: () => web('mosaic.js'), type: 'text/javascript; charset=utf-8' },
  'app.css': { path: () => web('app.css'), type: 'text/css; charset=utf-8' },
  'leaflet.js': { path: () => require.resolve('leaflet/dist/leaflet.js'), type: 'text/javascript; charset=utf-8' },
  'leaflet.css': { path: () => require.resolve('leaflet/dist/leaflet.css'), type: 'text/css; charset=utf-8' },
};

/** Each asset read and hashed once per process (leaflet.js is 140 KB: hashing it per request was ~0.3 ms). */
const loaded = new Map<string, { text: string; etag: string }>();
const read = (key: string, path: () => string): { text: string; etag: string } => {
  let asset = loaded.get(key);
  if (!asset) {
    const text = readFileSync(path(), 'utf8');
    loaded.set(key, asset = { text, etag: Etag.forBody(text) });
  }
  return asset;
};

/** Assets change only with a deploy; the ETag (of the content) makes revalidation a cheap 304. */
const CACHE = 'public, max-age=300';

export function registerWebRoutes(app: OpenAPIHono<ApiEnv>): void {
  app.get('/', (c: ApiContextOf) => {
    const page = read('index.html', () => web('index.html'));
    return documentResponse(c, page.text, 'text/html; charset=utf-8', 'no-cache', page.etag);
  });
  app.get('/web/:name', (c: ApiContextOf) => {
    const name = c.req.param('name') ?? '';
    const asset = Object.hasOwn(WEB_ASSETS, name) ? WEB_ASSETS[name] : undefined;
    if (!asset) throw notFound(`no web asset ${JSON.stringify(name.slice(0, 40))}`);
    const { text, etag } = read(name, asset.path);
    return documentResponse(c, text, asset.type, CACHE, etag);
  });
  // Browsers ask for /favicon.ico whatever a page says (the page links it relative to its base path).
  // An SVG, which they draw from this path as well; a few hundred bytes, so never compressed.
  app.get('/favicon.ico', (c: ApiContextOf) => {
    const { text, etag } = read('favicon.svg', () => web('favicon.svg'));
    return documentResponse(c, text, 'image/svg+xml', CACHE, etag);
  });
  document(app, { method: 'get', path: '/', summary: 'The preview map page', tags: ['documentation'], ok: { type: 'text/html', description: 'HTML' }, errors: [] });
}
