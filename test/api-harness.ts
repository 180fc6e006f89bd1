/**
 * What the API tests share: a local HTTP origin serving fixture COGs by byte ranges and recording
 * every request; a SQLite catalog in a temp dir ingested from that origin; a catalog spy counting
 * store queries; and the API on a real socket through toNodeHandler.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApi, toNodeHandler, type Api, type ApiOptions, type RequestLog } from '../lib/api/index.ts';
import { CachedCatalog } from '../lib/catalog/cache.ts';
import type { Catalog, DatasetRecord, DatasetSummary, KeySpec, ListQuery, Lookup, SelectQuery } from '../lib/catalog/catalog.ts';
import { openCatalog } from '../lib/catalog/open.ts';
import { ingestObject } from '../lib/ingest/index.ts';
import { fixturePath } from './helpers.ts';

export interface OriginRequest { method: string; path: string; range?: [number, number] }

/** A range-serving origin: ETag per object, If-Match → 412, every request recorded. */
export class Origin {
  readonly requests: OriginRequest[] = [];
  readonly objects = new Map<string, { bytes: Buffer; etag: string }>();
  /** Paths answered with this status instead (to simulate a failing origin). */
  readonly failing = new Map<string, number>();
  /** While set, every request is answered only once it settles (renders stay in flight meanwhile). */
  gate?: Promise<void>;
  #server?: Server;
  url = '';

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      this.requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', range: m ? [Number(m[1]), Number(m[2])] : undefined });
      if (this.gate) void this.gate.then(() => this.#answer(req, res, m));
      else this.#answer(req, res, m);
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  #answer(req: IncomingMessage, res: ServerResponse, m: RegExpExecArray | null): void {
    const path = req.url ?? '/';
    const failing = this.failing.get(path);
    if (failing) { res.writeHead(failing).end(); return; }
    const obj = this.objects.get(path);
    if (!obj) { res.writeHead(404).end(); return; }
    const { bytes, etag } = obj;
    if (req.headers['if-match'] && req.headers['if-match'] !== etag) { res.writeHead(412, { etag }).end(); return; }
    if (!m) { res.writeHead(200, { 'content-length': bytes.length, etag }).end(req.method === 'HEAD' ? undefined : bytes); return; }
    const start = Number(m[1]), end = Math.min(Number(m[2]), bytes.length - 1);
    res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${bytes.length}`, 'content-length': end - start + 1, etag });
    res.end(bytes.subarray(start, end + 1));
  }

  async put(path: string, fixture: string, etag = `"${path}-v1"`): Promise<string> {
    this.objects.set(path, { bytes: await readFile(fixturePath(fixture)), etag });
    return `${this.url}${path}`;
  }

  reset(): void {
    this.requests.length = 0;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((r) => this.#server?.close(() => r()) ?? r());
  }
}

/** Counts the queries that reach the store (wrap it, then put the CachedCatalog around the spy). */
export class SpyCatalog implements Catalog {
  queries = 0;
  constructor(readonly inner: Catalog) {}
  get uri(): string { return this.inner.uri; }
  create(keys: KeySpec[]): Promise<void> { return this.inner.create(keys); }
  keys(): Promise<KeySpec[]> { this.queries++; return this.inner.keys(); }
  put(record: DatasetRecord) { return this.inner.put(record); }
  get(keys: string[]): Promise<DatasetRecord | undefined> { this.queries++; return this.inner.get(keys); }
  lookup(values: string[]): Promise<Lookup> { this.queries++; return this.inner.lookup(values); }
  delete(keys: string[]) { return this.inner.delete(keys); }
  list(query?: ListQuery): Promise<DatasetSummary[]> { this.queries++; return this.inner.list(query); }
  count(where?: ListQuery['where']) { this.queries++; return this.inner.count(where); }
  info() { return this.inner.info(); }
  get select() { const s = this.inner.select; return s && ((q: SelectQuery) => { this.queries++; return s.call(this.inner, q); }); }
  get members() { const m = this.inner.members; return m && ((w?: SelectQuery['where']) => { this.queries++; return m.call(this.inner, w); }); }
  migrate() { return this.inner.migrate(); }
  close() { return this.inner.close(); }
}

export const DATASETS: { keys: string[]; path: string; fixture: string }[] = [
  { keys: ['S2', '2024-01-15', 'B04'], path: '/s2/B04.tif', fixture: 'u16-4band-deflate-p2-meta-utm50.tif' },
  { keys: ['S2', '2024-01-15', 'B08'], path: '/s2/B08.tif', fixture: 'u16-zstd-bigtiff-utm50.tif' },
  { keys: ['S2', '2024-01-15', 'B02'], path: '/s2/B02.tif', fixture: 'u16-4band-deflate-p2-meta-utm50.tif' },
  { keys: ['L8', '2023-06-01', 'B04'], path: '/l8/B04.tif', fixture: 'u8-deflate-mask-4326.tif' },
  { keys: ['DEM', '2000', 'h'], path: '/dem/h.tif', fixture: 'f32-deflate-p3-nan-4490.tif' },
];

/** A temp dir with a SQLite catalog (keys sensor, date, band) ingested from the origin. */
export async function makeCatalog(origin: Origin): Promise<{ dir: string; uri: string; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'taoguan-api-'));
  const uri = `sqlite:${join(dir, 'catalog.db')}`;
  const catalog = await openCatalog(uri);
  await catalog.create([{ name: 'sensor', description: 'satellite or source' }, { name: 'date' }, { name: 'band' }]);
  for (const d of DATASETS) await ingestObject(catalog, await origin.put(d.path, d.fixture), d.keys);
  await catalog.close();
  return { dir, uri, close: () => rm(dir, { recursive: true, force: true }) };
}

/** A fresh API process-equivalent: new store instance, spy, cache and createApi, on a real socket. */
export async function startApi(uri: string, options: Partial<ApiOptions> = {}): Promise<{
  url: string; spy: SpyCatalog; logs: RequestLog[]; stop: () => Promise<void>;
}> {
  const spy = new SpyCatalog(await openCatalog(uri, { cache: false }));
  const logs: RequestLog[] = [];
  const api = createApi({ catalog: new CachedCatalog(spy), logger: (l) => logs.push(l), ...options });
  const server = createServer(toNodeHandler(api));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url, spy, logs,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await spy.close();
    },
  };
}

/** The tile the adapter tests send through each provider's events, and its query. */
export const TILE = '/singleband/DEM/2000/h/0/0/0.png';
export const QUERY = { colormap: 'viridis', stretch_range: '[0,1000]' };

/**
 * What the adapter tests share: an origin, its catalog, createApi over it, and `direct`, the PNG of
 * TILE?QUERY fetched from the API itself (what every adapter must hand back byte for byte).
 */
export async function startAdapterWorld(): Promise<{ api: Api; catalog: Catalog; direct: Buffer; stop: () => Promise<void> }> {
  const origin = new Origin();
  await origin.start();
  const fixture = await makeCatalog(origin);
  const catalog = await openCatalog(fixture.uri);
  const api = createApi({ catalog });
  const res = await api.fetch(new Request(`http://localhost${TILE}?${new URLSearchParams(QUERY)}`));
  if (res.status !== 200) throw new Error(`direct fetch of ${TILE}: ${res.status} ${await res.text()}`);
  const direct = Buffer.from(await res.arrayBuffer());
  return {
    api, catalog, direct,
    stop: async () => {
      await catalog.close();
      await fixture.close();
      await origin.stop();
    },
  };
}

/** Width and height from a PNG's IHDR. */
export function pngSize(bytes: Uint8Array): [number, number] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return [v.getUint32(16), v.getUint32(20)];
}

/** The XYZ tile holding a WGS84 point at zoom z. */
export function tileAt(lon: number, lat: number, z: number): [number, number] {
  const n = 2 ** z, r = (lat * Math.PI) / 180;
  return [Math.floor(((lon + 180) / 360) * n), Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n)];
}

/** "z/x/y" of the tile at the centre of WGS84 bounds [w, s, e, n]. */
export function centreTile(bounds: number[], z = 12): string {
  const [x, y] = tileAt((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, z);
  return `${z}/${x}/${y}`;
}
