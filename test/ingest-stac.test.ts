/**
 * `taoguan ingest --stac`: STAC Item, ItemCollection (paged by next links) and Collection JSON
 * written for COGs made by GDAL, served with the COGs by range from a local origin, ingested by the
 * real CLI into SQLite; the rows, a mosaic tile over them, and the refusals (a bad mapping, a missing
 * asset, a failing asset leaving no row of its item, a remote document naming a local file).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createApi } from '../lib/api/index.ts';
import { openCatalog } from '../lib/catalog/open.ts';
import { guardFor, readDocument } from '../lib/ingest/index.ts';
import { isCogAsset, KEY_MODIFIERS, keyValue, parseKeyMapping, resolveHref, StacError, type StacItem } from '../lib/ingest/stac.ts';
import { decodePng } from '../lib/render/png-decode.ts';
import { LocationRefusedError } from '../lib/source/index.ts';
import { Origin, tileAt } from './api-harness.ts';
import { makeScene } from './mosaic-harness.ts';

const bin = new URL('../bin/taoguan.mjs', import.meta.url).pathname;
const taoguan = (...args: string[]) =>
  promisify(execFile)(process.execPath, [bin, ...args]).then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => e);

/** 200×200 scenes (mosaic-harness's makeScene, no stripe) at offsets in metres, with their seeds. */
const COGS = [['a-red.tif', 0, 0, 1], ['b-red.tif', 2000, -1500, 2], ['b-nir.tif', 2000, -1500, 3]] as const;
const COG_TYPE = 'image/tiff; application=geotiff; profile=cloud-optimized';

function item(id: string, datetime: string, assets: Record<string, { href: string; type?: string }>, extra: Record<string, unknown> = {}) {
  return {
    type: 'Feature', stac_version: '1.0.0', id, collection: 's2',
    geometry: null, properties: { datetime, platform: 'sentinel-2a', ...extra }, assets, links: [] as { rel: string; href: string }[],
  };
}

describe('ingest --stac', () => {
  const origin = new Origin();
  let dir = '';
  let n = 0;
  const A = () => item('S2A_20240601', '2024-06-01T02:55:49.024Z', {
    red: { href: '../cogs/a-red.tif', type: COG_TYPE },
    thumbnail: { href: 'a.png', type: 'image/png' },
  });
  const B = () => item('S2B_20240611', '2024-06-11T02:55:51Z', {
    red: { href: '../cogs/b-red.tif', type: COG_TYPE },
    nir: { href: `${origin.url}/cogs/b-nir.tif`, type: 'image/tiff; application=geotiff' },
  });
  /** Its red is fine; its nir is missing from the origin (404). */
  const C = () => item('S2A_20240621', '2024-06-21T02:55:49Z', {
    red: { href: '../cogs/a-red.tif', type: COG_TYPE },
    nir: { href: '../cogs/missing.tif', type: COG_TYPE },
  });
  const serveJson = (path: string, doc: unknown) => {
    origin.objects.set(path, { bytes: Buffer.from(JSON.stringify(doc)), etag: `"${path}-${++n}"` });
    return `${origin.url}${path}`;
  };
  const page = (features: unknown[], next?: string) => ({ type: 'FeatureCollection', features, links: next ? [{ rel: 'next', href: next, type: 'application/geo+json' }] : [] });

  async function freshCatalog(): Promise<string> {
    const uri = `sqlite:${join(dir, `catalog-${++n}.db`)}`;
    const made = await taoguan('catalog', 'create', uri, '--keys', 'sensor,date,band');
    assert.equal(made.code, 0, made.stderr);
    return uri;
  }
  async function rows(uri: string): Promise<string[]> {
    const listed = JSON.parse((await taoguan('catalog', 'list', uri, '--json')).stdout) as { keys: Record<string, string>; location: string }[];
    return listed.map((r) => `${Object.values(r.keys).join('/')} ${r.location.replace(origin.url, '')}`).sort();
  }
  const ingest = (uri: string, root: string, ...args: string[]) => taoguan('ingest', '--stac', root, '-c', uri, '--keys', 'collection,datetime:date,asset', ...args);

  before(async () => {
    await origin.start();
    dir = await mkdtemp(join(tmpdir(), 'taoguan-stac-'));
    for (const [file, x, y, seed] of COGS) {
      makeScene(join(dir, file), x, y, 'none', seed, 200);
      origin.objects.set(`/cogs/${file}`, { bytes: await readFile(join(dir, file)), etag: `"${file}"` });
    }
    serveJson('/stac/a.json', A());
    serveJson('/stac/b.json', B());
  });
  after(async () => {
    await origin.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('ingests one remote Item: its COG asset by range reads, under keys from its fields; the PNG thumbnail is not a dataset', async () => {
    const uri = await freshCatalog();
    origin.reset();
    const out = await ingest(uri, `${origin.url}/stac/a.json`);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /1 item\(s\): 1 inserted, 0 updated, 0 unchanged, 0 failed/);
    assert.deepEqual(await rows(uri), ['s2/2024-06-01/red /cogs/a-red.tif']);
    const reads = origin.requests.filter((r) => r.path === '/cogs/a-red.tif');
    assert.ok(reads.length > 0 && reads.every((r) => r.method === 'HEAD' || r.range), `the COG is read by ranges only: ${JSON.stringify(reads)}`);
    assert.equal(origin.requests.filter((r) => r.path === '/stac/a.png').length, 0, 'the thumbnail is never fetched');
    const again = await ingest(uri, `${origin.url}/stac/a.json`);
    assert.match(again.stdout, /0 inserted, 0 updated, 1 unchanged/);
  });

  it('resolves relative hrefs of a local Item against its folder and stores the paths absolute', async () => {
    const uri = await freshCatalog();
    await writeFile(join(dir, 'stac-local.json'), JSON.stringify({ ...B(), assets: { red: { href: './b-red.tif', type: COG_TYPE } } }));
    const out = await ingest(uri, join(dir, 'stac-local.json'));
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(await rows(uri), [`s2/2024-06-11/red ${join(dir, 'b-red.tif')}`]);
  });

  it('follows an ItemCollection\'s next pages, and a Collection\'s item links or items endpoint, to the same rows', async () => {
    const withSelf = { ...A(), links: [{ rel: 'self', href: `${origin.url}/stac/a.json` }] };
    const search = serveJson('/stac/search?page=1', page([withSelf], `${origin.url}/stac/search?page=2`));
    serveJson('/stac/search?page=2', page([B(), withSelf])); // A again: a live search's pages may overlap
    const statics = serveJson('/stac/collection.json', { type: 'Collection', id: 's2', links: [{ rel: 'item', href: './a.json' }, { rel: 'item', href: 'b.json' }] });
    const api = serveJson('/stac/collections/s2', { type: 'Collection', id: 's2', links: [{ rel: 'items', href: `${origin.url}/stac/search?page=1` }] });
    const want = ['s2/2024-06-01/red /cogs/a-red.tif', 's2/2024-06-11/nir /cogs/b-nir.tif', 's2/2024-06-11/red /cogs/b-red.tif'];
    for (const root of [search, statics, api]) {
      const uri = await freshCatalog();
      const out = await ingest(uri, root);
      assert.equal(out.code, 0, `${root}: ${out.stderr}`);
      assert.match(out.stdout, /2 item\(s\): 3 inserted/);
      assert.deepEqual(await rows(uri), want, root);
    }
    const capped = await ingest(await freshCatalog(), search, '--max-items', '1');
    assert.equal(capped.code, 1);
    assert.match(capped.stderr, /more than 1 items; narrow the search or raise --max-items/);
  });

  it('draws a mosaic tile over the ingested scenes: the first scene where it has data, the second elsewhere', async () => {
    const uri = await freshCatalog();
    assert.equal((await ingest(uri, serveJson('/stac/both.json', page([A(), B()])), '--assets', 'red')).code, 0);
    const catalog = await openCatalog(uri, { cache: false });
    try {
      const api = createApi({ catalog });
      const a = await catalog.get(['s2', '2024-06-01', 'red']), b = await catalog.get(['s2', '2024-06-11', 'red']);
      assert.ok(a && b);
      // the middle of the overlap: both scenes meet this tile
      const [x, y] = tileAt((a.metadata.bounds[2] + b.metadata.bounds[0]) / 2, (a.metadata.bounds[1] + b.metadata.bounds[3]) / 2, 13);
      const tile = async (keys: string) => {
        const res = await api.fetch(new Request(`http://x/singleband/${keys}/13/${x}/${y}.png?stretch_range=[0,1000]`));
        const body = new Uint8Array(await res.arrayBuffer());
        assert.equal(res.status, 200, `${keys}: ${new TextDecoder().decode(body).slice(0, 200)}`);
        return decodePng(body).rgba;
      };
      const [mosaic, first, second] = [await tile('s2/*/red'), await tile('s2/2024-06-01/red'), await tile('s2/2024-06-11/red')];
      let fromFirst = 0, fromSecond = 0, differ = 0;
      for (let p = 0; p < mosaic.length; p += 4) {
        const src = first[p + 3] ? first : second;
        if (first[p + 3]) fromFirst++; else if (second[p + 3]) fromSecond++;
        if (mosaic[p] !== src[p] || mosaic[p + 3] !== src[p + 3]) differ++;
      }
      assert.ok(fromFirst > 1000 && fromSecond > 1000, `both scenes in the tile (${fromFirst}, ${fromSecond} pixels)`);
      assert.equal(differ, 0, 'the mosaic is the first scene over the second');
    } finally {
      await catalog.close();
    }
  });

  it('refuses a mapping that does not fit, naming the problem, and writes nothing', async () => {
    const uri = await freshCatalog();
    const root = `${origin.url}/stac/a.json`;
    const cases: [string, RegExp][] = [
      ['collection,asset', /--keys collection,asset: 2 field\(s\) for the catalog's 3 key\(s\) \(sensor, date, band\)/],
      ['collection,cloud,asset', /item S2A_20240601: key date \(cloud\): the item has no property cloud/],
      ['collection,datetime:day,asset', /unknown modifier "day"; modifiers are date, yyyymmdd, month, year, lower/],
      ['collection,datetime,thumbnail', /the item has no property thumbnail/],
    ];
    for (const [keys, message] of cases) {
      const out = await taoguan('ingest', '--stac', root, '-c', uri, '--keys', keys);
      assert.equal(out.code, 1, keys);
      assert.match(out.stderr, message, keys);
    }
    serveJson('/stac/spaces.json', item('X1', '2024-06-01T00:00:00Z', { red: { href: '../cogs/a-red.tif', type: COG_TYPE } }, { platform: 'Sentinel 2A' }));
    const spaces = await taoguan('ingest', '--stac', `${origin.url}/stac/spaces.json`, '-c', uri, '--keys', 'platform,datetime:date,asset');
    assert.match(spaces.stderr, /item X1: key sensor \(platform\): the value "Sentinel 2A" has characters a key value may not/);
    const same = await taoguan('ingest', '--stac', `${origin.url}/stac/b.json`, '-c', uri, '--keys', 'collection,datetime:date,id');
    assert.match(same.stderr, /asset red and item s2\/S2B_20240611 asset nir both map to keys s2, 2024-06-11, S2B_20240611; map the asset name to a key/);
    assert.deepEqual(await rows(uri), []);
  });

  it('leaves out an item missing an asset named by --assets, and ingests the rest (exit code 1)', async () => {
    const uri = await freshCatalog();
    const out = await ingest(uri, serveJson('/stac/ab.json', page([A(), B()])), '--assets', 'nir');
    assert.equal(out.code, 1);
    assert.match(out.stderr, /failed: s2\/S2A_20240601: no asset nir \(it has red, thumbnail\)/);
    assert.deepEqual(await rows(uri), ['s2/2024-06-11/nir /cogs/b-nir.tif']);
  });

  it('writes no row of an item one of whose assets fails, and the other items\' rows whole', async () => {
    const uri = await freshCatalog();
    const out = await ingest(uri, serveJson('/stac/bc.json', page([B(), C()])), '--assets', 'red,nir');
    assert.equal(out.code, 1);
    assert.match(out.stdout, /2 item\(s\): 2 inserted, 0 updated, 0 unchanged, 1 failed/);
    assert.match(out.stderr, /failed: s2\/S2A_20240621: .*\/cogs\/missing\.tif: HTTP 404/);
    assert.deepEqual(await rows(uri), ['s2/2024-06-11/nir /cogs/b-nir.tif', 's2/2024-06-11/red /cogs/b-red.tif'], 'C\'s red, which read fine, is not written either');
  });

  it('--dry-run prints keys and locations and writes nothing', async () => {
    const uri = await freshCatalog();
    origin.reset();
    const out = await ingest(uri, `${origin.url}/stac/b.json`, '--dry-run');
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(out.stdout.trim().split('\n').sort(), [`s2/2024-06-11/nir\t${origin.url}/cogs/b-nir.tif`, `s2/2024-06-11/red\t${origin.url}/cogs/b-red.tif`]);
    assert.equal(origin.requests.filter((r) => r.path.startsWith('/cogs/')).length, 0, 'no COG is read');
    assert.deepEqual(await rows(uri), []);
  });

  it('reads assets under the same location rules as any ingest: allow-lists, and no local files from a remote document', async () => {
    const uri = await freshCatalog();
    // the item's folder is allowed, the COG it names (one folder up) is not
    await mkdir(join(dir, 'fenced'));
    await writeFile(join(dir, 'fenced/item.json'), JSON.stringify({ ...A(), assets: { red: { href: '../a-red.tif', type: COG_TYPE } } }));
    const fenced = await ingest(uri, join(dir, 'fenced/item.json'), '--allowed-prefix', join(dir, 'fenced'));
    assert.equal(fenced.code, 1);
    assert.match(fenced.stderr, /failed: s2\/S2A_20240601: .*a-red\.tif is outside the allowed prefixes/);
    const local = join(dir, 'a-red.tif');
    serveJson('/stac/local.json', item('L1', '2024-06-01T00:00:00Z', { red: { href: `file://${local}`, type: COG_TYPE } }));
    const out = await ingest(uri, `${origin.url}/stac/local.json`);
    assert.equal(out.code, 1);
    assert.match(out.stderr, /names the local file file:\/\/.*a-red\.tif; a remote STAC document may not lead to this machine's files/);
    assert.deepEqual(await rows(uri), []);
  });

  it('a walk from a public host is guarded against internal addresses; one from this machine is not', async () => {
    assert.deepEqual(guardFor('https://earth-search.example.com/v1/search', {}), { allowPrivate: false });
    assert.deepEqual(guardFor('https://earth-search.example.com/v1/search', { TAOGUAN_ALLOW_PRIVATE_HOSTS: '1' }), { allowPrivate: true });
    assert.equal(guardFor(`${origin.url}/stac/a.json`, {}), undefined);
    assert.equal(guardFor('/data/item.json', {}), undefined);
    await assert.rejects(readDocument(`${origin.url}/stac/a.json`, { guard: { allowPrivate: false } }), LocationRefusedError);
  });

  it('parses --keys: extension fields keep their colon, modifiers are the documented set', async () => {
    assert.deepEqual(parseKeyMapping('properties.eo:cloud_cover,datetime:yyyymmdd,asset', ['a', 'b', 'c']).map((f) => [f.field, f.modifier]),
      [['eo:cloud_cover', undefined], ['datetime', 'yyyymmdd'], ['asset', undefined]]);
    assert.throws(() => parseKeyMapping('id,,asset', ['a', 'b', 'c']), StacError);
    // a date-time with an offset is a UTC date: 23:30 at UTC-5 is the next day
    const late = { type: 'Feature', id: 'x', properties: { datetime: '2024-06-01T23:30:00-05:00' }, assets: {} } as unknown as StacItem;
    assert.equal(keyValue(late, 'red', parseKeyMapping('datetime:yyyymmdd', ['d'])[0], 'd'), '20240602');
    assert.equal(resolveHref('../B04.TIF', 's3://landsat/c2/l2/item.json'), 's3://landsat/c2/B04.TIF');
    assert.ok(isCogAsset({ href: 'x', type: 'image/vnd.stac.geotiff; cloud-optimized=true' }), 'Landsat Collection 2 media type');
    assert.ok(isCogAsset({ href: 'B04.TIF', roles: ['data'] }) && !isCogAsset({ href: 'B04.jp2', roles: ['data'] }) && !isCogAsset({ href: 'x.tif', type: 'image/jp2' }));
    const help = (await taoguan('ingest', '--help')).stdout;
    for (const m of Object.keys(KEY_MODIFIERS)) assert.match(help, new RegExp(`:${m} \\(`), `help documents :${m}`);
  });
});
