import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Catalog } from '../../../lib/catalog/index.ts';
import { openCatalog } from '../../../lib/catalog/index.ts';
import { ingestObject } from '../../../lib/ingest/index.ts';
import { openSource } from '../../../lib/source/index.ts';
import { RecordingSource } from '../../../lib/source/index.ts';
import { sentinelCog } from './data.ts';

async function lookupMicros(catalog: Catalog, keys: string[], runs = 2000): Promise<number> {
  await catalog.get(keys);
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await catalog.get(keys);
  return ((performance.now() - t0) / runs) * 1000;
}

/** Ingest of the 10980² COG (seconds, bytes read, peak RSS) and catalog lookups with and without the cache. */
export async function benchIngest(mysqlUri = process.env.TAOGUAN_BENCH_MYSQL ?? 'mysql://root@127.0.0.1:3306/test?prefix=bench_'): Promise<Record<string, unknown>> {
  const path = sentinelCog();
  const dir = await mkdtemp(join(tmpdir(), 'taoguan-bench-'));
  const uri = `sqlite:${join(dir, 'bench.db')}`;
  const catalog = await openCatalog(uri);
  await catalog.create([{ name: 'sensor' }, { name: 'date' }, { name: 'band' }]);
  const recorder = new RecordingSource(openSource(path));
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
  const t0 = performance.now();
  await ingestObject(catalog, path, ['S2', '2024-01-15', 'B04'], { open: () => recorder, force: true });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  const size = (await recorder.head()).size;
  console.log(`Ingest — ${path}`);
  console.log(`  ${seconds.toFixed(2)} s, ${recorder.count} range request(s) (1 header), ${(recorder.bytesRead / 1e6).toFixed(1)} MB read = ${((100 * recorder.bytesRead) / size).toFixed(2)}% of the file, peak RSS ${(peak / 1e6).toFixed(0)} MB (+${((peak - rss0) / 1e6).toFixed(0)})`);
  const keys = ['S2', '2024-01-15', 'B04'];
  const uncachedSqlite = await openCatalog(uri, { cache: false });
  const out: Record<string, unknown> = {
    ingestSeconds: seconds, ingestBytesRead: recorder.bytesRead, ingestRequests: recorder.count, ingestPeakRssMb: peak / 1e6,
    lookupCachedUs: await lookupMicros(catalog, keys, 20000),
    lookupSqliteUs: await lookupMicros(uncachedSqlite, keys, 500),
  };
  await uncachedSqlite.close();
  try {
    const mysql = await openCatalog(mysqlUri, { cache: false });
    try {
      await mysql.create([{ name: 'sensor' }, { name: 'date' }, { name: 'band' }]).catch(() => undefined);
      await mysql.put((await catalog.get(keys))!);
      out.lookupMysqlUs = await lookupMicros(mysql, keys, 500);
    } finally {
      await mysql.close();
    }
  } catch (e) {
    console.log(`  (MySQL lookup skipped: ${(e as Error).message})`);
  }
  console.log(`  catalog get: cached ${(out.lookupCachedUs as number).toFixed(2)} µs, SQLite ${(out.lookupSqliteUs as number).toFixed(0)} µs${out.lookupMysqlUs ? `, MySQL (loopback) ${(out.lookupMysqlUs as number).toFixed(0)} µs` : ''}`);
  await catalog.close();
  await rm(dir, { recursive: true, force: true });
  return out;
}
