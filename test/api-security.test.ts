/**
 * What the public tile API promises a hostile or careless caller cannot do: read a secret (catalog
 * password, cloud access key) out of an error body or the request log; reach a write (any other
 * method on a known path is a 405 with Allow, any other path a 404, and neither changes anything in
 * the catalog or the bucket); or get past
 * a resource bound (each cap tested just over it: a clear 4xx naming the parameter).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createApi, MAX_URL_LENGTH, type RequestLog } from '../lib/api/index.ts';
import { redactSecrets } from '../lib/api/redact.ts';
import { MAX_POST_METADATA } from '../lib/api/schemas.ts';
import type { Catalog } from '../lib/catalog/catalog.ts';
import { openCatalog } from '../lib/catalog/open.ts';
import { MAX_LIMIT } from '../lib/catalog/records.ts';
import { MAX_LEGEND_VALUES } from '../lib/render/legend.ts';
import { openSource } from '../lib/source/location.ts';
import { centreTile, makeCatalog, Origin } from './api-harness.ts';

const HOST = 'http://tiles.test';
const PASSWORD = 'Pa55w0rd-Secret-9x';
const ACCESS_KEY_ID = 'AKIAFAKEACCESSKEY123';
const ALIYUN_KEY_ID = 'LTAI5tFakeAliyunKeyId99';
const SECRET_KEY = 'fakeSecretAccessKey/abcdefghijklmnopqrstu';

/** Runs `fn` with console.* captured: the API must not print secrets anywhere either. */
async function capturingConsole<T>(fn: () => Promise<T>): Promise<{ result: T; printed: string }> {
  const printed: string[] = [];
  const saved = { log: console.log, error: console.error, warn: console.warn, info: console.info, debug: console.debug };
  for (const name of Object.keys(saved) as (keyof typeof saved)[]) console[name] = (...args: unknown[]) => { printed.push(args.map(String).join(' ')); };
  try {
    return { result: await fn(), printed: printed.join('\n') };
  } finally {
    Object.assign(console, saved);
  }
}

describe('API security', () => {
  const origin = new Origin();
  let made: Awaited<ReturnType<typeof makeCatalog>>;
  let catalog: Catalog;
  let tile = '';
  let centre = '';
  const call = (api: { fetch(r: Request): Promise<Response> }, path: string, init?: RequestInit) => api.fetch(new Request(`${HOST}${path}`, init));

  before(async () => {
    await origin.start();
    made = await makeCatalog(origin);
    catalog = await openCatalog(made.uri);
    const md = (await catalog.get(['S2', '2024-01-15', 'B04']))!.metadata;
    tile = centreTile(md.bounds);
    centre = `lng=${(md.bounds[0] + md.bounds[2]) / 2}&lat=${(md.bounds[1] + md.bounds[3]) / 2}`;
  });
  after(async () => {
    await catalog.close();
    await origin.stop();
    await made.close();
  });

  describe('secrets never reach a log line, an error body or the console', () => {
    const secrets = [PASSWORD, ACCESS_KEY_ID, ALIYUN_KEY_ID, SECRET_KEY, 'deadbeefcafe0123456789'];
    const assertClean = (what: string, text: string) => {
      for (const s of secrets) assert.ok(!text.includes(s), `${what} leaks ${s}: ${text}`);
    };

    it('a MySQL catalog with a password that cannot be reached: 503, no password anywhere', async () => {
      for (const uri of [`mysql://taoguan:${PASSWORD}@127.0.0.1:1/test?connectTimeout=2000`, `mysql://root:${PASSWORD}@127.0.0.1:3306/test?connectTimeout=2000`]) {
        const logs: RequestLog[] = [];
        const { result, printed } = await capturingConsole(async () => {
          const mysql = await openCatalog(uri, { cache: false });
          try {
            const api = createApi({ catalog: mysql, logger: (l) => logs.push(l) });
            const res = await call(api, `/singleband/S2/2024-01-15/B04/${tile}.png`);
            return { status: res.status, body: await res.text() };
          } finally {
            await mysql.close().catch(() => undefined);
          }
        });
        assert.equal(result.status, 503, result.body);
        assert.match(JSON.parse(result.body).message, /catalog is unavailable/);
        assert.ok(logs[0].error, 'the log keeps the cause');
        assertClean('body', result.body);
        assertClean('log', JSON.stringify(logs));
        assertClean('console', printed);
      }
    });

    it('an object store that echoes the access key id and signature: 502, no key anywhere', async () => {
      // an S3-compatible store answering every request with an error that repeats what it was sent
      const store: Server = createServer((req, res) => {
        const auth = req.headers.authorization ?? '';
        res.writeHead(403, { 'content-type': 'application/xml' }).end(`<?xml version="1.0"?><Error><Code>SignatureDoesNotMatch</Code>
<Message>The request signature does not match for ${ACCESS_KEY_ID} (${ALIYUN_KEY_ID}); you sent ${auth} secret=${SECRET_KEY} X-Amz-Signature=deadbeefcafe0123456789</Message>
<AWSAccessKeyId>${ACCESS_KEY_ID}</AWSAccessKeyId></Error>`);
      });
      await new Promise<void>((r) => store.listen(0, '127.0.0.1', r));
      const endpoint = `http://127.0.0.1:${(store.address() as AddressInfo).port}`;
      const record = (await catalog.get(['S2', '2024-01-15', 'B04']))!;
      await catalog.put({ ...record, keys: ['S3', '2024-01-15', 'B04'], location: 's3://private-bucket/cogs/b04.tif' });
      // and an http(s) location that is a presigned URL whose origin fails
      await catalog.put({ ...record, keys: ['URL', '2024-01-15', 'B04'], location: `${origin.url}/gone.tif?X-Amz-Credential=${ACCESS_KEY_ID}%2F20250101&X-Amz-Signature=deadbeefcafe0123456789` });
      try {
        const logs: RequestLog[] = [];
        const api = createApi({
          catalog, logger: (l) => logs.push(l),
          openSource: (location) => openSource(location, { endpoint, region: 'us-east-1', forcePathStyle: true, retry: false, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_KEY } }),
        });
        const { result, printed } = await capturingConsole(async () => {
          const out: { status: number; body: string }[] = [];
          for (const path of [`/singleband/S3/2024-01-15/B04/${tile}.png`, '/point/S3/2024-01-15/B04?lng=117.1&lat=31.8', `/singleband/URL/2024-01-15/B04/${tile}.png`]) {
            const res = await call(api, path);
            out.push({ status: res.status, body: await res.text() });
          }
          return out;
        });
        for (const r of result) {
          assert.ok(r.status === 502 || r.status === 200, JSON.stringify(r));
          assertClean('body', r.body);
        }
        assert.equal(result[0].status, 502);
        assert.match(JSON.parse(result[0].body).message, /object store failed \(HTTP 403\)/);
        assert.match(logs[0].error ?? '', /SignatureDoesNotMatch/, 'the log keeps the cause');
        assertClean('log', JSON.stringify(logs));
        assertClean('console', printed);
      } finally {
        store.closeAllConnections();
        await new Promise<void>((r) => store.close(() => r()));
        await catalog.delete(['S3', '2024-01-15', 'B04']);
        await catalog.delete(['URL', '2024-01-15', 'B04']);
      }
    });

    it('redactSecrets masks passwords in URIs, access key ids and credential parameters, and leaves messages readable', () => {
      const text = `mysql://u:${PASSWORD}@db:3306/x https://a:b@h/p ${ACCESS_KEY_ID} ASIAABCDEFGHIJKLMNOP ${ALIYUN_KEY_ID} AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA ?X-Amz-Signature=abc&OSSAccessKeyId=xyz&q-signature=qq&security-token=tt&api_key=kk&sig=ss`;
      const out = redactSecrets(text);
      for (const s of [PASSWORD, ':b@', ACCESS_KEY_ID, 'ASIAABCDEFGHIJKLMNOP', ALIYUN_KEY_ID, 'AKIDz8krbs', '=abc', '=xyz', '=qq', '=tt', '=kk', '=ss']) assert.ok(!out.includes(s), `${s} in ${out}`);
      assert.match(out, /mysql:\/\/u:\*\*\*@db:3306\/x/);
      for (const m of ['expression: unknown token "x" at position 3', 'sig: does not match this URL', 'stretch_range[1]: must be a number']) assert.equal(redactSecrets(m), m);
    });
  });

  describe('writes are not reachable from the tile API', () => {
    const fingerprint = async () => {
      const file = createHash('sha256').update(await readFile(join(made.dir, 'catalog.db'))).digest('hex');
      const rows = await catalog.list({ limit: MAX_LIMIT });
      const records = await Promise.all(rows.map((r) => catalog.get(r.keys)));
      return { file, rows, records: JSON.stringify(records) };
    };

    it('every method but GET/HEAD (and the read-only POST /metadata) is a 405 with Allow on a known path, a 404 elsewhere, and nothing changes', async () => {
      const api = createApi({ catalog });
      const paths = ['/', '/keys', '/datasets', '/datasets/S2/2024-01-15/B04', '/metadata', '/metadata/S2/2024-01-15/B04', '/colormap', '/openapi.json',
        '/swagger.json', '/apidoc', '/web/app.js', `/singleband/S2/2024-01-15/B04/${tile}.png`, '/singleband/S2/2024-01-15/B04/preview.png',
        '/singleband/S2/2024-01-15/B04/tilejson.json', '/singleband/S2/2024-01-15/B04/WMTSCapabilities.xml', `/rgb/S2/2024-01-15/${tile}.png`,
        `/compute/S2/2024-01-15/${tile}.png`, '/wmts/WMTSCapabilities.xml', '/point/S2/2024-01-15/B04', '/ingest', '/catalog', '/keys/sensor', '/s2/B04.tif'];
      const UNKNOWN = new Set(['/datasets/S2/2024-01-15/B04', '/ingest', '/catalog', '/keys/sensor', '/s2/B04.tif']);
      const body = JSON.stringify({ keys: [['X', 'Y', 'Z']], location: '/etc/passwd', metadata: {}, header: {} });
      const before = await fingerprint();
      origin.reset();
      let checked = 0;
      for (const method of ['PUT', 'POST', 'DELETE', 'PATCH', 'PURGE', 'MKCOL', 'COPY', 'LOCK']) {
        for (const path of paths) {
          if (method === 'POST' && path === '/metadata') continue;
          const res = await call(api, path, { method, body, headers: { 'content-type': 'application/json' } });
          const text = await res.text();
          if (UNKNOWN.has(path)) {
            assert.equal(res.status, 404, `${method} ${path}: ${text}`);
            assert.match(JSON.parse(text).message, new RegExp(`^no route for ${method} `));
            assert.equal(res.headers.get('allow'), null);
          } else {
            // a known path: 405 saying which methods it has
            const allow = path === '/metadata' ? 'GET, HEAD, POST, OPTIONS' : 'GET, HEAD, OPTIONS';
            assert.equal(res.status, 405, `${method} ${path}: ${text}`);
            assert.equal(res.headers.get('allow'), allow, `${method} ${path}`);
            assert.equal(JSON.parse(text).message, `method: ${method} is not allowed on ${path}; allowed: ${allow}`);
          }
          checked++;
        }
      }
      // POST /metadata only reads, whatever else its body carries
      const post = await call(api, '/metadata', { method: 'POST', body: JSON.stringify({ keys: [['S2', '2024-01-15', 'B04']], put: { keys: ['X', 'Y', 'Z'], location: '/etc/passwd' } }) });
      assert.equal(post.status, 200);
      assert.ok(checked > 150);
      assert.deepEqual(await fingerprint(), before);
      assert.deepEqual([...new Set(origin.requests.map((r) => r.method))].filter((m) => m !== 'GET' && m !== 'HEAD'), []);
    });
  });

  describe('resource bounds: just over each cap is a clear 4xx naming the parameter', () => {
    const api = () => createApi({ catalog });
    const over = async (path: string, status: number, pattern: RegExp, init?: RequestInit) => {
      const res = await call(api(), path, init);
      const text = await res.text();
      assert.equal(res.status, status, `${path.slice(0, 120)}: ${text}`);
      assert.match(JSON.parse(text).message, pattern);
    };
    const S2 = '/singleband/S2/2024-01-15/B04';

    it('tile_size: 1024 px at most, @2x included; previews too', async () => {
      assert.equal((await call(api(), `${S2}/${tile}.png?tile_size=[1024,1024]`)).status, 200);
      await over(`${S2}/${tile}.png?tile_size=[1025,1025]`, 400, /^tile_size: 1025 px is above this server's limit of 1024 px/);
      await over(`${S2}/${tile}@2x.png?tile_size=[513,513]`, 400, /^tile_size: 1026 px \(with @2x\) is above/);
      await over(`${S2}/preview.png?tile_size=[1025,16]`, 400, /^tile_size: 1025 px is above/);
    });

    it('expression: 1000 characters, 32 levels of nesting, 256 terms', async () => {
      const compute = `/compute/S2/2024-01-15/${tile}.png?v1=B04&v2=B08&stretch_range=[0,1]&expression=`;
      await over(compute + encodeURIComponent(`v1+${' '.repeat(997)}v2`), 400, /^expression: .*1000/);
      const nested = (n: number) => `${'('.repeat(n)}v1${')'.repeat(n)}`;
      assert.equal((await call(api(), compute + encodeURIComponent(nested(30)))).status, 200);
      await over(compute + encodeURIComponent(nested(33)), 400, /^expression: .*nests too deeply.*limit 32/);
      await over(compute + encodeURIComponent(Array.from({ length: 300 }, () => 'v1').join('+')), 400, /^expression: .*too complex/);
    });

    it(`datasets per POST /metadata: ${MAX_POST_METADATA}`, async () => {
      const keys = Array.from({ length: MAX_POST_METADATA + 1 }, () => ['S2', '2024-01-15', 'B04']);
      await over('/metadata', 400, new RegExp(`^keys: at most ${MAX_POST_METADATA} datasets`), { method: 'POST', body: JSON.stringify({ keys }) });
      assert.equal((await call(api(), '/metadata', { method: 'POST', body: JSON.stringify({ keys: keys.slice(1) }) })).status, 200);
    });

    it(`page size: limit ${MAX_LIMIT}; legend values: ${MAX_LEGEND_VALUES}`, async () => {
      assert.equal((await call(api(), `/datasets?limit=${MAX_LIMIT}`)).status, 200);
      await over(`/datasets?limit=${MAX_LIMIT + 1}`, 400, /^limit: /);
      await over(`/wmts/WMTSCapabilities.xml?limit=${MAX_LIMIT + 1}`, 400, /^limit: /);
      await over(`/colormap?stretch_range=[0,1]&num_values=${MAX_LEGEND_VALUES + 1}`, 400, /^num_values: /);
    });

    it('request body: 1 MiB, with or without a Content-Length', async () => {
      const big = `{"keys": [], "pad": "${'x'.repeat(1024 * 1024)}"}`;
      await over('/metadata', 413, /^body: larger than 1 MiB/, { method: 'POST', body: big, headers: { 'content-length': String(big.length) } });
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) { controller.enqueue(new Uint8Array(64 * 1024).fill(32)); },
      });
      await over('/metadata', 413, /^body: larger than 1 MiB/, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    });

    it('source bytes and decoded pixels per request: /point is charged like a tile (422 naming the cap)', async () => {
      const point = `/point/S2/2024-01-15/B04?${centre}`;
      const ok = await call(api(), point);
      assert.equal(ok.status, 200);
      assert.ok((await ok.json() as { values: unknown[] }).values.every((v) => typeof v === 'number'), 'a value under the centre');
      for (const [cap, options] of [['maxSourceBytes', { maxSourceBytes: 100 }], ['maxDecodedPixels', { maxDecodedPixels: 100 }]] as const) {
        origin.reset();
        const res = await call(createApi({ catalog, ...options }), point);
        const text = await res.text();
        assert.equal(res.status, 422, text);
        assert.match(JSON.parse(text).message, new RegExp(`above this server's cap of .* per request \\(${cap}\\)`));
        assert.equal(origin.requests.length, 0, 'refused before any fetch');
      }
    });

    it(`URL: ${MAX_URL_LENGTH} characters; key values: 512 characters`, async () => {
      await over(`/keys?pad=${'x'.repeat(MAX_URL_LENGTH)}`, 414, /^url: .* longer than this server's limit of 16384/);
      await over(`/metadata/S2/2024-01-15/${'b'.repeat(513)}`, 400, /^key "band": value longer than 512 characters/);
    });
  });
});
