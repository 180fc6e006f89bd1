/**
 * SSRF and traversal: the functions read only allowed locations, never an internal address (by name,
 * by resolved address at connect time, or through a redirect), and refuse "." / ".." in locations,
 * keys and patterns — each with a message naming the problem, and with nothing read or written.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ObjectRecord } from '../lib/ingest/events.ts';
import { ConfigError, ingestConfig } from '../functions/config.ts';
import { runIngest } from '../functions/runtime.ts';
import { CatalogError } from '../lib/catalog/catalog.ts';
import { openCatalog } from '../lib/catalog/open.ts';
import { ingestObject } from '../lib/ingest/ingest.ts';
import { compilePattern, compileRegex, PatternError } from '../lib/ingest/pattern.ts';
import { checkHostname, isPrivateAddress, LocationRefusedError } from '../lib/source/address.ts';
import { checkLocation } from '../lib/source/allow.ts';
import { guardedFetch, type GuardOptions } from '../lib/source/guarded-fetch.ts';
import { HttpSource } from '../lib/source/http.ts';
import { Origin } from './api-harness.ts';

const COG = 'u8-deflate-mask-4326.tif';
const refused = (re: RegExp) => (e: unknown) => e instanceof LocationRefusedError && re.test(e.message);

describe('internal addresses', () => {
  it('classifies metadata, loopback, private, link-local and mapped addresses as internal', () => {
    const internal = ['169.254.169.254', '169.254.0.23', '100.100.100.200', '127.0.0.1', '127.8.9.10', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '0.0.0.0',
      '::1', '::', 'fc00::1', 'fd00:ec2::254', 'fe80::1', '::ffff:127.0.0.1', '::ffff:a9fe:a9fe', '64:ff9b::a9fe:a9fe', '2002:7f00:1::', '[::1]', 'ff02::1'];
    const external = ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '93.184.216.34', '2606:4700::1111', '2400:3200::1', '::ffff:8.8.8.8'];
    for (const a of internal) assert.equal(isPrivateAddress(a), true, a);
    for (const a of external) assert.equal(isPrivateAddress(a), false, a);
    for (const h of ['localhost', 'api.localhost', 'metadata.google.internal', 'metadata.tencentyun.com', '169.254.169.254', '[::1]', '[::ffff:7f00:1]']) {
      assert.throws(() => checkHostname(h), refused(/internal address/), h);
    }
    checkHostname('data.example.cn');
    checkHostname('127.0.0.1', { allowPrivate: true });
    checkHostname('minio.intranet', { allowPrivate: ['minio.intranet'] });
  });

  it('allow-lists: buckets, prefixes, hosts; dot segments always refused', () => {
    const policy = { buckets: ['cogs'], prefixes: ['oss://shared/public/', 'https://data.example.cn/cogs/'], hosts: ['*.tiles.example.cn'] };
    for (const ok of ['s3://cogs/a.tif', 'oss://shared/public/x/a.tif', 'https://data.example.cn/cogs/a.tif', 'https://eu.tiles.example.cn/a.tif']) checkLocation(policy, ok);
    const cases: [string, RegExp][] = [
      ['s3://other/a.tif', /s3:\/\/other\/a\.tif is outside the allowed buckets cogs; prefixes oss:\/\/shared\/public\/, https:\/\/data\.example\.cn\/cogs\/; hosts \*\.tiles\.example\.cn/],
      ['oss://shared/private/a.tif', /outside the allowed/],
      ['oss://shared/public/../private/a.tif', /"\." and "\.\." path segments are not allowed/],
      ['https://data.example.cn/cogs/../admin', /path segments are not allowed/],
      ['https://data.example.cn/cogs/%2e%2E/admin', /path segments are not allowed/],
      ['https://data.example.cn.evil.cn/cogs/a.tif', /outside the allowed/],
      ['https://tiles.example.cn/a.tif', /outside the allowed/],
      ['http://169.254.169.254/latest/meta-data/iam/security-credentials/', /169\.254\.169\.254 is an internal address/],
      ['/etc/passwd', /outside the allowed/],
    ];
    for (const [location, re] of cases) assert.throws(() => checkLocation(policy, location), refused(re), location);
    // No allow-list: anything, but still no internal http(s) address and no dot segments.
    checkLocation({}, 's3://any/a.tif');
    assert.throws(() => checkLocation({}, 'http://[fd00:ec2::254]/latest/'), refused(/internal address/));
    assert.throws(() => checkLocation({}, 's3://any/x/../a.tif'), refused(/path segments/));
  });

  it('function configuration: the lists are read, and bad values named', () => {
    const base = { TAOGUAN_CATALOG: 'sqlite:/tmp/x.db', TAOGUAN_PATTERN: 'oss://b/{name}.tif' };
    const c = ingestConfig({ ...base, TAOGUAN_ALLOWED_PREFIXES: 'oss://b/cogs/, HTTPS://Data.Example.cn/x/', TAOGUAN_ALLOWED_HOSTS: '*.example.cn', TAOGUAN_ALLOW_PRIVATE_HOSTS: 'minio.intranet' });
    assert.deepEqual(c.policy, { buckets: undefined, prefixes: ['oss://b/cogs/', 'https://data.example.cn/x/'], hosts: ['*.example.cn'], allowPrivate: ['minio.intranet'], localFiles: false });
    assert.deepEqual(c.openOptions.guard, { allowPrivate: ['minio.intranet'] });
    assert.equal(ingestConfig(base).policy.allowPrivate, false);
    assert.throws(() => ingestConfig({ ...base, TAOGUAN_ALLOWED_PREFIXES: 'oss://b/cogs' }), (e: unknown) => e instanceof ConfigError && /TAOGUAN_ALLOWED_PREFIXES=oss:\/\/b\/cogs: .*ending in "\/"/.test(e.message));
    // local folders (test/functions-local-files.test.ts): absolute and ending in "/"
    for (const bad of ['data/', '/data', 'file:///data']) assert.throws(() => ingestConfig({ ...base, TAOGUAN_ALLOWED_PREFIXES: bad }), (e: unknown) => e instanceof ConfigError && e.message.includes(`TAOGUAN_ALLOWED_PREFIXES=${bad}: `));
    assert.throws(() => ingestConfig({ ...base, TAOGUAN_ALLOWED_HOSTS: 'http://x.cn/' }), /TAOGUAN_ALLOWED_HOSTS=http:\/\/x\.cn\//);
    assert.throws(() => ingestConfig({ ...base, TAOGUAN_ALLOW_PRIVATE_HOSTS: 'yes please' }), /TAOGUAN_ALLOW_PRIVATE_HOSTS=yes please/);
  });
});

describe('the guarded fetch checks what it connects to', () => {
  const origin = new Origin();
  let redirector: Server, redirectTo = '', redirectPort = 0;
  /** Every name resolves to the loopback origin: a public-looking name that is really internal. */
  const lookup: GuardOptions['lookup'] = (_host, _options, cb) => cb(null, [{ address: '127.0.0.1', family: 4 }]);
  before(async () => {
    await origin.start();
    await origin.put('/cogs/a.tif', COG);
    redirector = createServer((_req, res) => res.writeHead(302, { location: redirectTo }).end());
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
    redirectPort = (redirector.address() as AddressInfo).port;
  });
  after(async () => {
    await origin.stop();
    redirector.closeAllConnections();
    await new Promise((r) => redirector.close(r));
  });
  const port = () => new URL(origin.url).port;

  it('a name that passes the name check but resolves inside is refused at connect, with no request made', async () => {
    checkHostname('rebind.example'); // a check of the name alone lets it through
    const source = new HttpSource(`http://rebind.example:${port()}/cogs/a.tif`, { fetch: guardedFetch({ lookup }) });
    origin.reset();
    await assert.rejects(source.read(0, 100), refused(/rebind\.example resolves to 127\.0\.0\.1, an internal address/));
    await assert.rejects(source.head(), refused(/internal address/));
    assert.equal(origin.requests.length, 0);
  });

  it('allowed internal hosts are read normally: ranges, ETag, If-Match', async () => {
    const source = new HttpSource(`http://minio.intranet:${port()}/cogs/a.tif`, { fetch: guardedFetch({ lookup, allowPrivate: ['minio.intranet'] }) });
    const { bytes, info } = await source.read(0, 4);
    assert.deepEqual([...bytes], [0x49, 0x49, 42, 0]);
    assert.equal(info.etag, '"/cogs/a.tif-v1"');
    assert.equal((await source.head()).size, info.size);
    await assert.rejects(source.read(0, 4, { etag: '"other"' }), /changed since its header was read/);
  });

  it('a redirect from an allowed host to an internal one is refused on the hop', async () => {
    const fetch = guardedFetch({ lookup, allowPrivate: ['files.intranet'] });
    for (const target of ['http://169.254.169.254/latest/meta-data/', 'http://metadata.google.internal/computeMetadata/v1/', `http://elsewhere.example:${port()}/cogs/a.tif`]) {
      redirectTo = target;
      origin.reset();
      const source = new HttpSource(`http://files.intranet:${redirectPort}/a.tif`, { fetch });
      await assert.rejects(source.read(0, 100), refused(/internal address/), target);
      assert.equal(origin.requests.length, 0);
    }
  });
});

describe('the ingest function refuses, and writes nothing', () => {
  const origin = new Origin();
  let dir = '';
  before(async () => {
    await origin.start();
    await origin.put('/cogs/S2_B04.tif', COG);
    dir = await mkdtemp(join(tmpdir(), 'taoguan-ssrf-'));
  });
  after(async () => {
    await origin.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const ingestWith = async (name: string, env: Record<string, string>, records: ObjectRecord[], prefix = 'http://') => {
    const uri = `sqlite:${join(dir, `${name}.db`)}`;
    const catalog = await openCatalog(uri);
    await catalog.create([{ name: 'name' }]);
    const log = console.log;
    console.log = () => undefined;
    try {
      // The regex matches anything, so only the allow-lists and the guard stand in the way.
      const results = await runIngest(records, ingestConfig({ TAOGUAN_CATALOG: uri, TAOGUAN_PREFIX: prefix, TAOGUAN_REGEX: '.*/(?<name>[^/]+)\\.tif', ...env }));
      return { results: results.map((r) => [r.status, r.message ?? '']), count: await catalog.count() };
    } finally {
      console.log = log;
      await catalog.close();
    }
  };
  const put = (location: string): ObjectRecord => ({ action: 'put', location });

  it('internal http(s) locations, by default', async () => {
    origin.reset();
    const { results, count } = await ingestWith('internal', {}, [put(`${origin.url}/cogs/S2_B04.tif`), put('http://169.254.169.254/latest/meta-data/x.tif'), put('http://[::1]/x.tif')]);
    assert.deepEqual(results.map((r) => r[0]), ['refused', 'refused', 'refused']);
    assert.match(results[0][1], /127\.0\.0\.1 is an internal address/);
    assert.equal(count, 0);
    assert.equal(origin.requests.length, 0);
    // Allowed explicitly, the same location is ingested: the refusal was the guard, not the origin.
    const allowed = await ingestWith('allowed', { TAOGUAN_ALLOW_PRIVATE_HOSTS: '127.0.0.1' }, [put(`${origin.url}/cogs/S2_B04.tif`)]);
    assert.deepEqual(allowed.results, [['inserted', '']]);
    assert.equal(allowed.count, 1);
  });

  it('locations outside the allowed buckets and prefixes, and dot segments', async () => {
    const env = { TAOGUAN_ALLOWED_BUCKETS: 'cogs', TAOGUAN_ALLOWED_PREFIXES: 'oss://shared/public/', TAOGUAN_ALLOW_PRIVATE_HOSTS: '1' };
    const s3 = await ingestWith('lists-s3', env, [put('s3://other/a.tif')], 's3://');
    assert.deepEqual(s3.results, [['refused', 's3://other/a.tif is outside the allowed buckets cogs; prefixes oss://shared/public/']]);
    const oss = await ingestWith('lists-oss', env, [put('oss://shared/private/a.tif'), put('oss://shared/public/../private/a.tif')], 'oss://');
    assert.deepEqual(oss.results.map((r) => r[0]), ['refused', 'refused']);
    assert.match(oss.results[1][1], /"\." and "\.\." path segments are not allowed/);
    const http = await ingestWith('lists-http', env, [put(`${origin.url}/cogs/S2_B04.tif`)]);
    assert.match(http.results[0][1], /is outside the allowed buckets cogs; prefixes oss:\/\/shared\/public\//);
    assert.equal(s3.count + oss.count + http.count, 0);
  });

  it('traversal in key values and in patterns', async () => {
    const catalog = await openCatalog(`sqlite:${join(dir, 'keys.db')}`);
    await catalog.create([{ name: 'sensor' }, { name: 'band' }]);
    const location = `${origin.url}/cogs/S2_B04.tif`;
    for (const keys of [['..', 'B04'], ['S2', 'a/b'], ['.', 'B04'], ['S2', '..\\x']]) {
      await assert.rejects(ingestObject(catalog, location, keys), (e: unknown) => e instanceof CatalogError && /may not contain "\/" or "\\" or be "\." or "\.\."/.test(e.message), keys.join(','));
    }
    assert.equal(await catalog.count(), 0);
    await catalog.close();
    assert.throws(() => compilePattern('s3://b/cogs/../{sensor}_{band}.tif'), (e: unknown) => e instanceof PatternError && /"\.\." is not allowed in ingest patterns/.test(e.message));
    assert.throws(() => compilePattern('data\\..\\{sensor}_{band}.tif'), /"\.\." is not allowed/);
    assert.throws(() => compileRegex('s3://b/../', '(?<sensor>.+)'), /"\.\." is not allowed/);
    assert.throws(() => ingestConfig({ TAOGUAN_CATALOG: 'sqlite:/tmp/x.db', TAOGUAN_PATTERN: 'oss://b/../{name}.tif' }), /"\.\." is not allowed/);
  });
});
