/**
 * Terrain algorithms (`algorithm=hillshade|slope|terrainrgb|terrarium`) through the API on a real
 * socket, over a synthetic DEM COG (UTM 50N, 30 m) that GDAL made, against GDAL itself: the tile
 * warped by gdalwarp -r near one pixel wider on every side, then gdaldem hillshade / slope (Horn)
 * of that. Also: no seam between neighbouring tiles, terrain encodings decoded back to heights,
 * and unknown names or parameters refused with a 400 that names them.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { openCatalog } from '../lib/catalog/open.ts';
import { ingestObject } from '../lib/ingest/index.ts';
import { decodePng } from '../lib/render/png-decode.ts';
import { Origin, startApi, tileAt } from './api-harness.ts';

const run = promisify(execFile);
const PY = '/usr/bin/python3';
const DEM_PY = new URL('./support/dem.py', import.meta.url).pathname;
const HALF = 20037508.342789244;
const Z = 12, SIZE = 256;

/** Pearson correlation and mean |a − b| over the pixels both have. */
function compare(a: ArrayLike<number>, b: ArrayLike<number>): { n: number; r: number; meanAbs: number; maxAbs: number } {
  let n = 0, sa = 0, sb = 0;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i]) && Number.isFinite(b[i])) { n++; sa += a[i]; sb += b[i]; }
  const ma = sa / n, mb = sb / n;
  let cov = 0, va = 0, vb = 0, abs = 0, maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]) || !Number.isFinite(b[i])) continue;
    cov += (a[i] - ma) * (b[i] - mb);
    va += (a[i] - ma) ** 2;
    vb += (b[i] - mb) ** 2;
    const d = Math.abs(a[i] - b[i]);
    abs += d;
    maxAbs = Math.max(maxAbs, d);
  }
  return { n, r: cov / Math.sqrt(va * vb), meanAbs: abs / n, maxAbs };
}

describe('terrain algorithms against gdaldem', () => {
  const origin = new Origin();
  let dir = '', dem = '';
  let api: Awaited<ReturnType<typeof startApi>>;
  let tx = 0, ty = 0, lat = 0;
  /** GDAL's answers for tiles tx and tx + 1 at Z, each 256 × 256. */
  const oracle: Record<'height' | 'hillshade' | 'slope', Float32Array>[] = [];

  const get = (path: string) => fetch(`${api.url}${path}`);
  const tile = async (x: number, query: string) => {
    const res = await get(`/singleband/dem/${Z}/${x}/${ty}.png?${query}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.equal(res.status, 200, new TextDecoder().decode(bytes.slice(0, 300)));
    return decodePng(bytes);
  };
  const under = (grid: 'height' | 'hillshade' | 'slope', dx: number) => oracle[dx][grid];
  const message = async (query: string) => {
    const res = await get(`/singleband/dem/${Z}/${tx}/${ty}.png?${query}`);
    assert.equal(res.status, 400);
    return ((await res.json()) as { message: string }).message;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taoguan-dem-'));
    dem = join(dir, 'dem.tif');
    await run(PY, [DEM_PY, 'make', dem]);
    await origin.start();
    origin.objects.set('/dem.tif', { bytes: await readFile(dem), etag: '"dem-1"' });
    const uri = `sqlite:${join(dir, 'catalog.db')}`;
    const catalog = await openCatalog(uri);
    await catalog.create([{ name: 'name' }]);
    await ingestObject(catalog, `${origin.url}/dem.tif`, ['dem']);
    const b = (await catalog.get(['dem']))!.metadata.bounds;
    await catalog.close();
    api = await startApi(uri);
    [tx, ty] = tileAt((b[0] + b[2]) / 2, (b[1] + b[3]) / 2, Z);
    const span = (2 * HALF) / 2 ** Z;
    for (const dx of [0, 1]) {
      const minX = -HALF + (tx + dx) * span, maxY = HALF - ty * span;
      lat = (Math.atan(Math.sinh(((maxY - span / 2) / HALF) * Math.PI)) * 180) / Math.PI;
      // gdaldem -s: ground metres per grid unit; a Web Mercator metre is cos(latitude) metres on the ground
      const scale = Math.cos((lat * Math.PI) / 180);
      const prefix = join(dir, `o${dx}`);
      await run(PY, [DEM_PY, 'oracle', dem, ...[minX, maxY - span, minX + span, maxY].map(String), String(SIZE), String(scale), prefix]);
      const grids = {} as Record<'height' | 'hillshade' | 'slope', Float32Array>;
      for (const name of ['height', 'hillshade', 'slope'] as const) {
        const buf = await readFile(`${prefix}.${name}.f32`);
        grids[name] = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      }
      oracle.push(grids);
    }
  });
  after(async () => {
    await api?.stop();
    await origin.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('hillshade matches gdaldem hillshade (Horn, azimuth 315, altitude 45) on the gdalwarp-ed DEM', async () => {
    const png = await tile(tx, 'algorithm=hillshade');
    const ours = Float32Array.from({ length: SIZE * SIZE }, (_, i) => (png.rgba[i * 4 + 3] ? png.rgba[i * 4] : NaN));
    const gdal = under('hillshade', 0);
    const c = compare(ours, gdal);
    console.log(`hillshade vs gdaldem at z${Z} (lat ${lat.toFixed(2)}): r=${c.r.toFixed(5)} mean |d|=${c.meanAbs.toFixed(3)} max |d|=${c.maxAbs.toFixed(1)} grey levels over ${c.n} px`);
    assert.ok(c.n > SIZE * SIZE * 0.99, `${c.n} pixels compared`);
    assert.ok(c.r > 0.999, `correlation ${c.r}`);
    assert.ok(c.meanAbs < 0.1, `mean difference ${c.meanAbs}`);
    assert.ok(c.maxAbs <= 1, `largest difference ${c.maxAbs}`);
    // the relief is there: not a flat grey
    const grey = ours.filter(Number.isFinite);
    assert.ok(Math.max(...grey) - Math.min(...grey) > 80);
  });

  it('slope matches gdaldem slope in degrees', async () => {
    const png = await tile(tx, 'algorithm=slope');
    // default stretch [0, 90] onto grey 1..255
    const ours = Float32Array.from({ length: SIZE * SIZE }, (_, i) => (png.rgba[i * 4 + 3] ? ((png.rgba[i * 4] - 1) * 90) / 254 : NaN));
    const c = compare(ours, under('slope', 0));
    console.log(`slope vs gdaldem: r=${c.r.toFixed(5)} mean |d|=${c.meanAbs.toFixed(3)}° max |d|=${c.maxAbs.toFixed(2)}°`);
    assert.ok(c.n > SIZE * SIZE * 0.99);
    assert.ok(c.r > 0.999, `correlation ${c.r}`);
    // grey levels are 90/254 ≈ 0.35° apart
    assert.ok(c.meanAbs < 0.2, `mean difference ${c.meanAbs}°`);
    // a colormap and a stretch apply as to any singleband tile
    const coloured = await tile(tx, 'algorithm=slope&colormap=Viridis&stretch_range=[0,30]');
    assert.notDeepEqual(coloured.palette, png.palette);
  });

  it('no seam between neighbouring tiles: edge pixels shade from the neighbour\'s heights', async () => {
    const [left, right] = await Promise.all([tile(tx, 'algorithm=hillshade'), tile(tx + 1, 'algorithm=hillshade')]);
    const gdal = [under('hillshade', 0), under('hillshade', 1)];
    // the columns either side of the seam, and the outer edges, against GDAL's shading of the wider grid
    for (const [img, g, col, name] of [[left, gdal[0], SIZE - 1, 'left tile, last column'], [right, gdal[1], 0, 'right tile, first column'], [left, gdal[0], 0, 'left tile, first column']] as const) {
      let opaque = 0, diff = 0;
      for (let j = 0; j < SIZE; j++) {
        const o = (j * SIZE + col) * 4;
        if (img.rgba[o + 3] !== 255) continue;
        opaque++;
        diff += Math.abs(img.rgba[o] - g[j * SIZE + col]);
      }
      assert.equal(opaque, SIZE, `${name}: every edge pixel is drawn`);
      assert.ok(diff / opaque < 0.1, `${name}: mean difference ${diff / opaque}`);
    }
    // and across the seam the shading runs on as within a tile
    let jump = 0, inside = 0;
    for (let j = 0; j < SIZE; j++) {
      jump += Math.abs(left.rgba[(j * SIZE + SIZE - 1) * 4] - right.rgba[(j * SIZE) * 4]);
      inside += Math.abs(left.rgba[(j * SIZE + SIZE - 2) * 4] - left.rgba[(j * SIZE + SIZE - 1) * 4]);
    }
    assert.ok(jump < 2 * inside + SIZE, `seam step ${jump / SIZE} vs ${inside / SIZE} within a tile`);
  });

  it('terrainrgb and terrarium decode back to the heights within their precision', async () => {
    const heights = under('height', 0);
    const decoders = {
      terrainrgb: { query: 'algorithm=terrainrgb', step: 0.1, decode: (r: number, g: number, b: number) => -10000 + (r * 65536 + g * 256 + b) * 0.1 },
      terrarium: { query: 'algorithm=terrarium', step: 1 / 256, decode: (r: number, g: number, b: number) => r * 256 + g + b / 256 - 32768 },
      'terrainrgb 1 cm': { query: `algorithm=terrainrgb&algorithm_params=${encodeURIComponent('{"interval":0.01,"baseval":-1000}')}`, step: 0.01, decode: (r: number, g: number, b: number) => -1000 + (r * 65536 + g * 256 + b) * 0.01 },
    };
    for (const [name, d] of Object.entries(decoders)) {
      const png = await tile(tx, d.query);
      assert.equal(png.colorType, 6, `${name}: an RGBA PNG`);
      let n = 0, within = 0;
      for (let i = 0; i < SIZE * SIZE; i++) {
        if (!png.rgba[i * 4 + 3] || !Number.isFinite(heights[i])) continue;
        n++;
        const h = d.decode(png.rgba[i * 4], png.rgba[i * 4 + 1], png.rgba[i * 4 + 2]);
        if (Math.abs(h - heights[i]) <= d.step / 2 + 1e-3) within++;
      }
      console.log(`${name}: ${within}/${n} pixels within ±${d.step / 2} m of gdalwarp's height`);
      assert.ok(n > SIZE * SIZE * 0.99, `${name}: ${n} pixels`);
      assert.ok(within >= n * 0.99, `${name}: ${within}/${n} within precision`);
    }
  });

  it('nodata stays transparent: the DEM\'s nodata corner is not shaded or encoded', async () => {
    // the top-left corner of the DEM (a -9999 notch) at a zoom where it fills part of a tile
    const res = await get('/metadata/dem');
    const b = ((await res.json()) as { bounds: number[] }).bounds;
    // the notch is 150 px (4.5 km) square: its inner corner is ~0.047° in from the DEM's corner
    const [x, y] = tileAt(b[0] + 0.047, b[3] - 0.04, 14);
    for (const algorithm of ['hillshade', 'terrainrgb']) {
      const r = await get(`/singleband/dem/14/${x}/${y}.png?algorithm=${algorithm}`);
      const png = decodePng(new Uint8Array(await r.arrayBuffer()));
      let transparent = 0;
      for (let i = 3; i < png.rgba.length; i += 4) if (png.rgba[i] === 0) transparent++;
      assert.ok(transparent > 1000, `${algorithm}: ${transparent} transparent pixels`);
      assert.ok(transparent < SIZE * SIZE, `${algorithm}: some data drawn`);
    }
  });

  it('a preview takes an algorithm too: hillshade of the whole DEM as gdaldem shades it at that size', async () => {
    const res = await get('/singleband/dem/preview.png?algorithm=hillshade');
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.equal(res.status, 200, new TextDecoder().decode(bytes.slice(0, 300)));
    const png = decodePng(bytes);
    assert.deepEqual([png.width, png.height], [512, 439]);
    await run(PY, [DEM_PY, 'preview', dem, '512', '439', join(dir, 'p')]);
    const buf = await readFile(join(dir, 'p.hillshade.f32'));
    const gdal = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const ours = Float32Array.from({ length: 512 * 439 }, (_, i) => (png.rgba[i * 4 + 3] ? png.rgba[i * 4] : NaN));
    const c = compare(ours, gdal);
    console.log(`preview hillshade vs gdaldem: r=${c.r.toFixed(5)} mean |d|=${c.meanAbs.toFixed(3)} over ${c.n} px`);
    assert.ok(c.n > 512 * 439 * 0.9, `${c.n} pixels compared`);
    assert.ok(c.r > 0.99, `correlation ${c.r}`);
    assert.ok(c.meanAbs < 2, `mean difference ${c.meanAbs}`);
    // terrain encodings too, decoded back to heights
    const terrarium = decodePng(new Uint8Array(await (await get('/singleband/dem/preview.png?algorithm=terrarium')).arrayBuffer()));
    const h = (i: number) => terrarium.rgba[i * 4] * 256 + terrarium.rgba[i * 4 + 1] + terrarium.rgba[i * 4 + 2] / 256 - 32768;
    const centre = (219 * 512 + 256);
    assert.ok(h(centre) > 200 && h(centre) < 2700, `height ${h(centre)} at the centre`);
  });

  it('TileJSON passes the algorithm on into its tile URL (MapLibre raster-dem `url:`)', async () => {
    const res = await get('/singleband/dem/tilejson.json?algorithm=terrarium&resampling=bilinear');
    assert.equal(res.status, 200);
    const doc = (await res.json()) as { tiles: string[] };
    assert.match(doc.tiles[0], /\/singleband\/dem\/\{z\}\/\{x\}\/\{y\}\.png\?algorithm=terrarium&resampling=bilinear$/);
    assert.equal((await get('/singleband/dem/tilejson.json?algorithm=terain')).status, 400);
  });

  it('unknown algorithms and parameters are a 400 naming them', async () => {
    assert.match(await message('algorithm=hilshade'), /^algorithm: unknown algorithm "hilshade" \(did you mean hillshade\?\); algorithms are hillshade, slope, terrainrgb, terrarium$/);
    assert.match(await message('algorithm=contours'), /^algorithm: unknown algorithm "contours"/);
    assert.match(await message(`algorithm=hillshade&algorithm_params=${encodeURIComponent('{"azimut":90}')}`), /^algorithm_params: unknown parameter "azimut" \(did you mean azimuth\?\); hillshade takes azimuth, altitude, z_factor$/);
    assert.match(await message(`algorithm=hillshade&algorithm_params=${encodeURIComponent('{"altitude":120}')}`), /^algorithm_params: altitude must be a number from 0 to 90, got 120$/);
    assert.match(await message('algorithm=hillshade&algorithm_params=azimuth:90'), /^algorithm_params: must be an object as JSON/);
    assert.match(await message(`algorithm_params=${encodeURIComponent('{"azimuth":90}')}`), /^algorithm_params: can only be given with algorithm=/);
    assert.match(await message('algorithm=terrainrgb&colormap=viridis'), /^colormap: does not apply to algorithm=terrainrgb/);
    assert.match(await message('algorithm=slope&stretch_range=["p2","p98"]'), /^stretch_range: with algorithm=slope give two numbers \(default \[0, 90\]\)/);
    const jpg = await get(`/singleband/dem/${Z}/${tx}/${ty}.jpg?algorithm=terrarium`);
    assert.equal(jpg.status, 400);
    // TiTiler's parameter names are taken too
    const titiler = await tile(tx, `algorithm=hillshade&algorithm_params=${encodeURIComponent('{"angle_altitude":30,"z_exaggeration":2}')}`);
    const ours = await tile(tx, `algorithm=hillshade&algorithm_params=${encodeURIComponent('{"altitude":30,"z_factor":2}')}`);
    assert.deepEqual(titiler.rgba, ours.rgba);
    const plain = await tile(tx, 'algorithm=hillshade');
    assert.notDeepEqual(ours.rgba, plain.rgba);
  });
});
