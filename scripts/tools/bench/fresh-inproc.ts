/**
 * The fresh-tile workload in one process, without HTTP: api.fetch over the same tile list, CPU of
 * this process per tile. For profiling the tile path (`node --cpu-prof --import tsx` this file) and
 * for comparing a change to it without serve's workers and sockets in the figure.
 *   node --import tsx scripts/tools/bench/fresh-inproc.ts [fresh|viewport] [tiles]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApi, type RequestLog } from '../../../lib/api/index.ts';
import { openCatalog } from '../../../lib/catalog/index.ts';
import { sentinelCatalog } from './data.ts';
import { freshTiles, viewportTiles, type Tile } from './fresh-tiles.ts';

const mode = process.argv[2] ?? 'fresh';
const count = Number(process.argv[3] ?? 3000);
const tiles: Tile[] = mode === 'viewport' ? viewportTiles(Math.ceil(count / 60)) : freshTiles(count);
const dir = await mkdtemp(join(tmpdir(), 'taoguan-fresh-inproc-'));
try {
  const catalog = await openCatalog(await sentinelCatalog(dir));
  let decoded = 0, misses = 0, logged = 0;
  const logger = (l: RequestLog) => { logged++; misses += l.cache.blockMisses; decoded += l.cache.decodedBytes ?? 0; };
  const api = createApi({ catalog, tileCacheBytes: 0, blockCacheBytes: 12 * 2 ** 20, logger });
  const get = async ([z, x, y]: Tile) => {
    const res = await api.fetch(new Request(`http://localhost/singleband/S2/2024-01-15/B04/${z}/${x}/${y}.png?colormap=viridis&stretch_range=[1000,2500]`));
    if (res.status !== 200) throw new Error(`${z}/${x}/${y}: ${res.status} ${await res.text()}`);
    return (await res.arrayBuffer()).byteLength;
  };
  const warm = Math.ceil(tiles.length * 0.05);
  // 4 at a time, as the bench's connections
  const run = async (list: Tile[]) => {
    let next = 0, bytes = 0;
    await Promise.all(Array.from({ length: 4 }, async () => { while (next < list.length) { const b = await get(list[next++]); bytes += b; } }));
    return bytes;
  };
  await run(tiles.slice(0, warm));
  logged = 0; decoded = 0; misses = 0;
  const c0 = process.cpuUsage(), t0 = performance.now();
  const bytes = await run(tiles.slice(warm));
  const c1 = process.cpuUsage(c0), ms = performance.now() - t0;
  const n = tiles.length - warm;
  console.log(`${mode} in-process: ${n} tiles, CPU ${((c1.user + c1.system) / 1000 / n).toFixed(2)} ms/tile (${(c1.system / 1000 / n).toFixed(2)} system), wall ${(ms / n).toFixed(2)} ms/tile, `
    + `${(misses / logged).toFixed(2)} blocks decoded/tile, ${(decoded / 1024 / logged).toFixed(0)} KiB inflated/tile, PNG ${(bytes / 1024 / n).toFixed(1)} KiB/tile`);
  await catalog.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
