/**
 * Catalog figures (the catalogs issue): what a cold process's first lookup reads from a published
 * 10,000-dataset SQLite catalog in an object location (requests, bytes, time), against downloading
 * the file whole, over loopback and over a simulated link (a first-byte delay and a bandwidth cap on
 * every response); and one uncached lookup's latency on SQLite, PostgreSQL and MySQL.
 *
 *   node --import tsx scripts/tools/bench/catalogs.ts      (TAOGUAN_BENCH_DATASETS=10000)
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openCatalog, publishCatalog, type Catalog, type DatasetRecord, type KeySpec } from '../../../lib/catalog/index.ts';
import { FileSource } from '../../../lib/source/index.ts';
import { readHeader } from '../../../lib/tiff/index.ts';

const KEYS: KeySpec[] = [{ name: 'sensor' }, { name: 'date' }, { name: 'band' }];
const keysOf = (i: number) => [`S${i % 7}`, `2024-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}-${i}`, `B${String(i % 13).padStart(2, '0')}`];

/** Records as ingest writes them: a real COG header, 99 percentiles, a footprint; ~4 KB each stored. */
async function records(n: number): Promise<DatasetRecord[]> {
  const file = new URL('../../../test/fixtures/u16-4band-deflate-p2-meta-utm50.tif', import.meta.url).pathname;
  const source = new FileSource(file);
  const { header } = await readHeader(source);
  await source.close?.();
  return Array.from({ length: n }, (_, i) => ({
    keys: keysOf(i), location: `oss://bucket/cogs/${keysOf(i).join('/')}.tif`, etag: `"${i.toString(16).padStart(32, '0')}"`, size: header.size,
    metadata: {
      bounds: [117 + i / 1e4, 30, 118, 31], footprint: { type: 'Polygon', coordinates: [[[117, 30], [118, 30], [118, 31], [117, 31], [117, 30]]] },
      validPercent: 97.5, min: 0, max: 10000 + i, mean: 1234.5678 + i, stdev: 321.09, percentiles: Array.from({ length: 99 }, (_, p) => 100 + p * 12.3456789 + i),
      statsLevel: 2, exact: false, extra: { title: `scene ${i}`, cloud: (i % 100) / 3 },
    },
    header: { ...header },
  }));
}

/** A range server with per-response delay and bandwidth, counting requests and bytes. */
export class Link {
  requests = 0;
  bytes = 0;
  #server?: Server;
  url = '';
  constructor(readonly body: Buffer, readonly etag: string, public delayMs = 0, public bytesPerMs = Infinity) {}
  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      this.requests++;
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      const start = m ? Number(m[1]) : 0, end = m ? Math.min(Number(m[2]), this.body.length - 1) : this.body.length - 1;
      const part = req.method === 'HEAD' ? Buffer.alloc(0) : this.body.subarray(start, end + 1);
      this.bytes += part.length;
      const headers = { etag: this.etag, 'content-length': end - start + 1, ...(m ? { 'content-range': `bytes ${start}-${end}/${this.body.length}` } : {}) };
      setTimeout(() => res.writeHead(m ? 206 : 200, headers).end(part), this.delayMs + part.length / this.bytesPerMs);
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/catalog.sqlite`;
  }
  reset(): void {
    this.requests = 0;
    this.bytes = 0;
  }
  stop(): Promise<void> {
    this.#server?.closeAllConnections();
    return new Promise((r) => this.#server?.close(() => r()) ?? r());
  }
}

/** Median of `runs` cold lookups (a new catalog each: a new process's first one). */
async function coldRanges(link: Link, n: number, runs: number) {
  const out: { ms: number; requests: number; bytes: number }[] = [];
  for (let r = 0; r < runs; r++) {
    link.reset();
    const c = await openCatalog(link.url, { cache: false });
    const t0 = performance.now();
    const found = await c.lookup(keysOf((r * 7919) % n));
    if (!found.record) throw new Error('lookup missed');
    out.push({ ms: performance.now() - t0, requests: link.requests, bytes: link.bytes });
    await c.close();
  }
  return median(out);
}

/** The alternative: GET the whole file, write it to /tmp, open it with the SQLite store, look up. */
async function coldWhole(link: Link, n: number, runs: number, dir: string) {
  const out: { ms: number; requests: number; bytes: number }[] = [];
  for (let r = 0; r < runs; r++) {
    link.reset();
    const t0 = performance.now();
    const body = Buffer.from(await (await fetch(link.url)).arrayBuffer());
    const path = join(dir, `whole-${r}.sqlite`);
    await writeFile(path, body);
    const c = await openCatalog(`sqlite:${path}?mode=ro`, { cache: false });
    if (!(await c.lookup(keysOf((r * 7919) % n))).record) throw new Error('lookup missed');
    out.push({ ms: performance.now() - t0, requests: link.requests, bytes: link.bytes });
    await c.close();
    await rm(path);
  }
  return median(out);
}

function median<T extends { ms: number }>(xs: T[]): T {
  return [...xs].sort((a, b) => a.ms - b.ms)[Math.floor(xs.length / 2)];
}

async function lookupMicros(catalog: Catalog, keys: string[], runs: number): Promise<number> {
  await catalog.get(keys);
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await catalog.get(keys);
  return Math.round(((performance.now() - t0) / runs) * 1000);
}

export async function benchCatalogs(n = Number(process.env.TAOGUAN_BENCH_DATASETS ?? 10_000)): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'taoguan-bench-catalogs-'));
  const out: Record<string, unknown> = { datasets: n };
  try {
    const all = await records(n);
    const source = { uri: 'bench', keys: async () => KEYS, async *records() { yield* all; } } as unknown as Catalog;
    const file = join(dir, 'catalog.sqlite');
    const t0 = performance.now();
    const published = await publishCatalog(source, file);
    out.publish = { bytes: published.bytes, seconds: +((performance.now() - t0) / 1000).toFixed(1), pageSize: published.pageSize };
    const link = new Link(await readFile(file), '"bench-1"');
    await link.start();
    try {
      for (const [name, delayMs, mbPerS] of [['loopback', 0, Infinity], ['20ms+50MB/s', 20, 50], ['5ms+100MB/s', 5, 100]] as const) {
        link.delayMs = delayMs;
        link.bytesPerMs = mbPerS === Infinity ? Infinity : (mbPerS * 1e6) / 1000;
        const ranges = await coldRanges(link, n, 9);
        const whole = await coldWhole(link, n, name === 'loopback' ? 5 : 3, dir);
        // where whole wins on this link: one request and the file, against the ranges' requests and bytes
        const crossover = delayMs === 0 ? undefined : Math.round((ranges.requests - 1) * delayMs * link.bytesPerMs + ranges.bytes);
        out[name] = { ranges, whole, wholeWinsBelowBytes: crossover };
      }
    } finally {
      await link.stop();
    }
    // one uncached lookup on each store (loopback servers on this machine)
    const local = await openCatalog(`sqlite:${file}?mode=ro`, { cache: false });
    const keys = keysOf(4242 % n);
    out.lookupSqliteUs = await lookupMicros(local, keys, 500);
    await local.close();
    for (const [name, uri] of [['lookupPostgresUs', 'postgres://postgres@127.0.0.1:5432/test?prefix=bench_'], ['lookupMysqlUs', 'mysql://root@127.0.0.1:3306/test?prefix=bench_']] as const) {
      try {
        const c = await openCatalog(uri, { cache: false });
        await c.create(KEYS).catch(() => undefined);
        await c.put(all[4242 % n]);
        out[name] = await lookupMicros(c, keys, 500);
        await c.close();
      } catch (e) {
        out[name] = `unavailable: ${(e as Error).message}`;
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(JSON.stringify(await benchCatalogs(), null, 2));
