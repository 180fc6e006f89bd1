/**
 * A fault-injecting HTTP origin for the fault tests: node:http on a real loopback socket, serving
 * fixture COGs with Range support, ETags and If-Match, and misbehaving on purpose. Range reads (the
 * tile path) take the next fault from a script, or the standing fault when the script is empty;
 * HEAD and un-ranged GETs are always served cleanly (ingest happens with an empty script).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fixturePath } from './helpers.ts';

export type Fault =
  | { kind: 'status'; status: number }
  /** 206 headers and half the body, then a TCP reset. */
  | { kind: 'reset' }
  /** 206 announcing the full length, half the body, then a clean close (FIN): a short body. */
  | { kind: 'cut' }
  /** 206 whose Content-Length (and body) is half the range its Content-Range names. */
  | { kind: 'short' }
  /** 206 with the bytes and Content-Range of a range one byte later than asked. */
  | { kind: 'wrong-range' }
  /** 200 with the whole object, as an origin that ignores Range does. */
  | { kind: 'whole' }
  /** Answer correctly, but only after `ms` (past the client's timeout, or not). */
  | { kind: 'delay'; ms: number };

export interface OriginHit {
  method: string;
  path: string;
  range?: [number, number];
  /** The fault applied, if any. */
  fault?: Fault['kind'];
}

export class FaultOrigin {
  readonly hits: OriginHit[] = [];
  readonly objects = new Map<string, { bytes: Buffer; etag: string }>();
  /** Faults for the next range reads, one each, in order. */
  readonly script: Fault[] = [];
  /** The fault for every range read once the script is empty (a persistent failure). */
  standing?: Fault;
  #server?: Server;
  #sockets = new Set<Socket>();
  #timers = new Set<NodeJS.Timeout>();
  url = '';

  async start(): Promise<void> {
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Serve a fixture at `path`; returns its URL. */
  async put(path: string, fixture: string, etag = `"${path}-v1"`): Promise<string> {
    this.objects.set(path, { bytes: await readFile(fixturePath(fixture)), etag });
    return `${this.url}${path}`;
  }

  /** Range reads recorded since the last reset (what tiles cost at the origin). */
  get rangeReads(): OriginHit[] {
    return this.hits.filter((h) => h.range);
  }

  /** Forget the hits, the script and the standing fault. */
  reset(): void {
    this.hits.length = 0;
    this.script.length = 0;
    this.standing = undefined;
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => this.#server?.close(() => r()) ?? r());
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '/';
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    const hit: OriginHit = { method: req.method ?? 'GET', path, range: m ? [Number(m[1]), Number(m[2])] : undefined };
    this.hits.push(hit);
    const obj = this.objects.get(path);
    if (!obj) return void res.writeHead(404).end();
    const { bytes, etag } = obj;
    if (req.headers['if-match'] && req.headers['if-match'] !== etag) return void res.writeHead(412, { etag }).end();
    if (!m) {
      res.writeHead(200, { 'content-length': bytes.length, etag });
      return void res.end(req.method === 'HEAD' ? undefined : bytes);
    }
    const start = Number(m[1]), end = Math.min(Number(m[2]), bytes.length - 1);
    const fault = this.script.shift() ?? this.standing;
    hit.fault = fault?.kind;
    const range = (a: number, b: number) => ({ 'content-range': `bytes ${a}-${b}/${bytes.length}`, etag });
    const body = bytes.subarray(start, end + 1);
    switch (fault?.kind) {
      case undefined:
        res.writeHead(206, { ...range(start, end), 'content-length': body.length });
        return void res.end(body);
      case 'status':
        return void res.writeHead(fault.status, { 'content-length': 0 }).end();
      case 'reset':
        res.writeHead(206, { ...range(start, end), 'content-length': body.length });
        // Flush the headers and half the body, then RST: the client sees the connection die mid-body.
        res.write(body.subarray(0, body.length >> 1), () => res.socket?.resetAndDestroy());
        return;
      case 'cut':
        res.writeHead(206, { ...range(start, end), 'content-length': body.length });
        res.write(body.subarray(0, body.length >> 1), () => res.socket?.end());
        return;
      case 'short': {
        const half = body.subarray(0, body.length >> 1);
        res.writeHead(206, { ...range(start, end), 'content-length': half.length });
        return void res.end(half);
      }
      case 'wrong-range': {
        const s = Math.min(start + 1, bytes.length - 1), e = Math.min(end + 1, bytes.length - 1);
        const shifted = bytes.subarray(s, e + 1);
        res.writeHead(206, { ...range(s, e), 'content-length': shifted.length });
        return void res.end(shifted);
      }
      case 'whole':
        res.writeHead(200, { 'content-length': bytes.length, etag });
        return void res.end(bytes);
      case 'delay': {
        const t = setTimeout(() => {
          this.#timers.delete(t);
          if (res.destroyed || res.socket?.destroyed) return;
          res.writeHead(206, { ...range(start, end), 'content-length': body.length });
          res.end(body);
        }, fault.ms);
        this.#timers.add(t);
        return;
      }
    }
  }
}
