/**
 * The soak's server: the API on a loopback socket in its own process, as `serve` runs it, that
 * answers the parent's "stats" message with its memory after a full GC and its caches' bytes against
 * their budgets. Run with --expose-gc; configured by TAOGUAN_CATALOG and TAOGUAN_SOAK_CACHES
 * ("tileMB/blockMB").
 */
import { createApi, createNodeServer } from '../../lib/api/index.ts';
import { CachedCatalog } from '../../lib/catalog/cache.ts';
import { openCatalog } from '../../lib/catalog/open.ts';

export interface SoakStats {
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
  caches: { name: string; bytes: number; budget: number }[];
}

const [tileMb, blockMb] = (process.env.TAOGUAN_SOAK_CACHES ?? '16/24').split('/').map(Number);
const catalog = await openCatalog(process.env.TAOGUAN_CATALOG!);
const api = createApi({ catalog, tileCacheBytes: tileMb * 2 ** 20, blockCacheBytes: blockMb * 2 ** 20 });
const server = createNodeServer(api);
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.send!({ listening: typeof addr === 'object' && addr ? addr.port : 0 });
});

const gc = (globalThis as { gc?: () => void }).gc;
process.on('message', (m: { stats?: boolean }) => {
  if (!m.stats) return;
  gc?.();
  const mem = process.memoryUsage(), { blocks, tiles } = api.context;
  const cached = catalog instanceof CachedCatalog ? catalog : undefined;
  const caches = [
    { name: 'tiles', bytes: tiles.bytes, budget: tiles.maxBytes },
    { name: 'blocks', bytes: blocks.bytes, budget: blocks.maxBytes },
    ...(cached ? [{ name: 'catalog', bytes: cached.stats.bytes, budget: cached.maxBytes }] : []),
  ];
  const stats: SoakStats = { rssMb: mem.rss / 2 ** 20, heapUsedMb: mem.heapUsed / 2 ** 20, externalMb: mem.external / 2 ** 20, caches };
  process.send!({ stats });
});
process.on('disconnect', () => process.exit(0));
