/**
 * CPU of a mosaic tile against a single-scene tile, through createApi in process: three overlapping
 * 1024² uint16 UTM scenes made by GDAL (each with a nodata stripe, so `first` must often fall
 * through to the next scene), ingested into SQLite; z14 tiles inside the area all three cover.
 * The same three scenes without stripes (sensor s2full) show the common case: a tile the top scene
 * fills, where `first` reads that scene alone.
 * Every request is a new tile to the tile cache (its stretch differs), so each is planned, read,
 * composed and encoded; once with the decoded blocks cached (what a warm function mostly does) and
 * once decoding every block.
 *
 *   node --import tsx scripts/tools/bench/mosaic-tiles.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createApi } from '../../../lib/api/index.ts';
import { openCatalog, type Catalog } from '../../../lib/catalog/index.ts';
import { ingestObject } from '../../../lib/ingest/index.ts';
import { openSource, type Source } from '../../../lib/source/index.ts';

/** Each stripe crosses the area all three share, so `first` falls through there to the next scene. */
const SCENES = [
  { date: '2024-06-01', dx: 0, dy: 0, stripe: 'rows', at: 700 },
  { date: '2024-06-11', dx: 6000, dy: -6000, stripe: 'cols', at: 450 },
  { date: '2024-06-21', dx: 12000, dy: -12000, stripe: 'rows', at: 150 },
];

const MAKE = `
import sys, numpy as np
from osgeo import gdal, osr
gdal.UseExceptions()
out, dx, dy, stripe, at, seed = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
rng = np.random.default_rng(seed)
y, x = np.mgrid[0:1024, 0:1024]
a = (500 + 400 * np.sin(x / 37.0 + seed) * np.cos(y / 53.0) + rng.integers(0, 60, size=(1024, 1024))).astype(np.uint16)
if stripe == 'rows': a[at:at + 120, :] = 0
if stripe == 'cols': a[:, at:at + 120] = 0
mem = gdal.GetDriverByName('MEM').Create('', 1024, 1024, 1, gdal.GDT_UInt16)
mem.SetGeoTransform([500000 + dx, 20, 0, 3430000 + dy, 0, -20])
srs = osr.SpatialReference(); srs.ImportFromEPSG(32650)
mem.SetProjection(srs.ExportToWkt())
mem.GetRasterBand(1).WriteArray(a)
mem.GetRasterBand(1).SetNoDataValue(0)
gdal.Translate(out, mem, format='COG', creationOptions=['BLOCKSIZE=256', 'COMPRESS=DEFLATE'])
`;

/** WebMercatorQuad tile indices of a point. */
function tileAt(lng: number, lat: number, z: number): [number, number] {
  const n = 2 ** z;
  const r = (lat * Math.PI) / 180;
  return [Math.floor(((lng + 180) / 360) * n), Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n)];
}

/** z14 tiles whose corners all lie inside the middle 80% of the box the three scenes share. */
async function sharedTiles(catalog: Catalog): Promise<[number, number][]> {
  const b = await Promise.all(SCENES.map(async (s) => (await catalog.get(['s2', s.date, 'b04']))!.metadata.bounds));
  const [w, s, e, n] = [Math.max(...b.map((x) => x[0])), Math.max(...b.map((x) => x[1])), Math.min(...b.map((x) => x[2])), Math.min(...b.map((x) => x[3]))];
  const mw = (e - w) * 0.1, mh = (n - s) * 0.1;
  const [x0, y0] = tileAt(w + mw, n - mh, 14);
  const [x1, y1] = tileAt(e - mw, s + mh, 14);
  const out: [number, number][] = [];
  for (let x = x0 + 1; x < x1; x++) for (let y = y0 + 1; y < y1; y++) out.push([x, y]);
  return out;
}

/** CPU milliseconds (user + system) per request over `rounds` passes of every tile, each request a tile never rendered before. */
async function cpuPerTile(api: ReturnType<typeof createApi>, path: (x: number, y: number, n: number) => string, tiles: [number, number][], rounds: number, each?: () => void): Promise<number> {
  let n = 0;
  const get = async (x: number, y: number) => {
    const res = await api.fetch(new Request(`http://bench${path(x, y, n++)}`));
    if (res.status !== 200) throw new Error(`${path(x, y, n)}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
    each?.();
  };
  for (const [x, y] of tiles) await get(x, y); // sources opened, key names known, the mosaic's index loaded
  const before = process.cpuUsage();
  for (let r = 0; r < rounds; r++) for (const [x, y] of tiles) await get(x, y);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / (rounds * tiles.length);
}

export async function benchMosaicTiles(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'taoguan-bench-mosaic-tiles-'));
  try {
    const uri = `sqlite:${join(dir, 'catalog.db')}`;
    const writer = await openCatalog(uri, { cache: false });
    await writer.create([{ name: 'sensor' }, { name: 'date' }, { name: 'band' }]);
    for (const [i, s] of SCENES.entries()) {
      const file = join(dir, `${s.date}.tif`);
      execFileSync('/usr/bin/python3', ['-c', MAKE, file, String(s.dx), String(s.dy), s.stripe, String(s.at), String(i + 1)]);
      await ingestObject(writer, file, ['s2', s.date, 'b04']);
      const full = join(dir, `${s.date}-full.tif`);
      execFileSync('/usr/bin/python3', ['-c', MAKE, full, String(s.dx), String(s.dy), 'none', String(s.at), String(i + 1)]);
      await ingestObject(writer, full, ['s2full', s.date, 'b04']);
    }
    const tiles = await sharedTiles(writer);
    await writer.close();
    const stretch = (n: number) => `stretch_range=${encodeURIComponent(`[0,${1000 + n}]`)}`;
    const routes = {
      single: (x: number, y: number, n: number) => `/singleband/s2/2024-06-01/b04/14/${x}/${y}.png?${stretch(n)}`,
      mosaic: (x: number, y: number, n: number) => `/singleband/s2/*/b04/14/${x}/${y}.png?${stretch(n)}`,
      // for comparison: a selection that reads every scene wherever it has data
      mosaicMean: (x: number, y: number, n: number) => `/singleband/s2/*/b04/14/${x}/${y}.png?pixel_selection=mean&${stretch(n)}`,
      // the scenes without stripes: the top one fills every tile
      fullSingle: (x: number, y: number, n: number) => `/singleband/s2full/2024-06-01/b04/14/${x}/${y}.png?${stretch(n)}`,
      fullMosaic: (x: number, y: number, n: number) => `/singleband/s2full/*/b04/14/${x}/${y}.png?${stretch(n)}`,
    };
    const out: Record<string, unknown> = { tiles: tiles.length };
    // one open file per scene for every API made here, closed at the end; which scenes each request read
    const sources = new Map<string, Source>();
    let touched = new Set<string>();
    const counting = (source: Source): Source => ({
      location: source.location, head: (o) => source.head(o), close: () => source.close?.() ?? Promise.resolve(),
      read: (offset, length, o) => {
        touched.add(source.location);
        return source.read(offset, length, o);
      },
    });
    const open = (location: string) => sources.get(location) ?? sources.set(location, counting(openSource(location))).get(location)!;
    console.log(`Mosaic tile CPU — ${tiles.length} z14 tiles under three overlapping 1024² uint16 UTM scenes (GDAL COGs), pixel_selection=first, createApi in process`);
    for (const [blocks, blockCacheBytes] of [['blocks cached', 64 * 1024 * 1024], ['blocks decoded each time', 1]] as const) {
      const figures: Record<string, number> = {};
      // the routes in turn, five times over, the least of each kept: the machine is shared, and JIT warms
      for (let pass = 0; pass < 5; pass++) {
        for (const [name, path] of Object.entries(routes)) {
          const catalog = await openCatalog(`${uri}?mode=ro`);
          const api = createApi({ catalog, blockCacheBytes, maxInFlight: 1, openSource: open });
          let scenes = 0, requests = 0;
          const each = () => {
            scenes += touched.size;
            requests++;
            touched = new Set();
          };
          figures[name] = Math.min(figures[name] ?? Infinity, +(await cpuPerTile(api, path, tiles, 4, each)).toFixed(2));
          if (blockCacheBytes === 1) figures[`${name}ScenesRead`] = +(scenes / requests).toFixed(2);
          await catalog.close();
        }
      }
      const ratio = +(figures.mosaic / figures.single).toFixed(2);
      const fullRatio = +(figures.fullMosaic / figures.fullSingle).toFixed(2);
      out[blocks] = { ...figures, ratio, fullRatio };
      const read = figures.mosaicScenesRead === undefined ? '' : ` (scenes read per tile: first ${figures.mosaicScenesRead}, mean ${figures.mosaicMeanScenesRead})`;
      console.log(`  ${blocks.padEnd(26)} single scene ${figures.single} ms CPU/tile, mosaic of 3 (first) ${figures.mosaic} ms: ${ratio}×; mean of 3 ${figures.mosaicMean} ms${read}`);
      console.log(`  ${''.padEnd(26)} scenes without stripes: single ${figures.fullSingle} ms, mosaic of 3 (first) ${figures.fullMosaic} ms: ${fullRatio}×${figures.fullMosaicScenesRead === undefined ? '' : ` (scenes read per tile ${figures.fullMosaicScenesRead})`}`);
    }
    for (const source of sources.values()) await source.close?.();
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(JSON.stringify(await benchMosaicTiles(), null, 2));
