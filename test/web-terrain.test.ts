/**
 * 3D terrain in MapLibre GL JS from a served DEM, in Debian's headless Chromium (playwright-core;
 * maplibre-gl from npm, served from node_modules — no CDN): a raster-dem source of
 * `algorithm=terrarium` tiles drapes the map, a hillshade layer of `algorithm=hillshade` tiles is
 * drawn over it, and the page loads without a console error. MapLibre's own decoding of the
 * terrain under the centre must give the DEM's height there (GET /point). Also the preview page's
 * WebP option: its tiles then come as image/webp. A screenshot is kept in test/.artifacts/terrain.png.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createApi, toNodeHandler } from '../lib/api/index.ts';
import { openCatalog } from '../lib/catalog/open.ts';
import { ingestObject } from '../lib/ingest/index.ts';
import { decodePng } from '../lib/render/png-decode.ts';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = new URL('..', import.meta.url).pathname;
const MAPLIBRE = join(ROOT, 'node_modules/maplibre-gl/dist');
const HANG_MS = 60_000;

/** The page: terrain from terrarium tiles, hillshade over it, looking north-west at 60° pitch. */
const page = (api: string, centre: [number, number]) => `<!doctype html>
<html><head><meta charset="utf-8"><link rel="stylesheet" href="/maplibre/maplibre-gl.css">
<style>html,body,#map{margin:0;height:100%}</style><script src="/maplibre/maplibre-gl.js"></script></head>
<body><div id="map"></div><script>
const dem = '${api}/singleband/DEM/jacksboro/{z}/{x}/{y}.png';
window.map = new maplibregl.Map({
  container: 'map', center: ${JSON.stringify(centre)}, zoom: 12, pitch: 60, bearing: -30, maxPitch: 85,
  style: {
    version: 8,
    sources: {
      terrain: { type: 'raster-dem', tiles: [dem + '?algorithm=terrarium&resampling=bilinear'], encoding: 'terrarium', tileSize: 256, maxzoom: 13 },
      hillshade: { type: 'raster', tiles: [dem + '?algorithm=hillshade&resampling=bilinear&algorithm_params=' + encodeURIComponent('{"z_factor":2}')], tileSize: 256, maxzoom: 14 },
    },
    layers: [
      { id: 'bg', type: 'background', paint: { 'background-color': '#dde' } },
      { id: 'hillshade', type: 'raster', source: 'hillshade' },
    ],
    terrain: { source: 'terrain', exaggeration: 1 },
  },
});
window.map.on('idle', () => { window.idle = true; });
</script></body></html>`;

describe('MapLibre 3D terrain from a served DEM', () => {
  let dir = '', url = '';
  let centre: [number, number] = [0, 0];
  let server: ReturnType<typeof createServer>;
  let context: BrowserContext, tab: Page;
  const errors: string[] = [];
  const tiles: { url: string; status: number; type: string }[] = [];

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`the browser test needs Debian's chromium at ${CHROMIUM}: apt-get install -y chromium`);
    dir = await mkdtemp(join(tmpdir(), 'taoguan-terrain-'));
    const uri = `sqlite:${join(dir, 'catalog.db')}`;
    const catalog = await openCatalog(uri);
    await catalog.create([{ name: 'sensor' }, { name: 'band' }]);
    await ingestObject(catalog, join(ROOT, 'data/sample/jacksboro-dem.tif'), ['DEM', 'jacksboro']);
    const b = (await catalog.get(['DEM', 'jacksboro']))!.metadata.bounds;
    centre = [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
    const api = toNodeHandler(createApi({ catalog }));
    server = createServer((req, res) => {
      const path = req.url ?? '/';
      if (path === '/favicon.ico') {
        res.writeHead(204).end();
      } else if (path === '/terrain.html') {
        res.writeHead(200, { 'content-type': 'text/html' }).end(page(url, centre));
      } else if (path === '/maplibre/maplibre-gl.js' || path === '/maplibre/maplibre-gl.css') {
        void readFile(join(MAPLIBRE, path.slice('/maplibre/'.length))).then((bytes) => res.writeHead(200, { 'content-type': path.endsWith('.js') ? 'text/javascript' : 'text/css' }).end(bytes));
      } else {
        void api(req, res);
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const profile = join(dir, 'profile');
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      // WebGL without a GPU: SwiftShader through ANGLE
      args: ['--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: { width: 900, height: 600 },
    });
    tab = context.pages()[0] ?? await context.newPage();
    tab.setDefaultTimeout(HANG_MS);
    tab.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    tab.on('pageerror', (e) => errors.push(e.message));
    tab.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });
    tab.on('response', (r) => { if (/\/singleband\//.test(r.url())) tiles.push({ url: r.url(), status: r.status(), type: r.headers()['content-type'] ?? '' }); });
  });
  after(async () => {
    await context?.close();
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await rm(dir, { recursive: true, force: true });
  });

  it('drapes terrarium terrain and a hillshade layer, with no console error, at the DEM\'s height', async () => {
    await tab.goto(`${url}/terrain.html`);
    await tab.waitForFunction(() => (window as unknown as { idle?: boolean }).idle === true, undefined, { timeout: HANG_MS });
    assert.deepEqual(errors, [], 'console errors');
    const terrain = tiles.filter((t) => t.url.includes('algorithm=terrarium'));
    const shade = tiles.filter((t) => t.url.includes('algorithm=hillshade'));
    assert.ok(terrain.length > 0 && shade.length > 0, `tiles asked: ${terrain.length} terrain, ${shade.length} hillshade`);
    for (const t of [...terrain, ...shade]) assert.deepEqual([t.status, t.type], [200, 'image/png'], t.url);
    // MapLibre decoded our terrarium tiles: its elevations follow the DEM's heights (GET /point)
    const points = [-1, 0, 1].flatMap((i) => [-1, 0, 1].map((j) => [centre[0] + i * 0.03, centre[1] + j * 0.03] as [number, number]));
    const ours = await tab.evaluate((ps) => ps.map((p) => (window as unknown as { map: { queryTerrainElevation(p: [number, number]): number | null } }).map.queryTerrainElevation(p)), points);
    const truth = await Promise.all(points.map(async ([lng, lat]) => ((await (await fetch(`${url}/point/DEM/jacksboro?lng=${lng}&lat=${lat}`)).json()) as { values: number[] }).values[0]));
    console.log(`terrain heights, MapLibre vs /point: ${ours.map((e, i) => `${e?.toFixed(0)}/${truth[i]}`).join(' ')}; ${terrain.length} terrain and ${shade.length} hillshade tiles`);
    assert.ok(ours.every((e) => typeof e === 'number'), 'MapLibre has terrain under every point');
    const diffs = ours.map((e, i) => Math.abs(e! - truth[i]));
    const spread = Math.max(...truth) - Math.min(...truth);
    // MapLibre samples its own (coarser) terrain tiles between DEM samples: metres off, not hundreds
    assert.ok(spread > 100, `the points span ${spread} m of relief`);
    assert.ok(diffs.reduce((a, b) => a + b, 0) / diffs.length < spread / 5, `mean difference ${diffs.reduce((a, b) => a + b, 0) / diffs.length} m over ${spread} m of relief`);
    const shot = await tab.screenshot();
    await mkdir(join(ROOT, 'test/.artifacts'), { recursive: true });
    await writeFile(join(ROOT, 'test/.artifacts/terrain.png'), shot);
    const png = decodePng(shot);
    const greys = new Set<number>();
    for (let i = 0; i < png.rgba.length; i += 4 * 97) greys.add(png.rgba[i]);
    assert.ok(greys.size > 30, `the map shows shaded relief, not a flat colour (${greys.size} levels)`);
  });

  it('the preview page asks for WebP tiles when WebP is chosen', async () => {
    tiles.length = 0;
    await tab.goto(`${url}/`);
    await tab.evaluate(() => localStorage.setItem('taoguan.format', 'webp'));
    await tab.goto(`${url}/`);
    await tab.locator('#datasets li').first().click();
    await tab.waitForFunction(() => !!document.querySelector('.tg-data img'), undefined, { timeout: HANG_MS });
    await tab.waitForTimeout(500);
    assert.equal(await tab.locator('#format').inputValue(), 'webp');
    assert.match(await tab.locator('#tile-url').inputValue(), /\/\{z\}\/\{x\}\/\{y\}\.webp\?/);
    const webps = tiles.filter((t) => /\.webp\?/.test(t.url));
    assert.ok(webps.length > 0, 'no WebP tile asked for');
    for (const t of webps) assert.deepEqual([t.status, t.type], [200, 'image/webp'], t.url);
  });
});
