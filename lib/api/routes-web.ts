/**
 * The preview map page at `/` and its few assets at `/web/{name}`: web/index.html, web/app.js,
 * web/app.css and Leaflet's JS and CSS from node_modules — no CDN, so the page works where foreign
 * CDNs are slow or blocked. The list is explicit (a serverless bundle will inline exactly these);
 * each file is read once, on first use. The page uses only the public API, with URLs relative to
 * its own location, so it works under any base path.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { notFound } from './errors.ts';
import { document } from './openapi.ts';
import { documentResponse, type ApiContextOf, type ApiEnv } from './respond.ts';

const require = createRequire(import.meta.url);
const web = (name: string) => new URL(`../../web/${name}`, import.meta.url).pathname;

/** name under /web/ → where it comes from and its media type. */
export const WEB_ASSETS: Record<string, { path: () => string; type: string }> = {
  'app.js': { path: () => web('app.js'), type: 'text/javascript; charset=utf-8' },
  'app.css': { path: () => web('app.css'), type: 'text/css; charset=utf-8' },
  'leaflet.js': { path: () => require.resolve('leaflet/dist/leaflet.js'), type: 'text/javascript; charset=utf-8' },
  'leaflet.css': { path: () => require.resolve('leaflet/dist/leaflet.css'), type: 'text/css; charset=utf-8' },
};

const loaded = new Map<string, string>();
const read = (key: string, path: () => string): string => {
  let text = loaded.get(key);
  if (text === undefined) loaded.set(key, text = readFileSync(path(), 'utf8'));
  return text;
};

/** Assets change only with a deploy; the ETag (of the content) makes revalidation a cheap 304. */
const CACHE = 'public, max-age=300';

export function registerWebRoutes(app: OpenAPIHono<ApiEnv>): void {
  app.get('/', (c: ApiContextOf) => documentResponse(c, read('index.html', () => web('index.html')), 'text/html; charset=utf-8', 'no-cache'));
  app.get('/web/:name', (c: ApiContextOf) => {
    const name = c.req.param('name') ?? '';
    const asset = Object.hasOwn(WEB_ASSETS, name) ? WEB_ASSETS[name] : undefined;
    if (!asset) throw notFound(`no web asset ${JSON.stringify(name.slice(0, 40))}`);
    return documentResponse(c, read(name, asset.path), asset.type, CACHE);
  });
  document(app, { method: 'get', path: '/', summary: 'The preview map page', tags: ['documentation'], ok: { type: 'text/html', description: 'HTML' }, errors: [] });
}
