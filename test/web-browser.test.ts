/**
 * The preview page end to end, in Debian's headless Chromium through playwright-core: served by the
 * API over a SQLite catalog of fixtures (on / and under a '/release' base path), a dataset picked
 * from the list, tiles checked (200 PNGs, pixels drawn), bytes before the first tile and time to the
 * first tile measured and held to the budgets (≤ 1 MB, ≤ 2 s on loopback), band-math errors
 * and point values read off the page, and a screenshot kept (test/.artifacts/preview.png and
 * docs/preview.png for the README when TAOGUAN_UPDATE_DOCS=1). Without /usr/bin/chromium this fails: CI installs it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createApi, toNodeHandler } from '../lib/api/index.ts';
import { openCatalog } from '../lib/catalog/open.ts';
import { ingestObject } from '../lib/ingest/index.ts';
import { fixturePath } from './helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = new URL('..', import.meta.url).pathname;
const ARTIFACTS = join(ROOT, 'test/.artifacts');
const TILE = /\/(singleband|rgb|compute)\/.*\/\d+\/\d+\/\d+\.png/;
const MAX_BYTES_BEFORE_TILE = 1024 * 1024;
const MAX_MS_TO_FIRST_TILE = 2000;

let dir = '';
let uri = '';

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`the browser test needs Debian's chromium at ${CHROMIUM}: apt-get install -y chromium (CI installs it)`);
  }
  dir = await mkdtemp(join(tmpdir(), 'taoguan-web-'));
  uri = `sqlite:${join(dir, 'catalog.db')}`;
  const catalog = await openCatalog(uri);
  await catalog.create([{ name: 'sensor' }, { name: 'band' }]);
  const s2 = fixturePath('u16-4band-deflate-p2-meta-utm50.tif');
  for (const band of ['B02', 'B03', 'B04']) await ingestObject(catalog, s2, ['S2', band]);
  await ingestObject(catalog, join(ROOT, 'data/sample/jacksboro-dem.tif'), ['DEM', 'jacksboro']);
  await catalog.close();
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The API on a socket, Chromium with a fresh profile, one page; everything closed by stop(). */
async function open(basePath?: string): Promise<{ url: string; page: Page; context: BrowserContext; stop: () => Promise<void> }> {
  const catalog = await openCatalog(uri);
  const server = createServer(toNodeHandler(createApi({ catalog, basePath })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${basePath ?? ''}`;
  const profile = await mkdtemp(join(tmpdir(), 'taoguan-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1200, height: 760 },
  });
  const page = context.pages()[0] ?? await context.newPage();
  return {
    url, page, context,
    stop: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await catalog.close();
    },
  };
}

interface TileAnswer { url: string; status: number; type: string; png: boolean }

/** Every tile answer the page gets, checked for a PNG signature. */
function recordTiles(page: Page): TileAnswer[] {
  const tiles: TileAnswer[] = [];
  page.on('response', async (res) => {
    if (!TILE.test(new URL(res.url()).pathname)) return;
    const body = await res.body().catch(() => Buffer.alloc(0));
    tiles.push({ url: res.url(), status: res.status(), type: res.headers()['content-type'] ?? '', png: body.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10])) });
  });
  return tiles;
}

/** Non-transparent pixels in the data layer's loaded tiles (drawn onto a canvas in the page). */
function drawnPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    let n = 0;
    for (const img of Array.from(document.querySelectorAll<HTMLImageElement>('.tg-data img.leaflet-tile-loaded'))) {
      const c = document.createElement('canvas');
      c.width = img.naturalWidth;
      c.height = img.naturalHeight;
      const g = c.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const px = g.getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
    }
    return n;
  });
}

const firstTileDrawn = (page: Page) => page.waitForSelector('.tg-data img.leaflet-tile-loaded', { timeout: 10_000 });

describe('the preview page in headless Chromium', () => {
  test('shows a dataset: 200 PNG tiles drawn, ≤ 1 MB and ≤ 2 s before the first tile; band math errors, point values, screenshot', async (t) => {
    const { url, page, context, stop } = await open();
    try {
      // bytes on the wire per request, from the DevTools protocol (compressed sizes, headers included)
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      const urls = new Map<string, string>();
      const finished: { url: string; bytes: number; t: number }[] = [];
      cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, e.response.url));
      cdp.on('Network.loadingFinished', (e) => finished.push({ url: urls.get(e.requestId) ?? '', bytes: e.encodedDataLength, t: e.timestamp }));
      const tiles = recordTiles(page);

      const t0 = performance.now();
      await page.goto(`${url}/`);
      await page.click('#datasets li:has-text("DEM / jacksboro")');
      await firstTileDrawn(page);
      const msToFirstTile = performance.now() - t0;
      await page.waitForLoadState('networkidle');

      const firstTile = finished.find((f) => TILE.test(f.url));
      assert.ok(firstTile, 'a tile was fetched');
      const before = finished.filter((f) => f.t <= firstTile.t && !TILE.test(f.url));
      const bytesBeforeTile = before.reduce((s, f) => s + f.bytes, 0);
      t.diagnostic(`web: ${bytesBeforeTile} bytes in ${before.length} requests before the first tile; first tile drawn ${msToFirstTile.toFixed(0)} ms after navigation`);
      assert.ok(bytesBeforeTile <= MAX_BYTES_BEFORE_TILE, `${bytesBeforeTile} bytes before the first tile (budget ${MAX_BYTES_BEFORE_TILE})`);
      assert.ok(msToFirstTile <= MAX_MS_TO_FIRST_TILE, `first tile drawn after ${msToFirstTile.toFixed(0)} ms (budget ${MAX_MS_TO_FIRST_TILE})`);

      assert.ok(tiles.length > 0, 'tile answers recorded');
      for (const t of tiles) assert.deepEqual([t.status, t.type, t.png], [200, 'image/png', true], t.url);
      assert.ok(await drawnPixels(page) > 1000, 'the data layer has drawn pixels');
      assert.match(await page.inputValue('#tile-url'), new RegExp(`^${url}/singleband/DEM/jacksboro/\\{z\\}/\\{x\\}/\\{y\\}\\.png\\?stretch_range=`));
      assert.match(await page.inputValue('#tilejson-url'), /\/singleband\/DEM\/jacksboro\/tilejson\.json\?/);

      // a colormap change re-renders; the legend swatch is drawn from /colormap
      await page.selectOption('#colormap', 'terrain');
      await page.waitForFunction(() => document.querySelector<HTMLInputElement>('#tile-url')!.value.includes('colormap=terrain'));
      await page.waitForLoadState('networkidle');
      await page.waitForSelector('.tg-data img.leaflet-tile-loaded');

      // the swatch gallery (from /colormap) picks a colormap; the stretch starts at p2–p98 and can be typed
      await page.click('#gallery summary');
      await page.click('#gallery-list button[data-name="magma"]');
      await page.waitForFunction(() => document.querySelector<HTMLInputElement>('#tile-url')!.value.includes('colormap=magma'));
      await page.fill('#smax', '700');
      await page.waitForFunction(() => document.querySelector<HTMLInputElement>('#tile-url')!.value.includes('stretch_range=[285%2C700]'));
      await page.selectOption('#colormap', 'terrain');
      await page.click('#reset-range');
      await page.click('#gallery summary');
      await page.waitForLoadState('networkidle');

      // the value under a click, from /point
      const box = (await page.locator('#map').boundingBox())!;
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      await page.waitForFunction(() => /-?\d+(\.\d+)?, -?\d+(\.\d+)?: -?\d/.test(document.getElementById('value')!.textContent ?? ''));
      await page.keyboard.press('Escape');

      await page.waitForTimeout(400); // Leaflet's tile fade-in, for a clean screenshot
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'preview.png') });
      await mkdir(join(ROOT, 'docs'), { recursive: true });
      // The README's screenshot is refreshed on purpose only, so a test run leaves the work tree clean.
      if (process.env.TAOGUAN_UPDATE_DOCS === '1') await copyFile(join(ARTIFACTS, 'preview.png'), join(ROOT, 'docs/preview.png'));

      // band math: the API's 400 message shows at once
      await page.click('.tabs button[data-mode="compute"]');
      await page.fill('#expression', 'v1 +');
      await page.waitForFunction(() => (document.getElementById('error')!.textContent ?? '').includes('expression'));
      await page.fill('#expression', 'v1 * 2');
      await page.waitForFunction(() => document.getElementById('error')!.textContent === '' && document.querySelector<HTMLInputElement>('#tile-url')!.value.includes('/compute/DEM/{z}'));

      // RGB from three datasets, on the GCJ-02 grid (the band-math probes above were meant to fail)
      tiles.length = 0;
      await page.click('#datasets li:has-text("S2 / B04")');
      await page.click('.tabs button[data-mode="rgb"]');
      await page.selectOption('#grid', 'GCJ02WebMercatorQuad');
      await page.waitForFunction(() => document.querySelector<HTMLInputElement>('#tile-url')!.value.includes('tms=GCJ02WebMercatorQuad'));
      await page.waitForLoadState('networkidle');
      await firstTileDrawn(page);
      assert.match(await page.inputValue('#tile-url'), /\/rgb\/S2\/\{z\}\/\{x\}\/\{y\}\.png\?r=B02&g=B03&b=B04&/);
      assert.ok(await drawnPixels(page) > 1000, 'the RGB layer has drawn pixels');
      for (const t of tiles) assert.deepEqual([t.status, t.type, t.png], [200, 'image/png', true], t.url);
      await page.screenshot({ path: join(ARTIFACTS, 'preview-rgb-gcj02.png') });
    } finally {
      await stop();
    }
  });

  test('works under an API gateway stage prefix (/release), reached with or without the trailing slash', async () => {
    const { url, page, stop } = await open('/release');
    try {
      const requested: string[] = [];
      page.on('request', (r) => requested.push(r.url()));
      const tiles = recordTiles(page);
      for (const entry of [url, `${url}/`]) {
        await page.goto(entry);
        await page.click('#datasets li:has-text("S2 / B04")');
        await firstTileDrawn(page);
        await page.waitForLoadState('networkidle');
      }
      assert.ok(tiles.length > 0);
      for (const t of tiles) assert.deepEqual([t.status, t.type, t.png], [200, 'image/png', true], t.url);
      assert.ok(await drawnPixels(page) > 1000);
      const outside = requested.filter((r) => !r.startsWith(`${url}/`) && r !== url);
      assert.deepEqual(outside, [], 'every request stays under the base path');
      assert.match(await page.inputValue('#tilejson-url'), new RegExp(`^${url}/singleband/S2/B04/tilejson\\.json\\?`));
    } finally {
      await stop();
    }
  });
});
