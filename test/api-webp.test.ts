/**
 * WebP tiles and previews through the API on a real socket, decoded by an independent decoder
 * (GDAL's WEBP driver, test/support/webp-decode.py) and compared pixel by pixel with the PNG of
 * the same request: lossless singleband, compute and terrain encodings equal it exactly; lossy rgb
 * keeps its alpha exactly and its colours within a few levels, fewer bytes at lower quality.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { decodePng } from '../lib/render/png-decode.ts';
import { makeCatalog, Origin, startApi, tileAt } from './api-harness.ts';

const run = promisify(execFile);
const DECODER = new URL('./support/webp-decode.py', import.meta.url).pathname;

interface Decoded { width: number; height: number; lossless: string; rgba: Uint8Array; bytes: number }

describe('WebP output, decoded by GDAL', () => {
  const origin = new Origin();
  let catalog: Awaited<ReturnType<typeof makeCatalog>>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let dir = '', t = '', d = '', n = 0;
  const get = (path: string) => fetch(`${api.url}${path}`);
  const body = async (path: string, type: string) => {
    const res = await get(path);
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.equal(res.status, 200, `${path}: ${new TextDecoder().decode(bytes.slice(0, 300))}`);
    assert.equal(res.headers.get('content-type'), type, path);
    return bytes;
  };
  const webp = async (path: string): Promise<Decoded> => {
    const bytes = await body(path, 'image/webp');
    const file = join(dir, `${n++}.webp`);
    await writeFile(file, bytes);
    const { stdout } = await run('/usr/bin/python3', [DECODER, file]);
    const info = JSON.parse(stdout) as { width: number; height: number; lossless: string };
    return { ...info, rgba: new Uint8Array(await readFile(`${file}.rgba`)), bytes: bytes.length };
  };
  const png = async (path: string) => decodePng(await body(path, 'image/png'));
  /** Both URLs of one request, .png and .webp. */
  const pair = async (path: string, query: string) => [await png(`${path}.png?${query}`), await webp(`${path}.webp?${query}`)] as const;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taoguan-webp-'));
    await origin.start();
    catalog = await makeCatalog(origin);
    api = await startApi(catalog.uri);
    const md = (await (await get('/metadata/S2/2024-01-15/B04')).json()) as { bounds: number[] };
    const [x, y] = tileAt((md.bounds[0] + md.bounds[2]) / 2, (md.bounds[1] + md.bounds[3]) / 2, 12);
    t = `12/${x}/${y}`;
    // the DEM's north-west corner: data and transparency in one tile
    const [dx, dy] = tileAt(114.231, 30.654, 12);
    d = `12/${dx}/${dy}`;
  });
  after(async () => {
    await api.stop();
    await origin.stop();
    await catalog.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('singleband and compute WebP are lossless: the same RGBA as the PNG, transparency included', async () => {
    for (const [path, query] of [
      [`/singleband/S2/2024-01-15/B04/${t}`, 'colormap=viridis&stretch_range=[0,10000]'],
      [`/singleband/S2/2024-01-15/B04/${t}@2x`, 'stretch_range=["p2","p98"]'],
      [`/singleband/DEM/2000/h/${d}`, 'colormap=terrain&stretch_range=[-1000,900]'],
      [`/compute/S2/2024-01-15/${t}`, `expression=${encodeURIComponent('(v1 - v2) / (v1 + v2)')}&v1=B04&v2=B08&stretch_range=[-1,1]&colormap=rdylgn`],
    ]) {
      const [p, w] = await pair(path, query);
      assert.equal(w.lossless, 'LOSSLESS', path);
      assert.deepEqual([w.width, w.height], [p.width, p.height], path);
      assert.deepEqual(w.rgba, p.rgba, `${path}?${query}: WebP pixels differ from the PNG's`);
    }
    // not trivially equal: the DEM tile has both drawn and transparent pixels
    const [p] = await pair(`/singleband/DEM/2000/h/${d}`, 'colormap=terrain&stretch_range=[-1000,900]');
    const alphas = new Set(Array.from({ length: p.width * p.height }, (_, i) => p.rgba[i * 4 + 3]));
    assert.deepEqual([...alphas].sort(), [0, 255]);
  });

  it('terrain encodings in WebP keep every height exactly', async () => {
    for (const algorithm of ['terrainrgb', 'terrarium']) {
      const [p, w] = await pair(`/singleband/DEM/2000/h/${d}`, `algorithm=${algorithm}`);
      assert.equal(w.lossless, 'LOSSLESS');
      assert.deepEqual(w.rgba, p.rgba, algorithm);
      const colours = new Set(Array.from({ length: p.width * p.height }, (_, i) => (p.rgba[i * 4] << 16) | (p.rgba[i * 4 + 1] << 8) | p.rgba[i * 4 + 2]));
      assert.ok(colours.size > 100, `${algorithm}: ${colours.size} distinct heights`);
    }
  });

  it('rgb WebP is lossy with a quality: alpha exact, colours close, fewer bytes at lower quality', async () => {
    const query = 'r=B04&g=B08&b=B02&r_range=[0,10000]&g_range=[0,10000]&b_range=[0,10000]';
    const path = `/rgb/S2/2024-01-15/${t}`;
    const p = await png(`${path}.png?${query}`);
    const results = [];
    for (const quality of [95, 30]) {
      const w = await webp(`${path}.webp?${query}&quality=${quality}`);
      assert.equal(w.lossless, 'LOSSY');
      let diff = 0, opaque = 0;
      for (let i = 0; i < p.width * p.height; i++) {
        assert.equal(w.rgba[i * 4 + 3], p.rgba[i * 4 + 3], `alpha at pixel ${i}`);
        if (p.rgba[i * 4 + 3] === 0) continue;
        opaque++;
        for (let c = 0; c < 3; c++) diff += Math.abs(w.rgba[i * 4 + c] - p.rgba[i * 4 + c]);
      }
      results.push({ quality, bytes: w.bytes, meanDiff: diff / (3 * opaque) });
    }
    console.log(`rgb WebP: ${JSON.stringify(results)}; PNG ${p.rgba.length / 4} px`);
    assert.ok(results[0].meanDiff < 3, `quality 95: mean difference ${results[0].meanDiff}`);
    assert.ok(results[1].meanDiff > results[0].meanDiff);
    assert.ok(results[1].bytes < results[0].bytes);
    // the default (75) without quality=
    assert.equal((await webp(`${path}.webp?${query}`)).lossless, 'LOSSY');
    // quality= sets JPEG's too
    const jpeg = async (q: number) => (await body(`${path}.jpg?${query}&quality=${q}`, 'image/jpeg')).length;
    assert.ok(await jpeg(20) < await jpeg(95));
  });

  it('an empty tile and a preview come as WebP too', async () => {
    const empty = await webp('/singleband/S2/2024-01-15/B04/3/0/0.webp?stretch_range=[0,1]');
    assert.deepEqual([empty.width, empty.height], [256, 256]);
    assert.ok(empty.rgba.every((v, i) => i % 4 !== 3 || v === 0), 'every pixel transparent');
    const [p, w] = [await png('/singleband/S2/2024-01-15/B04/preview.png?colormap=magma&stretch_range=[0,10000]'), await webp('/singleband/S2/2024-01-15/B04/preview.webp?colormap=magma&stretch_range=[0,10000]')];
    assert.deepEqual(w.rgba, p.rgba);
  });

  it('quality is refused where it cannot apply, and outside 1..100', async () => {
    const message = async (path: string) => {
      const res = await get(path);
      assert.equal(res.status, 400, path);
      return ((await res.json()) as { message: string }).message;
    };
    assert.match(await message(`/singleband/S2/2024-01-15/B04/${t}.webp?stretch_range=[0,1]&quality=80`), /^quality: applies to lossy rgb tiles/);
    assert.match(await message(`/rgb/S2/2024-01-15/${t}.png?r=B04&g=B08&b=B02&quality=80`), /^quality: applies to lossy tiles \(\.jpg, \.webp\); PNG is lossless/);
    assert.match(await message(`/rgb/S2/2024-01-15/${t}.webp?r=B04&g=B08&b=B02&quality=0`), /^quality: must be an integer from 1 to 100$/);
    assert.match(await message(`/rgb/S2/2024-01-15/${t}.webp?r=B04&g=B08&b=B02&quality=high`), /^quality: must be an integer from 1 to 100$/);
  });
});
