/**
 * A client no one here wrote: GDAL's WMTS driver reads the capabilities document and fetches tiles,
 * and the mosaic it cuts for one tile's extent equals the tile the API serves, pixel for pixel.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { decodePng } from '../lib/render/png-decode.ts';
import { CGCS2000Quad, tileBounds, WebMercatorQuad } from '../lib/grids/tms.ts';
import { makeCatalog, Origin, startApi, tileAt } from './api-harness.ts';

const run = promisify(execFile);

describe('GDAL\'s WMTS driver on the API', () => {
  const origin = new Origin();
  let catalog: Awaited<ReturnType<typeof makeCatalog>>;
  let api: Awaited<ReturnType<typeof startApi>>;

  before(async () => {
    await origin.start();
    catalog = await makeCatalog(origin);
    api = await startApi(catalog.uri);
  });
  after(async () => {
    await api.stop();
    await origin.stop();
    await catalog.close();
  });

  it('reads the layer, and its mosaic of one tile matches the served tile', async () => {
    // percent-encoded: GDAL's WMTS: syntax splits the connection string at commas
    const query = `colormap=viridis&stretch_range=${encodeURIComponent('[7000,15000]')}`;
    const caps = `WMTS:${api.url}/singleband/S2/2024-01-15/B04/WMTSCapabilities.xml?${query}`;
    const env = { ...process.env, GDAL_HTTP_TIMEOUT: '20', CPL_VSIL_CURL_USE_HEAD: 'NO', GDAL_DISABLE_READDIR_ON_OPEN: 'EMPTY_DIR', GDAL_DEFAULT_WMS_CACHE_PATH: join(catalog.dir, 'wmscache') };
    const info = JSON.parse((await run('gdalinfo', ['-json', caps], { env })).stdout);
    assert.equal(info.bands.length, 4, 'RGBA');
    assert.match(JSON.stringify(info.coordinateSystem), /3857|Pseudo-Mercator/);

    const md = await (await fetch(`${api.url}/metadata/S2/2024-01-15/B04`)).json() as { bounds: number[] };
    const [x, y] = tileAt((md.bounds[0] + md.bounds[2]) / 2, (md.bounds[1] + md.bounds[3]) / 2, 12);
    const [minX, minY, maxX, maxY] = tileBounds(WebMercatorQuad, 12, x, y);
    const out = join(catalog.dir, 'gdal-tile.png');
    await run('gdal_translate', ['-q', '-of', 'PNG', '-oo', 'ZOOM_LEVEL=12', '-projwin', String(minX), String(maxY), String(maxX), String(minY), caps, out], { env });
    const gdal = decodePng(new Uint8Array(await readFile(out)));
    const ours = decodePng(new Uint8Array(await (await fetch(`${api.url}/singleband/S2/2024-01-15/B04/12/${x}/${y}.png?${query}`)).arrayBuffer()));
    assert.deepEqual([gdal.width, gdal.height], [256, 256]);
    let differ = 0;
    for (let i = 0; i < ours.rgba.length; i++) if (ours.rgba[i] !== gdal.rgba[i]) differ++;
    assert.equal(differ, 0, 'GDAL\'s mosaic equals the served tile');
    assert.ok(ours.rgba.some((v, i) => i % 4 === 3 && v === 255), 'the tile has data');
  });

  it('reads a CGCS2000Quad layer (EPSG:4490, Tianditu levels) and its mosaic of one tile matches the served tile', async () => {
    const query = `colormap=viridis&stretch_range=${encodeURIComponent('[7000,15000]')}&tms=CGCS2000Quad`;
    const caps = `WMTS:${api.url}/singleband/S2/2024-01-15/B04/WMTSCapabilities.xml?${query}`;
    const env = { ...process.env, GDAL_HTTP_TIMEOUT: '20', CPL_VSIL_CURL_USE_HEAD: 'NO', GDAL_DISABLE_READDIR_ON_OPEN: 'EMPTY_DIR', GDAL_DEFAULT_WMS_CACHE_PATH: join(catalog.dir, 'wmscache-4490') };
    const info = JSON.parse((await run('gdalinfo', ['-json', caps], { env })).stdout);
    assert.match(JSON.stringify(info.coordinateSystem), /4490|China Geodetic Coordinate System 2000/);

    const md = await (await fetch(`${api.url}/metadata/S2/2024-01-15/B04`)).json() as { bounds: number[] };
    const lon = (md.bounds[0] + md.bounds[2]) / 2, lat = (md.bounds[1] + md.bounds[3]) / 2;
    const z = 12, x = Math.floor(((lon + 180) / 360) * 2 ** z), y = Math.floor(((90 - lat) / 360) * 2 ** z);
    const [minX, minY, maxX, maxY] = tileBounds(CGCS2000Quad, z, x, y);
    const out = join(catalog.dir, 'gdal-tile-4490.png');
    await run('gdal_translate', ['-q', '-of', 'PNG', '-oo', `TILEMATRIX=${z}`, '-projwin', String(minX), String(maxY), String(maxX), String(minY), caps, out], { env });
    const gdal = decodePng(new Uint8Array(await readFile(out)));
    const ours = decodePng(new Uint8Array(await (await fetch(`${api.url}/singleband/S2/2024-01-15/B04/${z}/${x}/${y}.png?${query}`)).arrayBuffer()));
    assert.deepEqual([gdal.width, gdal.height], [256, 256]);
    let differ = 0;
    for (let i = 0; i < ours.rgba.length; i++) if (ours.rgba[i] !== gdal.rgba[i]) differ++;
    assert.equal(differ, 0, 'GDAL\'s mosaic equals the served tile');
    assert.ok(ours.rgba.some((v, i) => i % 4 === 3 && v === 255), 'the tile has data');
  });
});
