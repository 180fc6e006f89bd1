/**
 * The preview page's route without a browser: the page at / (and at the base path, with or without
 * its trailing slash), its explicit asset list under /web/, gzip, ETag revalidation, and 404 for
 * anything else. The page itself is exercised in web-browser.test.ts.
 */
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { before, describe, test } from 'node:test';
import type { Catalog } from '../lib/catalog/catalog.ts';
import { createApi } from '../lib/api/index.ts';
import { WEB_ASSETS } from '../lib/api/routes-web.ts';

/** The page never touches the catalog on these routes: a catalog that refuses everything proves it. */
const noCatalog = new Proxy({}, { get: () => () => Promise.reject(new Error('catalog used')) }) as unknown as Catalog;

describe('web routes', () => {
  let api: ReturnType<typeof createApi>;
  let staged: ReturnType<typeof createApi>;
  before(() => {
    api = createApi({ catalog: noCatalog });
    staged = createApi({ catalog: noCatalog, basePath: '/release' });
  });

  test('/ is the page; its assets are added relative to the page, never from the server root', async () => {
    const res = await api.fetch(new Request('http://x/'));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/html/);
    const html = await res.text();
    assert.match(html, /<base|createElement\('base'\)/);
    assert.doesNotMatch(html, /(src|href)="\//, 'no root-relative URL');
    assert.doesNotMatch(html, /(src|href)="https?:/, 'nothing from another origin');
  });

  test('every listed asset is served with its type, gzipped when asked, revalidated by ETag', async () => {
    for (const [name, asset] of Object.entries(WEB_ASSETS)) {
      const res = await api.fetch(new Request(`http://x/web/${name}`, { headers: { 'accept-encoding': 'gzip' } }));
      assert.equal(res.status, 200, name);
      assert.equal(res.headers.get('content-type'), asset.type);
      assert.equal(res.headers.get('content-encoding'), 'gzip', name);
      assert.ok(gunzipSync(Buffer.from(await res.arrayBuffer())).length > 1000, name);
      const again = await api.fetch(new Request(`http://x/web/${name}`, { headers: { 'if-none-match': res.headers.get('etag')! } }));
      assert.equal(again.status, 304, name);
    }
  });

  test('/favicon.ico is the page\'s icon (an SVG), at the root and under a base path', async () => {
    for (const [server, path] of [[api, '/favicon.ico'], [staged, '/release/favicon.ico']] as const) {
      const res = await server.fetch(new Request(`http://x${path}`));
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), 'image/svg+xml');
      assert.match(await res.text(), /^<svg [^>]*viewBox="0 0 32 32"/);
    }
  });

  test('unknown assets and paths outside the list are 404 JSON', async () => {
    for (const path of ['/web/nope.js', '/web/..%2Fpackage.json', '/web/', '/web/leaflet.js.map']) {
      const res = await api.fetch(new Request(`http://x${path}`));
      assert.equal(res.status, 404, path);
      assert.ok(((await res.json()) as { message: string }).message, path);
    }
  });

  test('under a base path: the page at /release and /release/, assets at /release/web/…', async () => {
    for (const path of ['/release', '/release/']) {
      const res = await staged.fetch(new Request(`http://x${path}`));
      assert.equal(res.status, 200, path);
      assert.match(await res.text(), /taoguan/);
    }
    assert.equal((await staged.fetch(new Request('http://x/release/web/app.js'))).status, 200);
  });
});
