/**
 * Golden tiles: the exact bytes of ~60 tiles, previews and legends over every COG fixture, every
 * tile family, grid, resampling and output format, hashed and compared with test/golden/tiles.json.
 * A refactor of the tile path must leave every one of them byte-identical; a change that means to
 * alter pixels (e.g. a new overview choice) updates the file on purpose and says why in its commit:
 *
 *     TAOGUAN_GOLDEN=write node --import tsx --test test/golden-tiles.test.ts
 *
 * Requests go through createApi (the contract every caller shares), so the test survives any
 * reshaping of the modules behind it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createApi, type Api } from '../lib/api/index.ts';
import { openCatalog } from '../lib/catalog/open.ts';
import { ingestObject } from '../lib/ingest/index.ts';
import { Origin } from './api-harness.ts';
import { fixtures } from './helpers.ts';

const GOLDEN = new URL('./golden/tiles.json', import.meta.url);
const WRITE = process.env.TAOGUAN_GOLDEN === 'write';
const COGS = fixtures.filter((f) => f.cog);
const name = (file: string): string => file.replace(/\.tif$/, '');

/** The tile at (lon, lat) at zoom z of WebMercatorQuad. */
function tileAt(lon: number, lat: number, z: number): [number, number] {
  const n = 2 ** z;
  const x = Math.floor(((lon + 180) / 360) * n);
  const r = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
  return [Math.min(n - 1, Math.max(0, x)), Math.min(n - 1, Math.max(0, y))];
}

/** The requests to pin, worked out from each dataset's TileJSON (only when writing the file). */
async function requests(api: Api): Promise<string[]> {
  const out: string[] = [];
  const center = async (n: string): Promise<{ lon: number; lat: number; z: number }> => {
    const tj = await (await api.fetch(new Request(`http://t/singleband/fx/${n}/tilejson.json`))).json() as { center: [number, number, number]; maxzoom: number };
    return { lon: tj.center[0], lat: tj.center[1], z: tj.maxzoom };
  };
  for (const f of COGS) {
    const n = name(f.file);
    const { lon, lat, z } = await center(n);
    for (const dz of [-3, 0, 2]) {
      const [x, y] = tileAt(lon, lat, z + dz);
      out.push(`/singleband/fx/${n}/${z + dz}/${x}/${y}.png?colormap=viridis&stretch_range=["p2","p98"]`);
    }
  }
  const dem = 'f32-deflate-p3-nan-4490', u16 = 'u16-4band-deflate-p2-meta-utm50', u8 = 'u8-deflate-mask-4326';
  for (const n of [dem, u16, u8]) {
    const { lon, lat, z } = await center(n);
    const [x, y] = tileAt(lon, lat, z);
    const [x1, y1] = tileAt(lon, lat, z - 1);
    out.push(
      `/singleband/fx/${n}/${z}/${x}/${y}.png?stretch_range=["p5","p95"]&resampling=bilinear`,
      `/singleband/fx/${n}/${z - 1}/${x1}/${y1}.png?colormap=terrain_r&stretch_range=[null,null]&resampling=average`,
      `/singleband/fx/${n}/${z}/${x}/${y}@2x.png?colormap=magma&stretch_range=["p2","p98"]`,
      `/singleband/fx/${n}/${z - 1}/${x1}/${y1}.png?colormap=greys&stretch_range=["p2","p98"]&tile_size=[512,512]`,
      `/singleband/fx/${n}/${z}/${Math.floor(((lon + 180) / 360) * 2 ** (z + 1))}/${Math.floor(((90 - lat) / 180) * 2 ** z)}.png?tms=WGS1984Quad&stretch_range=["p2","p98"]`,
      `/singleband/fx/${n}/${z}/${x}/${y}.png?tms=GCJ02WebMercatorQuad&colormap=rdylgn&stretch_range=["p2","p98"]`,
      `/singleband/fx/${n}/preview.png?colormap=viridis&stretch_range=["p2","p98"]`,
    );
  }
  {
    const { lon, lat, z } = await center(u16);
    const [x, y] = tileAt(lon, lat, z);
    const rgb = `r=${u16}&g=u16-zstd-bigtiff-utm50&b=${u16}&r_range=["p2","p98"]&g_range=[0,3000]&b_range=["p10","p90"]`;
    out.push(
      `/rgb/fx/${z}/${x}/${y}.png?${rgb}`,
      `/rgb/fx/${z}/${x}/${y}.jpg?${rgb}`,
      `/rgb/fx/preview.png?${rgb}`,
      `/compute/fx/${z}/${x}/${y}.png?expression=(v1-v2)/(v1%2Bv2)&v1=${u16}&v2=u16-zstd-bigtiff-utm50&stretch_range=[-1,1]&colormap=rdylgn`,
      `/compute/fx/${z}/${x}/${y}.png?expression=where(v1>1000,v1,nan)&v1=${u16}&stretch_range=[0,4000]`,
    );
  }
  {
    const n = 'rgb-jpeg-ycbcr-mask-3857';
    const { lon, lat, z } = await center(n);
    const [x, y] = tileAt(lon, lat, z);
    out.push(`/rgb/fx/${z}/${x}/${y}.png?r=${n}&g=${n}&b=rgb-jpeg-ycbcr-3857&r_range=[0,255]&g_range=[0,255]&b_range=[0,255]`);
  }
  out.push('/colormap?colormap=viridis&stretch_range=[0,1]&num_values=5', '/singleband/fx/f32-deflate-p3-nan-4490/0/0/0.png?stretch_range=[0,1]');
  return out;
}

const sha = (bytes: ArrayBuffer): string => createHash('sha256').update(new Uint8Array(bytes)).digest('hex').slice(0, 32);

describe('golden tiles: the tile path renders the same bytes', () => {
  const origin = new Origin();
  let dir = '';
  let api: Api;

  before(async () => {
    await origin.start();
    dir = await mkdtemp(join(tmpdir(), 'taoguan-golden-'));
    const catalog = await openCatalog(`sqlite:${join(dir, 'catalog.db')}`);
    await catalog.create([{ name: 'group' }, { name: 'name' }]);
    for (const f of COGS) await ingestObject(catalog, await origin.put(`/${f.file}`, f.file, '"v1"'), ['fx', name(f.file)]);
    api = createApi({ catalog });
  });

  after(async () => {
    await origin.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('every pinned request answers the pinned bytes', async () => {
    const golden: Record<string, { status: number; type: string; sha: string }> = WRITE ? {} : JSON.parse(await readFile(GOLDEN, 'utf8'));
    const urls = WRITE ? await requests(api) : Object.keys(golden);
    assert.ok(urls.length >= 50, `${urls.length} pinned requests`);
    const seen: typeof golden = {};
    for (const url of urls) {
      const res = await api.fetch(new Request(`http://t${url}`));
      seen[url] = { status: res.status, type: res.headers.get('content-type') ?? '', sha: sha(await res.arrayBuffer()) };
    }
    if (WRITE) {
      await writeFile(GOLDEN, `${JSON.stringify(seen, null, 1)}\n`);
      return;
    }
    const changed = urls.filter((u) => JSON.stringify(seen[u]) !== JSON.stringify(golden[u]));
    assert.deepEqual(changed, [], `${changed.length} of ${urls.length} answers changed:\n${changed.map((u) => `${u}\n  was ${JSON.stringify(golden[u])}\n  now ${JSON.stringify(seen[u])}`).join('\n')}`);
    // the set is not trivial: real tiles of several sizes and kinds
    assert.ok(Object.values(seen).filter((s) => s.status === 200 && s.type === 'image/png').length >= 40);
  });
});
