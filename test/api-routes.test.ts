/**
 * Every route and parameter of the HTTP API over a real socket, with a SQLite catalog ingested from
 * a local range-serving origin: shapes (Terracotta's), 400 messages naming the parameter, 404s,
 * transparent tiles outside the data, TileJSON, WMTS, point values, and the OpenAPI document.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { colormapLegend } from '../lib/render/legend.ts';
import { decodePng } from '../lib/render/png-decode.ts';
import { readWindow } from '../lib/raster/window.ts';
import { readHeader } from '../lib/tiff/index.ts';
import { fixturePath, MemorySource } from './helpers.ts';
import { makeCatalog, Origin, pngSize, startApi, tileAt } from './api-harness.ts';

describe('API routes', () => {
  const origin = new Origin();
  let catalog: Awaited<ReturnType<typeof makeCatalog>>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let center: [number, number];
  const get = (path: string, init?: RequestInit) => fetch(`${api.url}${path}`, init);
  const json = async (path: string, status = 200, init?: RequestInit) => {
    const res = await get(path, init);
    const body = await res.json();
    assert.equal(res.status, status, `${path}: ${JSON.stringify(body)}`);
    return body;
  };
  const image = async (path: string, type = 'image/png') => {
    const res = await get(path);
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.equal(res.status, 200, `${path}: ${new TextDecoder().decode(bytes).slice(0, 300)}`);
    assert.equal(res.headers.get('content-type'), type);
    return bytes;
  };
  const error = async (path: string, status: number, pattern: RegExp, init?: RequestInit) => {
    const body = await json(path, status, init);
    assert.match(body.message, pattern, `${path}: ${body.message}`);
  };
  /** A z12 tile in the middle of S2's data. */
  const tile = () => { const [x, y] = tileAt(center[0], center[1], 12); return `12/${x}/${y}`; };

  before(async () => {
    await origin.start();
    catalog = await makeCatalog(origin);
    api = await startApi(catalog.uri);
    const md = await json('/metadata/S2/2024-01-15/B04');
    center = [(md.bounds[0] + md.bounds[2]) / 2, (md.bounds[1] + md.bounds[3]) / 2];
  });
  after(async () => {
    await api.stop();
    await origin.stop();
    await catalog.close();
  });

  it('GET /keys lists key names and descriptions in order', async () => {
    assert.deepEqual(await json('/keys'), { keys: [{ key: 'sensor', description: 'satellite or source' }, { key: 'date' }, { key: 'band' }] });
  });

  it('GET /datasets filters by key, with lists, and pages', async () => {
    const all = await json('/datasets');
    assert.equal(all.page, 0);
    assert.equal(all.limit, 100);
    assert.equal(all.datasets.length, 5);
    assert.deepEqual((await json('/datasets?sensor=S2&band=B04')).datasets, [{ sensor: 'S2', date: '2024-01-15', band: 'B04' }]);
    assert.equal((await json('/datasets?band=[B04,B08]')).datasets.length, 3);
    assert.equal((await json('/datasets?band=["B02","h"]')).datasets.length, 2);
    const page = await json('/datasets?limit=2&page=1');
    assert.deepEqual([page.limit, page.page, page.datasets.length], [2, 1, 2]);
    await error('/datasets?colour=red', 400, /^colour: not a key of this catalog \(keys: sensor, date, band\)/);
    await error('/datasets?limit=0', 400, /^limit: /);
    await error('/datasets?page=x', 400, /^page: must be an integer/);
  });

  it('GET /metadata/{keys} has Terracotta\'s shape, and columns selects', async () => {
    const md = await json('/metadata/S2/2024-01-15/B04');
    assert.deepEqual(Object.keys(md), ['keys', 'bounds', 'convex_hull', 'valid_percentage', 'range', 'mean', 'stdev', 'percentiles', 'metadata']);
    assert.deepEqual(md.keys, { sensor: 'S2', date: '2024-01-15', band: 'B04' });
    assert.equal(md.bounds.length, 4);
    assert.equal(md.convex_hull.type, 'Polygon');
    assert.equal(md.percentiles.length, 99);
    assert.ok(md.range[0] <= md.mean && md.mean <= md.range[1]);
    assert.deepEqual(Object.keys(await json('/metadata/S2/2024-01-15/B04?columns=[bounds,range]')), ['bounds', 'range']);
    assert.deepEqual(Object.keys(await json('/metadata/S2/2024-01-15/B04?columns=["keys"]')), ['keys']);
    await error('/metadata/S2/2024-01-15/B04?columns=[colour]', 400, /^columns\[0\]: unknown column/);
    await error('/metadata/S2/2024-01-15/B99', 404, /no dataset with keys sensor=S2, date=2024-01-15, band=B99/);
    await error('/metadata/S2/2024-01-15', 400, /expected 3 key value\(s\) \(sensor, date, band\), got 2/);
    await error('/metadata/S2/2024-01-15/a%2Fb', 400, /may not contain "\/"/);
    await error('/metadata/S2/2024-01-15/%E0%A4%A', 400, /^keys: .* not valid percent-encoding/);
  });

  it('POST /metadata answers many datasets at once, bounded', async () => {
    const post = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const list = await json('/metadata?columns=[keys,range]', 200, post({ keys: [['S2', '2024-01-15', 'B04'], ['L8', '2023-06-01', 'B04']] }));
    assert.deepEqual(list.map((m: { keys: { sensor: string } }) => m.keys.sensor), ['S2', 'L8']);
    assert.deepEqual(Object.keys(list[0]), ['keys', 'range']);
    await error('/metadata', 400, /^keys: at most 100 datasets/, post({ keys: Array.from({ length: 101 }, () => ['S2', '2024-01-15', 'B04']) }));
    await error('/metadata', 400, /^body: must be a JSON object/, post('{nope'));
    await error('/metadata', 400, /^keys: must be a list of key-value lists/, post({ keys: 'S2' }));
    await error('/metadata', 404, /band=B99/, post({ keys: [['S2', '2024-01-15', 'B99']] }));
    await error('/metadata', 413, /^body: larger than 1 MiB/, post({ keys: [['x'.repeat(2 * 1024 * 1024)]] }));
  });

  it('GET /colormap gives Terracotta\'s legend', async () => {
    const body = await json('/colormap?stretch_range=[0,1]&colormap=viridis&num_values=5');
    assert.deepEqual(body, { colormap: colormapLegend({ stretchRange: [0, 1], colormap: 'viridis', numValues: 5 }) });
    assert.equal((await json('/colormap?stretch_range=[0,10]')).colormap.length, 255);
    await error('/colormap', 400, /^stretch_range: /);
    await error('/colormap?stretch_range=[0,1]&colormap=nope', 400, /^colormap: unknown colormap "nope"/);
    await error('/colormap?stretch_range=[0,1]&num_values=5000', 400, /^num_values: /);
    await error('/colormap?stretch_range=[0,"a"]', 400, /^stretch_range\[1\]: must be a number/);
    await error('/colormap?stretch_range=[0]', 400, /^stretch_range: must be a list of two numbers/);
  });

  it('singleband tiles: size, retina, stretch, colormaps, grids, resampling', async () => {
    const t = tile();
    const png = decodePng(await image(`/singleband/S2/2024-01-15/B04/${t}.png?colormap=viridis&stretch_range=["p2","p98"]`));
    assert.deepEqual([png.width, png.height], [256, 256]);
    assert.ok(png.indices!.some((i) => i > 0), 'has data');
    assert.deepEqual(pngSize(await image(`/singleband/S2/2024-01-15/B04/${t}@2x.png`)), [512, 512]);
    assert.deepEqual(pngSize(await image(`/singleband/S2/2024-01-15/B04/${t}.png?tile_size=[128,128]`)), [128, 128]);
    assert.deepEqual(pngSize(await image(`/singleband/S2/2024-01-15/B04/${t}.png?stretch_range=[null,12000]&resampling=bilinear`)), [256, 256]);
    const explicit = decodePng(await image(`/singleband/DEM/2000/h/0/0/0.png?colormap=explicit&explicit_color_map={"1":[255,0,0],"2":"%2300ff00"}`));
    assert.equal(explicit.width, 256);
    for (const tms of ['WGS1984Quad', 'GCJ02WebMercatorQuad']) {
      const [x, y] = tms === 'WGS1984Quad' ? [Math.floor(((center[0] + 180) / 360) * 2 ** 12), Math.floor(((90 - center[1]) / 180) * 2 ** 11)] : tileAt(center[0] + 0.0065, center[1] + 0.006, 11);
      const p = decodePng(await image(`/singleband/S2/2024-01-15/B04/11/${x}/${y}.png?tms=${tms}`));
      assert.ok(p.indices!.some((i) => i > 0), `${tms} tile has data`);
    }
  });

  it('a tile outside the data is a transparent PNG of the requested size', async () => {
    for (const q of ['', '?tile_size=[512,512]']) {
      const png = decodePng(await image(`/singleband/S2/2024-01-15/B04/3/0/0.png${q}`));
      assert.equal(png.width, q ? 512 : 256);
      for (let i = 3; i < png.rgba.length; i += 4) assert.equal(png.rgba[i], 0);
    }
  });

  it('singleband 400s name the parameter and why', async () => {
    const t = tile(), base = `/singleband/S2/2024-01-15/B04`;
    await error(`${base}/${t}.png?stretch_range=[0,`, 400, /^stretch_range: must be a list of two bounds as JSON/);
    await error(`${base}/${t}.png?stretch_range=[0,1,2]`, 400, /^stretch_range: /);
    await error(`${base}/${t}.png?stretch_range=["p200",1]`, 400, /^stretch_range\[0\]: must be a number, a percentile "pN"/);
    await error(`${base}/${t}.png?colormap=jet2`, 400, /^colormap: unknown colormap "jet2"/);
    await error(`${base}/${t}.png?colormap=explicit`, 400, /^explicit_color_map: is required with colormap=explicit/);
    await error(`${base}/${t}.png?explicit_color_map={"1":[1,2,3]}`, 400, /^explicit_color_map: can only be given with colormap=explicit/);
    await error(`${base}/${t}.png?colormap=explicit&explicit_color_map={"1":[1,2]}`, 400, /^explicit_color_map: colour for 1/);
    await error(`${base}/${t}.png?tile_size=[4096,4096]`, 400, /^tile_size: 4096 px is above this server's limit of 1024 px/);
    await error(`${base}/${t}@2x.png?tile_size=[1024,1024]`, 400, /^tile_size: 2048 px \(with @2x\)/);
    await error(`${base}/${t}.png?tile_size=[256,128]`, 400, /^tile_size: tiles are square/);
    await error(`${base}/${t}.png?tms=EPSG3857`, 400, /^tms: must be one of WebMercatorQuad/);
    await error(`${base}/${t}.png?resampling=cubic`, 400, /^resampling: must be one of nearest, bilinear, average/);
    await error(`${base}/25/0/0.png`, 400, /^z: 25 is outside 0\.\.24/);
    await error(`${base}/2/4/0.png`, 400, /^x: 4 is outside 0\.\.3 at zoom 2/);
    await error(`${base}/1/0/2.png?tms=WGS1984Quad`, 400, /^y: 2 is outside 0\.\.1 at zoom 1 of WGS1984Quad/);
    await error(`${base}/a/0/0.png`, 400, /^z: must be a non-negative integer/);
    await error(`${base}/1/0/0.webp?quality=50`, 400, /^quality: applies to lossy rgb tiles/);
    await error(`${base}/1/0/0.jpg`, 400, /^format: JPEG output is for rgb/);
    await error(`/singleband/S2/B04/1/0/0.png`, 400, /^keys: expected 3 key value\(s\) \(sensor, date, band\) before \{z\}\/\{x\}\/\{y\}\.png, got 2/);
    await error(`/singleband/S2/2024-01-15/B99/1/0/0.png`, 404, /band=B99/);
    await error(`/singleband/S2/2024-01-15/..%2F..%2Fetc/1/0/0.png`, 400, /may not contain "\/"/);
    await error(`/singleband/S2/2024-01-15/B04/1/0/0.gif`, 404, /no such route/);
  });

  it('rgb tiles combine three datasets, as PNG or JPEG', async () => {
    const t = tile();
    const png = decodePng(await image(`/rgb/S2/2024-01-15/${t}.png?r=B04&g=B08&b=B02&r_range=[7000,15000]&g_range=["p2","p98"]`));
    assert.equal(png.colorType, 6);
    assert.ok(png.rgba.some((v, i) => i % 4 === 3 && v === 255));
    await image(`/rgb/S2/2024-01-15/${t}.jpg?r=B04&g=B08&b=B02`, 'image/jpeg');
    await image(`/rgb/S2/2024-01-15/${t}@2x.jpeg?r=B04&g=B04&b=B04`, 'image/jpeg');
    await error(`/rgb/S2/2024-01-15/${t}.png?r=B04&g=B08`, 400, /^b: is required/);
    await error(`/rgb/S2/2024-01-15/${t}.png?r=B04&g=B08&b=B99`, 404, /band=B99/);
    await error(`/rgb/S2/2024-01-15/${t}.png?r=B04&g=B08&b=B02&r_range=[1]`, 400, /^r_range: /);
  });

  it('compute tiles evaluate band math, and refuse hostile expressions', async () => {
    const t = tile();
    const png = decodePng(await image(`/compute/S2/2024-01-15/${t}.png?expression=${encodeURIComponent('(v1 - v2) / (v1 + v2)')}&v1=B04&v2=B08&stretch_range=[-1,1]&colormap=rdylgn`));
    assert.ok(png.indices!.some((i) => i > 0));
    const q = (e: string) => `/compute/S2/2024-01-15/${t}.png?expression=${encodeURIComponent(e)}&v1=B04&v2=B08&stretch_range=[-1,1]`;
    await error(q('constructor.constructor("return process")()'), 400, /^expression: /);
    await error(q('v1.__proto__'), 400, /^expression: /);
    await error(q('v3 + 1'), 400, /^expression: .*v3/);
    await error(`/compute/S2/2024-01-15/${t}.png?expression=v1&v1=B04&v3=B08&stretch_range=[0,1]`, 400, /^v2: is missing/);
    await error(`/compute/S2/2024-01-15/${t}.png?expression=v1&stretch_range=[0,1]`, 400, /^v1: at least one operand/);
    await error(`/compute/S2/2024-01-15/${t}.png?expression=v1&v1=B04`, 400, /^stretch_range: /);
    await error(`/compute/S2/2024-01-15/${t}.png?v1=B04&stretch_range=[0,1]`, 400, /^expression: is required/);
    await error(`/compute/S2/2024-01-15/${t}.png?expression=${'v1+'.repeat(400)}v1&v1=B04&stretch_range=[0,1]`, 400, /^expression: /);
  });

  it('previews draw the whole dataset, the longer side 512 px, or tile_size', async () => {
    const [w, h] = pngSize(await image('/singleband/S2/2024-01-15/B04/preview.png?colormap=viridis'));
    assert.equal(w, 512);
    assert.equal(h, Math.round((512 * 300) / 360));
    assert.deepEqual(pngSize(await image('/singleband/L8/2023-06-01/B04/preview.png?tile_size=[200,100]')), [200, 100]);
    assert.deepEqual(pngSize(await image('/rgb/S2/2024-01-15/preview.png?r=B04&g=B08&b=B02')), [512, 427]);
    await image('/rgb/S2/2024-01-15/preview.jpg?r=B04&g=B08&b=B02', 'image/jpeg');
    assert.equal(pngSize(await image('/compute/S2/2024-01-15/preview.png?expression=v1-v2&v1=B04&v2=B08&stretch_range=[-1000,1000]'))[0], 512);
  });

  it('TileJSON 3.0.0 points at the tile route with the same query, and its tiles render', async () => {
    const tj = await json('/singleband/S2/2024-01-15/B04/tilejson.json?colormap=viridis&stretch_range=[7000,15000]&maxzoom=13');
    assert.equal(tj.tilejson, '3.0.0');
    assert.equal(tj.maxzoom, 13);
    assert.ok(tj.minzoom >= 0 && tj.minzoom <= tj.maxzoom);
    assert.equal(tj.bounds.length, 4);
    assert.equal(tj.center.length, 3);
    assert.equal(tj.tiles[0], `${api.url}/singleband/S2/2024-01-15/B04/{z}/{x}/{y}.png?colormap=viridis&stretch_range=%5B7000%2C15000%5D`);
    const [x, y] = tileAt(tj.center[0], tj.center[1], 12);
    await image(new URL(tj.tiles[0].replace('{z}', '12').replace('{x}', String(x)).replace('{y}', String(y))).pathname + new URL(tj.tiles[0]).search);
    const computed = await json('/singleband/S2/2024-01-15/B04/tilejson.json');
    assert.equal(computed.maxzoom, 12, '~30 m pixels at 40°N: z12 tiles are 38 m');
    // CGCS2000Quad is numbered as Tianditu numbers it: its level 1 is WGS1984Quad's 0, and it has no 0
    const wgs = await json('/singleband/S2/2024-01-15/B04/tilejson.json?tms=WGS1984Quad');
    const cgcs = await json('/singleband/S2/2024-01-15/B04/tilejson.json?tms=CGCS2000Quad');
    assert.deepEqual([cgcs.minzoom, cgcs.maxzoom], [wgs.minzoom + 1, wgs.maxzoom + 1]);
    assert.match(cgcs.description, /CGCS2000Quad/);
    assert.match(cgcs.tiles[0], /\{z\}\/\{x\}\/\{y\}\.png\?tms=CGCS2000Quad$/);
    const rgb = await json('/rgb/S2/2024-01-15/tilejson.json?r=B04&g=B08&b=B02');
    assert.match(rgb.tiles[0], /\/rgb\/S2\/2024-01-15\/\{z\}\/\{x\}\/\{y\}\.png\?r=B04&g=B08&b=B02$/);
    await error('/rgb/S2/2024-01-15/tilejson.json?r=B04', 400, /^g: is required/);
  });

  it('WMTS capabilities: one layer per route, or per dataset', async () => {
    const res = await get('/singleband/S2/2024-01-15/B04/WMTSCapabilities.xml?colormap=viridis');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/xml; charset=utf-8');
    const xml = await res.text();
    assert.match(xml, /<Capabilities xmlns="http:\/\/www\.opengis\.net\/wmts\/1\.0"/);
    assert.match(xml, /<ows:Identifier>S2\/2024-01-15\/B04<\/ows:Identifier>/);
    assert.match(xml, /<WellKnownScaleSet>urn:ogc:def:wkss:OGC:1\.0:GoogleMapsCompatible<\/WellKnownScaleSet>/);
    assert.ok(xml.includes(`template="${api.url}/singleband/S2/2024-01-15/B04/{TileMatrix}/{TileCol}/{TileRow}.png?colormap=viridis"`), xml);
    const all = await (await get('/wmts/WMTSCapabilities.xml?sensor=S2&colormap=greys')).text();
    assert.equal(all.match(/<Layer>/g)?.length, 3);
    assert.match(all, /S2\/2024-01-15\/B08\/\{TileMatrix\}\/\{TileCol\}\/\{TileRow\}\.png\?colormap=greys/);
    const wgs = await (await get('/wmts/WMTSCapabilities.xml?tms=WGS1984Quad&limit=1')).text();
    assert.match(wgs, /urn:ogc:def:crs:OGC:1\.3:CRS84/);
    assert.match(wgs, /\.png\?tms=WGS1984Quad"/);
    const cgcs = await (await get('/wmts/WMTSCapabilities.xml?tms=CGCS2000Quad&limit=1')).text();
    assert.match(cgcs, /<ows:SupportedCRS>urn:ogc:def:crs:EPSG::4490<\/ows:SupportedCRS>/);
    // Tianditu's "c": level 1 first, 2 × 1 tiles, corner latitude first
    assert.match(cgcs, /<TileMatrixSet>\s*<ows:Identifier>CGCS2000Quad<\/ows:Identifier>\s*<ows:SupportedCRS>[^<]+<\/ows:SupportedCRS>\s*<TileMatrix><ows:Identifier>1<\/ows:Identifier><ScaleDenominator>279541132.0143589<\/ScaleDenominator><TopLeftCorner>90 -180<\/TopLeftCorner><TileWidth>256<\/TileWidth><TileHeight>256<\/TileHeight><MatrixWidth>2<\/MatrixWidth><MatrixHeight>1<\/MatrixHeight><\/TileMatrix>/);
    assert.match(cgcs, /\.png\?tms=CGCS2000Quad"/);
    await error('/singleband/S2/2024-01-15/B04/0/0/0.png?tms=CGCS2000Quad', 400, /^z: 0 is outside 1\.\.24 of CGCS2000Quad/);
    await error('/wmts/WMTSCapabilities.xml?colormap=nope', 400, /^colormap: /);
  });

  it('GET /point reads the pixel values under a position', async () => {
    const body = await json(`/point/S2/2024-01-15/B04?lng=${center[0]}&lat=${center[1]}`);
    assert.deepEqual(body.keys, { sensor: 'S2', date: '2024-01-15', band: 'B04' });
    const src = await MemorySource.fromFile(fixturePath('u16-4band-deflate-p2-meta-utm50.tif'));
    const { header } = await readHeader(src);
    const win = await readWindow(header, src, { x: body.x, y: body.y, width: 1, height: 1 });
    assert.deepEqual(body.values, win.bands.map((b) => b[0]));
    const outside = await json('/point/S2/2024-01-15/B04?lng=0&lat=0');
    assert.deepEqual([outside.x, outside.values], [null, [null, null, null, null]]);
    await error('/point/S2/2024-01-15/B04?lng=200&lat=0', 400, /^lng: /);
    await error('/point/S2/2024-01-15/B04?lat=0', 400, /^lng: must be a longitude/);
  });

  it('/openapi.json documents every route and parameter; /apidoc renders it with no CDN', async () => {
    const spec = await json('/openapi.json');
    assert.deepEqual(await json('/swagger.json'), spec);
    for (const path of ['/keys', '/datasets', '/metadata/{keys}', '/colormap', '/singleband/{keys}/{z}/{x}/{y}.png', '/rgb/{keys}/{z}/{x}/{y}.png',
      '/compute/{keys}/{z}/{x}/{y}.png', '/singleband/{keys}/preview.png', '/singleband/{keys}/tilejson.json', '/rgb/{keys}/WMTSCapabilities.xml',
      '/wmts/WMTSCapabilities.xml', '/point/{keys}']) assert.ok(spec.paths[path], path);
    assert.ok(spec.paths['/metadata'].post);
    const names = (p: string) => spec.paths[p].get.parameters.map((x: { name: string }) => x.name);
    for (const n of ['keys', 'z', 'x', 'y', 'stretch_range', 'colormap', 'explicit_color_map', 'tile_size', 'tms', 'resampling']) assert.ok(names('/singleband/{keys}/{z}/{x}/{y}.png').includes(n), n);
    for (const n of ['r', 'g', 'b', 'r_range', 'g_range', 'b_range']) assert.ok(names('/rgb/{keys}/{z}/{x}/{y}.png').includes(n), n);
    for (const n of ['expression', 'v1', 'v2', 'stretch_range']) assert.ok(names('/compute/{keys}/{z}/{x}/{y}.png').includes(n), n);
    const page = await (await get('/apidoc')).text();
    assert.match(page, /openapi\.json/);
    assert.doesNotMatch(page, /<script[^>]+src=|<link[^>]+href="http|https?:\/\/(?!www\.w3)/);
  });

  it('/openapi.json declares the optional access control and each route\'s error statuses (401, 422, 502, 503 with Retry-After, 504)', async () => {
    const spec = await json('/openapi.json');
    assert.deepEqual(spec.components.securitySchemes, {
      ApiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key', description: spec.components.securitySchemes.ApiKeyHeader.description },
      ApiKeyQuery: { type: 'apiKey', in: 'query', name: 'api_key', description: spec.components.securitySchemes.ApiKeyQuery.description },
      SignedUrlExpiry: { type: 'apiKey', in: 'query', name: 'exp', description: spec.components.securitySchemes.SignedUrlExpiry.description },
      SignedUrlSignature: { type: 'apiKey', in: 'query', name: 'sig', description: spec.components.securitySchemes.SignedUrlSignature.description },
    });
    const op = (path: string, method = 'get') => spec.paths[path][method];
    const statuses = (path: string, method = 'get') => Object.keys(op(path, method).responses).map(Number);
    // optional ({}), or a key in the header or the query, or a signed URL (exp and sig together)
    const anyWayIn = [{}, { ApiKeyHeader: [] }, { ApiKeyQuery: [] }, { SignedUrlExpiry: [], SignedUrlSignature: [] }];
    for (const family of ['singleband', 'rgb', 'compute']) {
      for (const path of [`/${family}/{keys}/{z}/{x}/{y}.png`, `/${family}/{keys}/preview.png`]) {
        assert.deepEqual(statuses(path), [200, 400, 401, 404, 422, 502, 503, 504], path);
        assert.deepEqual(op(path).security, anyWayIn, path);
      }
      assert.deepEqual(statuses(`/${family}/{keys}/tilejson.json`), [200, 400, 401, 404, 503]);
    }
    assert.deepEqual(statuses('/point/{keys}'), [200, 400, 401, 404, 422, 502, 503, 504]);
    assert.deepEqual(statuses('/metadata/{keys}'), [200, 400, 401, 404, 503]);
    assert.deepEqual(statuses('/metadata', 'post'), [200, 400, 401, 404, 413, 503]);
    assert.deepEqual(statuses('/keys'), [200, 401, 503]);
    assert.match(op('/point/{keys}').responses[422].description, /maxSourceBytes.*maxDecodedPixels/);
    assert.deepEqual(Object.keys(op('/singleband/{keys}/{z}/{x}/{y}.png').responses[503].headers), ['Retry-After']);
    assert.deepEqual(Object.keys(op('/keys').responses[401].headers), ['WWW-Authenticate']);
    assert.deepEqual(op('/keys').responses[401].content['application/json'].schema.required, ['message']);
    // the routes anyone may fetch say so: no credentials, no 401
    for (const path of ['/', '/openapi.json', '/apidoc', '/colormap']) {
      assert.deepEqual(op(path).security, [], path);
      assert.ok(!statuses(path).includes(401), path);
    }
  });
});

