import { copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { openCatalog } from '../../../lib/catalog/index.ts';
import { CatalogError } from '../../../lib/catalog/index.ts';
import { ingestObject } from '../../../lib/ingest/index.ts';
import { startServer } from './serve.ts';

const SAMPLE = new URL('../../../data/sample/jacksboro-dem.tif', import.meta.url).pathname;

/**
 * The README's first command: the shipped sample DEM ingested into a SQLite catalog in a work
 * folder, served, with the URLs to try printed. Running it again reuses the folder.
 */
export async function demoCommand(opts: { dir: string; host: string; port: number }): Promise<void> {
  const dir = resolve(opts.dir);
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'jacksboro-dem.tif');
  await copyFile(SAMPLE, file);
  const uri = `sqlite:${join(dir, 'catalog.db')}`;
  const catalog = await openCatalog(uri);
  try {
    await catalog.create([{ name: 'region', description: 'where' }, { name: 'product', description: 'what the raster holds' }]);
  } catch (e) {
    if (!(e instanceof CatalogError && e.code === 'exists')) throw e;
  }
  const result = await ingestObject(catalog, file, ['jacksboro', 'dem']);
  await catalog.close();
  console.log(`demo: ${file} ${result} in ${uri}`);
  const url = await new Promise<string>((resolve, reject) => {
    startServer({ catalog: uri, host: opts.host, port: opts.port, quiet: false }, resolve).catch(reject);
  });
  // Encoded, so the URLs work pasted into curl (which reads [ ] as a glob) as well as a browser.
  const q = `colormap=terrain&stretch_range=${encodeURIComponent('["p2","p98"]')}`;
  const dataset = `${url}/singleband/jacksboro/dem`;
  // A tile the server really has: the one under the centre at the TileJSON's own maxzoom.
  const tilejson = await (await fetch(`${dataset}/tilejson.json?${q}`)).json() as { center: [number, number, number]; maxzoom: number };
  const [x, y] = tileAt(tilejson.center[0], tilejson.center[1], tilejson.maxzoom);
  console.log(`
taoguan demo is running (Ctrl-C to stop). Try:
  page      ${url}/?colormap=terrain
  tile      ${dataset}/${tilejson.maxzoom}/${x}/${y}.png?${q}
  TileJSON  ${dataset}/tilejson.json?${q}
  metadata  ${url}/metadata/jacksboro/dem
  API docs  ${url}/apidoc
`);
}

/** The Web Mercator tile holding a longitude and latitude. */
function tileAt(lon: number, lat: number, z: number): [number, number] {
  const n = 2 ** z;
  const y = (1 - Math.asinh(Math.tan((lat * Math.PI) / 180)) / Math.PI) / 2;
  return [Math.floor(((lon + 180) / 360) * n), Math.floor(y * n)];
}
