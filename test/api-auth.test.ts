/**
 * Optional access control in the core: API keys (header or query, several at once) and signed URLs
 * (HMAC-SHA256 with an expiry, one signature per dataset + query scope), the public routes, the
 * links TileJSON and WMTS write for a client that got in each way, and the 401s.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { ConfigError, tilesConfig } from '../functions/config.ts';
import { AccessControl, signUrl, signingScope } from '../lib/api/auth.ts';
import { createApi, type ApiOptions } from '../lib/api/index.ts';
import type { Catalog } from '../lib/catalog/catalog.ts';
import { openCatalog } from '../lib/catalog/open.ts';
import { centreTile, makeCatalog, Origin } from './api-harness.ts';

const KEY_A = 'key-aaaaaaaaaaaaaaaaaaaa';
const KEY_B = 'key-bbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const SECRET = 'signing-secret-0123456789abcdef';
const NOW = Date.UTC(2025, 0, 1) ; // a fixed clock
const HOST = 'http://tiles.test';

describe('API access control', () => {
  const origin = new Origin();
  let made: Awaited<ReturnType<typeof makeCatalog>>;
  let catalog: Catalog;
  let tile = '';
  const apiWith = (access: ApiOptions['access'], extra: Partial<ApiOptions> = {}) => createApi({ catalog, access: { now: () => NOW, ...access }, ...extra });
  const call = (api: ReturnType<typeof createApi>, path: string, init?: RequestInit) => api.fetch(new Request(`${HOST}${path}`, init));

  before(async () => {
    await origin.start();
    made = await makeCatalog(origin);
    catalog = await openCatalog(made.uri);
    const md = await (await call(createApi({ catalog }), '/metadata/S2/2024-01-15/B04')).json();
    tile = centreTile(md.bounds);
  });
  after(async () => {
    await catalog.close();
    await origin.stop();
    await made.close();
  });

  const denied = async (res: Response, pattern: RegExp) => {
    const body = await res.json();
    assert.equal(res.status, 401, JSON.stringify(body));
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.match(body.message, pattern);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    return body.message as string;
  };

  describe('API keys', () => {
    const api = () => apiWith({ apiKeys: [KEY_A, KEY_B] });

    it('every data route needs a key; a missing one gets a 401 saying how to send one', async () => {
      const a = api();
      for (const path of ['/keys', '/datasets', '/metadata/S2/2024-01-15/B04', `/singleband/S2/2024-01-15/B04/${tile}.png`,
        '/singleband/S2/2024-01-15/B04/tilejson.json', '/singleband/S2/2024-01-15/B04/preview.png', '/wmts/WMTSCapabilities.xml',
        '/point/S2/2024-01-15/B04?lng=117&lat=31', `/rgb/S2/2024-01-15/${tile}.png?r=B04&g=B08&b=B02`]) {
        const res = await call(a, path);
        await denied(res, /x-api-key header or api_key parameter/);
        assert.match(res.headers.get('www-authenticate') ?? '', /ApiKey/);
      }
      await denied(await call(a, '/metadata', { method: 'POST', body: JSON.stringify({ keys: [['S2', '2024-01-15', 'B04']] }) }), /API key/);
    });

    it('accepts any configured key, in the header or the query', async () => {
      const a = api();
      assert.equal((await call(a, '/keys', { headers: { 'x-api-key': KEY_A } })).status, 200);
      assert.equal((await call(a, '/keys', { headers: { 'x-api-key': KEY_B } })).status, 200);
      assert.equal((await call(a, `/keys?api_key=${KEY_B}`)).status, 200);
      const png = await call(a, `/singleband/S2/2024-01-15/B04/${tile}.png?api_key=${KEY_A}`);
      assert.equal(png.status, 200);
      assert.equal(png.headers.get('content-type'), 'image/png');
      // with access control the default Cache-Control keeps shared caches from handing tiles to anyone
      assert.equal(png.headers.get('cache-control'), 'private, max-age=3600');
    });

    it('refuses near misses with one and the same answer (no hint of how close a guess was)', async () => {
      const a = api();
      const messages = new Set<string>();
      for (const guess of ['', 'x', KEY_A.slice(0, -1), `${KEY_A}x`, KEY_A.toUpperCase(), `${KEY_A.slice(0, -1)}b`, KEY_B.slice(0, KEY_A.length)]) {
        messages.add(await denied(await call(a, '/keys', { headers: { 'x-api-key': guess } }), /api_key: not a valid API key/));
      }
      assert.equal(messages.size, 1);
    });

    it('leaves the public routes open: the page shell, its assets, the API documents and /colormap', async () => {
      const a = api();
      for (const path of ['/', '/web/app.js', '/openapi.json', '/swagger.json', '/apidoc', '/colormap?stretch_range=[0,1]&num_values=3']) {
        assert.equal((await call(a, path)).status, 200, path);
      }
    });

    it('answers CORS preflights without a key, allows the x-api-key header, and puts CORS headers on a 401', async () => {
      const a = api();
      const pre = await call(a, '/keys', { method: 'OPTIONS', headers: { origin: 'https://map.example.cn', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-api-key' } });
      assert.ok(pre.status === 204 || pre.status === 200, String(pre.status));
      assert.match(pre.headers.get('access-control-allow-headers') ?? '', /x-api-key/i);
      const res = await call(a, '/keys', { headers: { origin: 'https://map.example.cn' } });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
    });

    it('takes api_key out of the query before handlers see it (not a key filter, not in links)', async () => {
      const a = api();
      const res = await call(a, `/datasets?sensor=S2&api_key=${KEY_A}`);
      const body = await res.json();
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.equal(body.datasets.length, 3);
    });

    it('a 304 needs a key too', async () => {
      const a = api();
      const ok = await call(a, `/singleband/S2/2024-01-15/B04/${tile}.png`, { headers: { 'x-api-key': KEY_A } });
      const etag = ok.headers.get('etag')!;
      assert.equal((await call(a, `/singleband/S2/2024-01-15/B04/${tile}.png`, { headers: { 'x-api-key': KEY_A, 'if-none-match': etag } })).status, 304);
      assert.equal((await call(a, `/singleband/S2/2024-01-15/B04/${tile}.png`, { headers: { 'if-none-match': etag } })).status, 401);
    });

    it('TileJSON and WMTS links carry a key sent in the query, never one sent as a header', async () => {
      const a = api();
      const byQuery = await (await call(a, `/singleband/S2/2024-01-15/B04/tilejson.json?colormap=viridis&api_key=${KEY_A}`)).json();
      assert.match(byQuery.tiles[0], new RegExp(`\\?colormap=viridis&api_key=${KEY_A}$`));
      const url = new URL(byQuery.tiles[0].replace('{z}/{x}/{y}', tile));
      assert.equal((await call(a, `${url.pathname}${url.search}`)).status, 200);
      const byHeader = await (await call(a, '/singleband/S2/2024-01-15/B04/tilejson.json?colormap=viridis', { headers: { 'x-api-key': KEY_A } })).json();
      assert.doesNotMatch(byHeader.tiles[0], /api_key|key-/);
      const xml = await (await call(a, `/wmts/WMTSCapabilities.xml?sensor=S2&api_key=${KEY_B}`)).text();
      const templates = [...xml.matchAll(/template="([^"]+)"/g)].map((m) => m[1]);
      assert.equal(templates.length, 3);
      for (const t of templates) assert.match(t, new RegExp(`api_key=${KEY_B}`));
    });

    it('refuses weak keys at configuration', () => {
      assert.throws(() => createApi({ catalog, access: { apiKeys: ['short'] } }), /at least 16 characters/);
      assert.throws(() => createApi({ catalog, access: { signingSecret: 'has space in it, 1234567' } }), /without spaces/);
    });
  });

  describe('signed URLs', () => {
    const api = (extra: Partial<ApiOptions> = {}) => apiWith({ signingSecret: SECRET }, extra);
    const sign = (url: string, expiresIn = 3600, secret = SECRET, basePath?: string) => signUrl(url, { secret, expiresIn, now: () => NOW, basePath });
    const path = (u: string) => { const x = new URL(u, HOST); return `${x.pathname}${x.search}`; };

    it('a signed template lets in every tile of that dataset and query, and nothing else', async () => {
      const a = api();
      const signed = sign('/singleband/S2/2024-01-15/B04/{z}/{x}/{y}.png?colormap=viridis&stretch_range=[0,3000]');
      assert.match(signed, /[?&]exp=\d+&sig=[\w-]{43}$/);
      const ok = await call(a, signed.replace('{z}/{x}/{y}', tile));
      assert.equal(ok.status, 200, await ok.clone().text());
      assert.equal((await call(a, signed.replace('{z}/{x}/{y}', `${tile}@2x`))).status, 200);
      // the parameters are covered in any order
      const [p, q] = signed.replace('{z}/{x}/{y}', tile).split('?');
      const reordered = `${p}?${q.split('&').reverse().join('&')}`;
      assert.equal((await call(a, reordered)).status, 200);
      // another style, another dataset, an added parameter, a forged expiry
      await denied(await call(a, signed.replace('{z}/{x}/{y}', tile).replace('viridis', 'greys')), /sig: does not match/);
      await denied(await call(a, signed.replace('{z}/{x}/{y}', tile).replace('B04', 'B08')), /sig: does not match/);
      await denied(await call(a, `${signed.replace('{z}/{x}/{y}', tile)}&tile_size=[512,512]`), /sig: does not match/);
      await denied(await call(a, signed.replace('{z}/{x}/{y}', tile).replace(/exp=\d+/, `exp=${NOW / 1000 + 10 ** 8}`)), /sig: does not match/);
      await denied(await call(a, sign('/singleband/S2/2024-01-15/B04/{z}/{x}/{y}.png?colormap=viridis&stretch_range=[0,3000]', 3600, 'another-secret-0123456789').replace('{z}/{x}/{y}', tile)), /sig: does not match/);
      await denied(await call(a, `/singleband/S2/2024-01-15/B04/${tile}.png?sig=abc`), /exp: a signed URL needs exp/);
      await denied(await call(a, `/singleband/S2/2024-01-15/B04/${tile}.png`), /signed URL \(exp and sig/);
    });

    it('expires, with a minute of tolerance for clocks that disagree', async () => {
      const expired = sign(`/metadata/S2/2024-01-15/B04`, -61);
      const message = await denied(await call(api(), expired), /exp: the signed URL expired at 2024-12-31T23:58:59.000Z/);
      assert.ok(!message.includes(SECRET));
      assert.equal((await call(api(), sign('/metadata/S2/2024-01-15/B04', -59))).status, 200);
      // a signature for one path is not one for another (non-tile routes are signed exactly)
      await denied(await call(api(), sign('/metadata/S2/2024-01-15/B04').replace('B04', 'B08')), /sig: does not match/);
    });

    it('a signed TileJSON writes a signed tile template, with the same expiry', async () => {
      const a = api();
      const signed = sign('/singleband/S2/2024-01-15/B04/tilejson.json?colormap=terrain&minzoom=3', 600);
      const doc = await (await call(a, signed)).json();
      const t = doc.tiles[0] as string;
      assert.match(t, /^http:\/\/tiles\.test\/singleband\/S2\/2024-01-15\/B04\/\{z\}\/\{x\}\/\{y\}\.png\?colormap=terrain&exp=\d+&sig=/);
      assert.equal(new URL(t.replace('{z}/{x}/{y}', tile)).searchParams.get('exp'), String(NOW / 1000 + 600));
      assert.equal((await call(a, path(t.replace('{z}/{x}/{y}', tile)))).status, 200);
      // the template lets in tiles of the same query only
      await denied(await call(a, path(t.replace('{z}/{x}/{y}', tile).replace('terrain', 'viridis'))), /sig/);
    });

    it('signed WMTS capabilities write signed ResourceURLs (per dataset for the catalog-wide document)', async () => {
      const a = api();
      for (const doc of [sign('/singleband/S2/2024-01-15/B04/WMTSCapabilities.xml?colormap=viridis'), sign('/wmts/WMTSCapabilities.xml?sensor=S2&colormap=viridis')]) {
        const res = await call(a, doc);
        const xml = await res.text();
        assert.equal(res.status, 200, xml);
        const templates = [...xml.matchAll(/template="([^"]+)"/g)].map((m) => m[1].replaceAll('&#38;', '&'));
        assert.ok(templates.length >= 1);
        for (const t of templates) {
          const [z, x, y] = tile.split('/');
          const res2 = await call(a, path(t.replace('{TileMatrix}', z).replace('{TileCol}', x).replace('{TileRow}', y)));
          assert.equal(res2.status, 200, t);
        }
      }
    });

    it('signs the path after the base path an API gateway strips or keeps', async () => {
      const a = api({ basePath: '/release' });
      const signed = sign(`${HOST}/release/singleband/S2/2024-01-15/B04/{z}/{x}/{y}.png`, 3600, SECRET, '/release');
      assert.ok(signed.startsWith(`${HOST}/release/singleband/`));
      assert.equal((await a.fetch(new Request(signed.replace('{z}/{x}/{y}', tile)))).status, 200);
      // a gateway that already stripped the stage
      assert.equal((await a.fetch(new Request(signed.replace('/release', '').replace('{z}/{x}/{y}', tile)))).status, 200);
      assert.throws(() => sign('/other/keys', 3600, SECRET, '/release'), /not under the base path/);
    });

    it('keys and signatures together: either one lets a request in', async () => {
      const a = apiWith({ apiKeys: [KEY_A], signingSecret: SECRET });
      assert.equal((await call(a, '/keys', { headers: { 'x-api-key': KEY_A } })).status, 200);
      assert.equal((await call(a, sign('/keys'))).status, 200);
      await denied(await call(a, '/keys'), /API key .* or a signed URL/);
    });
  });

  describe('configuration: functions, taoguan serve and taoguan sign', () => {
    it('functions read TAOGUAN_API_KEYS and TAOGUAN_URL_SIGNING_SECRET, and name a bad one without printing it', () => {
      const base = { TAOGUAN_CATALOG: 'sqlite:/tmp/x.db' };
      assert.equal(tilesConfig(base).access, undefined);
      assert.deepEqual(tilesConfig({ ...base, TAOGUAN_API_KEYS: ` ${KEY_A}, ${KEY_B} `, TAOGUAN_URL_SIGNING_SECRET: SECRET }).access, { apiKeys: [KEY_A, KEY_B], signingSecret: SECRET });
      assert.throws(() => tilesConfig({ ...base, TAOGUAN_API_KEYS: `${KEY_A},tooShort1` }), (e: Error) => e instanceof ConfigError && /TAOGUAN_API_KEYS/.test(e.message) && !e.message.includes('tooShort1'));
      assert.throws(() => tilesConfig({ ...base, TAOGUAN_URL_SIGNING_SECRET: 'weak-secret' }), (e: Error) => e instanceof ConfigError && /TAOGUAN_URL_SIGNING_SECRET/.test(e.message) && !e.message.includes('weak-secret'));
    });

    it('taoguan serve takes --api-key (repeatable) and the signing secret from the environment; taoguan sign signs for it', async () => {
      const bin = new URL('../bin/taoguan.mjs', import.meta.url).pathname;
      const env = { ...process.env, TAOGUAN_URL_SIGNING_SECRET: SECRET, TAOGUAN_API_KEYS: '' };
      const child = spawn(process.execPath, [bin, 'serve', '--catalog', made.uri, '--port', '0', '--workers', '1', '--quiet', '--api-key', KEY_A, '--api-key', KEY_B], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        const url = await new Promise<string>((resolve, reject) => {
          let out = '';
          child.stdout!.on('data', (d: Buffer) => { out += d; const m = /at (http:\/\/[^\s/]+)\//.exec(out); if (m) resolve(m[1]); });
          child.stderr!.on('data', (d: Buffer) => { out += d; });
          child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
        });
        assert.equal((await fetch(`${url}/keys`)).status, 401);
        assert.equal((await fetch(`${url}/keys`, { headers: { 'x-api-key': KEY_B } })).status, 200);
        const signed = execFileSync(process.execPath, [bin, 'sign', `${url}/singleband/S2/2024-01-15/B04/{z}/{x}/{y}.png?colormap=viridis`, '--expires', '5m'], { env, encoding: 'utf8' }).trim();
        assert.match(signed, /\{z\}\/\{x\}\/\{y\}\.png\?colormap=viridis&exp=\d+&sig=/);
        const res = await fetch(signed.replace('{z}/{x}/{y}', tile));
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-type'), 'image/png');
        assert.equal((await fetch(signed.replace('{z}/{x}/{y}', tile).replace('viridis', 'magma'))).status, 401);
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    });
  });

  describe('signing scope', () => {
    it('is the dataset path for every tile-family target, the exact path otherwise', () => {
      const scope = '/singleband/S2/2024-01-15/B04/';
      for (const p of ['/singleband/S2/2024-01-15/B04/1/2/3.png', '/singleband/S2/2024-01-15/B04/{z}/{x}/{y}.png', '/singleband/S2/2024-01-15/B04/1/2/3@2x.png',
        '/singleband/S2/2024-01-15/B04/preview.png', '/singleband/S2/2024-01-15/B04/tilejson.json', '/singleband/S2/2024-01-15/B04/WMTSCapabilities.xml',
        '/singleband/S2/2024-01-15/B04/{TileMatrix}/{TileCol}/{TileRow}.png', '/singleband/%53%32/2024-01-15/B04/1/2/3.png']) {
        assert.equal(signingScope(p), scope, p);
      }
      assert.equal(signingScope('/metadata/S2/2024-01-15/B04'), '/metadata/S2/2024-01-15/B04');
      assert.equal(signingScope('/keys'), '/keys');
    });

    it('compares every configured key (no early exit on the first match)', () => {
      // a key listed last must work as well as the first: the loop does not stop early or skip
      const ac = new AccessControl({ apiKeys: [KEY_A, KEY_B, 'key-cccccccccccccccccccc'] });
      assert.deepEqual(ac.check('/keys', new URLSearchParams(), 'key-cccccccccccccccccccc'), { kind: 'key', via: 'header' });
      assert.deepEqual(ac.check('/keys', new URLSearchParams(), KEY_A), { kind: 'key', via: 'header' });
    });
  });
});
