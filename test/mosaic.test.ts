/**
 * Mosaics through the HTTP API on a real socket, over COGs served by range: tiles against gdalwarp
 * painting the same scenes in the same order (nodata stripes between scenes fall through), the
 * other pixel selections against numpy, key patterns, sort, the per-tile cap, the /point time
 * series, TileJSON union bounds, /datasets filters, and the catalog queries a warm tile costs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { tileBounds, WebMercatorQuad } from '../lib/grids/tms.ts';
import { decodePng } from '../lib/render/png-decode.ts';
import { stretchToIndices } from '../lib/render/stretch.ts';
import { Origin, startApi, tileAt } from './api-harness.ts';
import { makeMosaicWorld, oracle, SCENES, type Expected } from './mosaic-harness.ts';

const [A, B, C] = SCENES.map((s) => s.file);

describe('mosaics', () => {
  const origin = new Origin();
  let world: Awaited<ReturnType<typeof makeMosaicWorld>>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let tile: string;
  let expected: Record<string, Expected>;
  let centre: [number, number];

  before(async () => {
    await origin.start();
    world = await makeMosaicWorld(origin);
    api = await startApi(world.uri);
    const md = await (await fetch(`${api.url}/metadata/s2/2024-06-11/b04`)).json() as { bounds: number[] };
    centre = [(md.bounds[0] + md.bounds[2]) / 2, (md.bounds[1] + md.bounds[3]) / 2];
    const [x, y] = tileAt(centre[0], centre[1], 12);
    tile = `12/${x}/${y}`;
    expected = oracle(world.dir, tileBounds(WebMercatorQuad, 12, x, y), {
      // gdalwarp: later files paint over earlier ones, so "first in date order" is the files reversed
      firstAsc: [C, B, A], firstDesc: [A, B, C], listAC: [C, A], prefix1: [B],
    }, [A, B, C]);
  });
  after(async () => {
    await api?.stop();
    await origin.stop();
    await world?.close();
  });

  async function png(path: string, status = 200): Promise<Uint8Array> {
    const res = await fetch(`${api.url}${path}`);
    const body = new Uint8Array(await res.arrayBuffer());
    assert.equal(res.status, status, `${path}: ${new TextDecoder().decode(body).slice(0, 300)}`);
    return decodePng(body).rgba;
  }

  /** Every pixel: the greyscale index of the expected value under the stretch, transparent where masked. */
  function assertTile(rgba: Uint8Array, want: Expected, lo: number, hi: number, what: string): void {
    const mask = Uint8Array.from(want.mask, (m) => (m ? 255 : 0));
    const idx = stretchToIndices(want.values, mask, lo, hi);
    let differ = 0, valid = 0, holes = 0;
    for (let p = 0; p < idx.length; p++) {
      if (rgba[p * 4] !== idx[p] || rgba[p * 4 + 3] !== (idx[p] ? 255 : 0)) differ++;
      if (idx[p]) valid++; else holes++;
    }
    assert.equal(differ, 0, `${what}: ${differ} of ${idx.length} pixels differ from the oracle`);
    assert.ok(valid > 1000, `${what}: the tile has data`);
    return void holes;
  }

  const stretch = (lo: number, hi: number) => `stretch_range=${encodeURIComponent(`[${lo},${hi}]`)}`;

  it('first, keys ascending (the default): equals gdalwarp painting the scenes newest first', async () => {
    const want = expected.firstAsc;
    assert.ok(want.mask.some((m) => m === 0), 'the tile has nodata between scenes as well');
    assertTile(await png(`/singleband/s2/*/b04/${tile}.png?${stretch(0, 1000)}`), want, 0, 1000, 'first');
  });

  it('sort=-date takes the newest first: equals gdalwarp painting them oldest first', async () => {
    assertTile(await png(`/singleband/s2/*/b04/${tile}.png?sort=-date&${stretch(0, 1000)}`), expected.firstDesc, 0, 1000, 'first, -date');
  });

  for (const [method, lo, hi] of [['highest', 0, 1000], ['lowest', 0, 1000], ['mean', 0, 1000], ['median', 0, 1000], ['stdev', 0, 500], ['count', 0, 3]] as const) {
    it(`pixel_selection=${method} equals numpy's masked ${method}`, async () => {
      assertTile(await png(`/singleband/s2/*/b04/${tile}.png?pixel_selection=${method}&${stretch(lo, hi)}`), expected[method], lo, hi, method);
    });
  }

  it('a list [a,b] and a prefix select just those scenes', async () => {
    assertTile(await png(`/singleband/s2/${encodeURIComponent('[2024-06-01,2024-06-21]')}/b04/${tile}.png?${stretch(0, 1000)}`), expected.listAC, 0, 1000, 'list');
    assertTile(await png(`/singleband/s2/2024-06-1*/b04/${tile}.png?${stretch(0, 1000)}`), expected.prefix1, 0, 1000, 'prefix');
  });

  it('first stops reading once the tile is full: a tile inside the oldest scene reads only it', async () => {
    // inside A and B, away from A's stripe (rows 100-140) and C: A is full there, B would be next
    const md = await (await fetch(`${api.url}/metadata/s2/2024-06-01/b04`)).json() as { bounds: number[] };
    const [w, , , n] = md.bounds;
    const [x, y] = tileAt(w + (md.bounds[2] - w) * 0.6, n - (n - md.bounds[1]) * 0.7, 16);
    // a fresh process: no block cached from the tests before
    const fresh = await startApi(world.uri);
    try {
      const readBy = async (query: string) => {
        origin.reset();
        const res = await fetch(`${fresh.url}/singleband/s2/*/b04/16/${x}/${y}.png?${query}`);
        assert.equal(res.status, 200);
        return new Set(origin.requests.map((r) => r.path));
      };
      assert.deepEqual([...await readBy(stretch(0, 1000))], [`/${A}`], 'first: only the first scene was read');
      assert.ok((await readBy(`pixel_selection=highest&${stretch(0, 1000)}`)).size >= 2, 'highest read more than one scene');
    } finally {
      await fresh.stop();
    }
  });

  it('a warm mosaic tile costs no catalog query, a new tile of it none either', async () => {
    await png(`/singleband/s2/*/b04/${tile}.png?${stretch(0, 999)}`);
    const [, x, y] = tile.split('/').map(Number);
    api.logs.length = 0;
    await png(`/singleband/s2/*/b04/12/${x + 1}/${y}.png?${stretch(0, 999)}`);
    await png(`/singleband/s2/*/b04/${tile}.png?${stretch(0, 998)}`);
    assert.deepEqual(api.logs.map((l) => l.catalog), [0, 0]);
  });

  it('more scenes under a tile than the cap is a 422 naming the cap', async () => {
    const capped = await startApi(world.uri, { maxMosaicSources: 2 });
    try {
      const res = await fetch(`${capped.url}/singleband/s2/*/b04/${tile}.png`);
      assert.equal(res.status, 422);
      assert.match(((await res.json()) as { message: string }).message, /cap of 2 sources per tile/);
      // two scenes are within it
      assert.equal((await fetch(`${capped.url}/singleband/s2/${encodeURIComponent('[2024-06-01,2024-06-21]')}/b04/${tile}.png`)).status, 200);
    } finally {
      await capped.stop();
    }
  });

  it('the cap is a deployment setting: TAOGUAN_MAX_MOSAIC_SOURCES in a function, bounded 1..1000', async () => {
    const { tilesConfig, ConfigError } = await import('../functions/config.ts');
    const base = { TAOGUAN_CATALOG: 'sqlite:/tmp/c.db' };
    assert.equal(tilesConfig({ ...base, TAOGUAN_MAX_MOSAIC_SOURCES: '5' }).maxMosaicSources, 5);
    assert.equal(tilesConfig(base).maxMosaicSources, undefined);
    for (const bad of ['0', '1001', 'many']) {
      assert.throws(() => tilesConfig({ ...base, TAOGUAN_MAX_MOSAIC_SOURCES: bad }), (e: Error) => e instanceof ConfigError && /TAOGUAN_MAX_MOSAIC_SOURCES=.*from 1 to 1000/.test(e.message));
    }
    const [{ createApi }, { openCatalog }] = await Promise.all([import('../lib/api/index.ts'), import('../lib/catalog/index.ts')]);
    const catalog = await openCatalog(world.uri);
    try {
      assert.throws(() => createApi({ catalog, maxMosaicSources: 0 }), /maxMosaicSources: expected a whole number from 1 to 1000, got 0/);
    } finally {
      await catalog.close();
    }

    Object.assign(process.env, { TAOGUAN_CATALOG: world.uri, TAOGUAN_MAX_MOSAIC_SOURCES: '2', TAOGUAN_ALLOW_PRIVATE_HOSTS: '1' });
    try {
      const [{ tilesEntry }, { aliyunFc }] = await Promise.all([import('../functions/tiles.ts'), import('../adapters/aliyun-fc.ts')]);
      const handler = tilesEntry(aliyunFc) as (event: string) => Promise<{ statusCode: number; body: string; isBase64Encoded?: boolean }>;
      const call = (path: string) => handler(JSON.stringify({ version: 'v1', rawPath: path, headers: {}, queryParameters: {}, requestContext: { http: { method: 'GET', path } } }));
      const over = await call(`/singleband/s2/*/b04/${tile}.png`);
      assert.equal(over.statusCode, 422);
      const body = over.isBase64Encoded ? Buffer.from(over.body, 'base64').toString() : over.body;
      assert.match(body, /cap of 2 sources per tile/);
      assert.equal((await call(`/singleband/s2/${encodeURIComponent('[2024-06-01,2024-06-21]')}/b04/${tile}.png`)).statusCode, 200);
    } finally {
      for (const k of ['TAOGUAN_CATALOG', 'TAOGUAN_MAX_MOSAIC_SOURCES', 'TAOGUAN_ALLOW_PRIVATE_HOSTS']) delete process.env[k];
    }
  });

  it('bad mosaic requests are 400 / 404 naming the problem', async () => {
    const cases: [string, number, RegExp][] = [
      [`/singleband/s2/*/b04/${tile}.png?pixel_selection=max`, 400, /pixel_selection: must be one of first, highest/],
      [`/singleband/s2/*/b04/${tile}.png?sort=colour`, 400, /sort: "colour" is not a key/],
      [`/singleband/s2/2024-06-11/b04/${tile}.png?pixel_selection=mean`, 400, /applies to mosaics only/],
      [`/singleband/s9/*/b04/${tile}.png`, 404, /no dataset matches sensor=s9, date=\*, band=b04/],
      [`/singleband/s2/*/b04/preview.png`, 400, /mosaic has no preview/],
      [`/singleband/s2/2*4*/b04/${tile}.png`, 400, /one "\*", at the end/],
    ];
    for (const [path, status, message] of cases) {
      const res = await fetch(`${api.url}${path}`);
      assert.equal(res.status, status, path);
      assert.match(((await res.json()) as { message: string }).message, message, path);
    }
  });

  it('a tile away from every scene is transparent', async () => {
    const [x, y] = tileAt(centre[0] + 1, centre[1], 13);
    const rgba = await png(`/singleband/s2/*/b04/13/${x}/${y}.png`);
    assert.ok(rgba.every((v, i) => i % 4 !== 3 || v === 0));
  });

  it('/point with * is a series: one entry per scene over the point, each its own value', async () => {
    const res = await fetch(`${api.url}/point/s2/*/b04?lng=${centre[0]}&lat=${centre[1]}`);
    assert.equal(res.status, 200);
    const body = await res.json() as { datasets: { keys: Record<string, string>; values: (number | null)[] }[] };
    assert.deepEqual(body.datasets.map((d) => d.keys.date), ['2024-06-01', '2024-06-11', '2024-06-21']);
    for (const d of body.datasets) {
      const one = await (await fetch(`${api.url}/point/s2/${d.keys.date}/b04?lng=${centre[0]}&lat=${centre[1]}`)).json() as { values: number[] };
      assert.deepEqual(d.values, one.values);
    }
    const desc = await (await fetch(`${api.url}/point/s2/*/b04?lng=${centre[0]}&lat=${centre[1]}&sort=-date`)).json() as typeof body;
    assert.deepEqual(desc.datasets.map((d) => d.keys.date), ['2024-06-21', '2024-06-11', '2024-06-01']);
  });

  it('TileJSON and WMTS of a mosaic carry the union of the scenes\' bounds; /datasets lists the members', async () => {
    const bounds = await Promise.all(SCENES.slice(0, 3).map(async (s) => ((await (await fetch(`${api.url}/metadata/${s.keys.join('/')}`)).json()) as { bounds: number[] }).bounds));
    const union = [Math.min(...bounds.map((b) => b[0])), Math.min(...bounds.map((b) => b[1])), Math.max(...bounds.map((b) => b[2])), Math.max(...bounds.map((b) => b[3]))];
    const tj = await (await fetch(`${api.url}/singleband/s2/*/b04/tilejson.json?pixel_selection=mean`)).json() as { bounds: number[]; tiles: string[] };
    assert.deepEqual(tj.bounds, union);
    assert.match(tj.tiles[0], /\/singleband\/s2\/\*\/b04\/\{z\}\/\{x\}\/\{y\}\.png\?pixel_selection=mean$/);
    const wmts = await (await fetch(`${api.url}/singleband/s2/*/b04/WMTSCapabilities.xml`)).text();
    assert.match(wmts, new RegExp(`<ows:LowerCorner>${union[0]} ${union[1]}</ows:LowerCorner>`));
    const listed = await (await fetch(`${api.url}/datasets?sensor=s2&date=2024-06-*`)).json() as { datasets: Record<string, string>[] };
    assert.deepEqual(listed.datasets.map((d) => d.date), ['2024-06-01', '2024-06-11', '2024-06-21']);
    const paged = await (await fetch(`${api.url}/datasets?date=2024-06-*&limit=2&page=1`)).json() as { datasets: Record<string, string>[] };
    assert.deepEqual(paged.datasets.map((d) => d.date), ['2024-06-11', '2024-06-21'], 'with l8 on 06-05, page 1 of 2');
  });
});
