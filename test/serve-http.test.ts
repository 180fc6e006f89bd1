/**
 * `serve`'s HTTP/1.1 on raw sockets (lib/api/node.ts, what `serve` puts on its port): hostile
 * request lines and Host headers get a 400 in JSON and a log line, never a 500; OPTIONS * and an
 * HTTP/1.0 health check without Host get real answers; pipelined requests of one connection are
 * answered one at a time, and a client that never reads its answers is not read from either.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createApi, createNodeServer, type RequestLog } from '../lib/api/index.ts';
import { openCatalog } from '../lib/catalog/open.ts';
import { AnswerCounter } from './support/pipelining.ts';
import { makeCatalog, Origin } from './api-harness.ts';

type Fetch = { fetch(request: Request): Promise<Response> };

async function listen(api: Fetch, logs: RequestLog[] = []): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const server = createNodeServer(api, { logger: (l) => logs.push(l) });
  const sockets: Socket[] = [];
  server.on('connection', (s: Socket) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, sockets };
}

const close = (server: Server) => new Promise<void>((r) => {
  server.closeAllConnections();
  server.close(() => r());
});

/** Write raw bytes, half-close, and collect everything the server sends until it closes. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    socket.on('data', (d) => (got += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(got));
    socket.write(text);
    setTimeout(() => socket.end(), 300);
  });
}

const status = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
const body = (answer: string) => answer.slice(answer.indexOf('\r\n\r\n') + 4);

describe('HTTP on a raw socket', () => {
  const origin = new Origin();
  let fixture: Awaited<ReturnType<typeof makeCatalog>>;
  let catalog: Awaited<ReturnType<typeof openCatalog>>;
  let server: Server, port = 0;
  const logs: RequestLog[] = [];

  before(async () => {
    await origin.start();
    fixture = await makeCatalog(origin);
    catalog = await openCatalog(fixture.uri);
    ({ server, port } = await listen(createApi({ catalog }), logs));
  });
  after(async () => {
    await close(server);
    await catalog.close();
    await fixture.close();
    await origin.stop();
  });

  const BAD: [string, string, RegExp][] = [
    ['GET *', 'GET * HTTP/1.1\r\nHost: tiles.example.cn\r\n\r\n', /"\*" is for OPTIONS only/],
    ['HTTP/1.1 without Host', 'GET /keys HTTP/1.1\r\n\r\n', /Host: the header is required/],
    ['Host with |', 'GET /keys HTTP/1.1\r\nHost: a|b\r\n\r\n', /Host: "a\|b" is not a host/],
    ['Host with <', 'GET /keys HTTP/1.1\r\nHost: <script>\r\n\r\n', /Host: "<script>" is not a host/],
    ['Host with a space', 'GET /keys HTTP/1.1\r\nHost: a b\r\n\r\n', /Host: "a b" is not a host/],
    ['Host with @', 'GET /keys HTTP/1.1\r\nHost: user@evil.example\r\n\r\n', /Host: "user@evil.example" is not a host/],
    ['Host with %zz', 'GET /keys HTTP/1.1\r\nHost: a%zz\r\n\r\n', /Host: "a%zz" is not a host/],
    ['empty Host', 'GET /keys HTTP/1.1\r\nHost: \r\n\r\n', /Host: "" is not a host/],
    ['a Host URLs rewrite', 'GET /keys HTTP/1.1\r\nHost: 1.2.3\r\n\r\n', /Host: "1.2.3" is not a valid host/],
    ['backslash in the path', 'GET /singleband\\..\\keys HTTP/1.1\r\nHost: a\r\n\r\n', /path: a backslash is not allowed/],
    ['not a request line', 'HELLO THERE\r\n\r\n', /request: malformed \(HPE_INVALID_METHOD\)/],
    ['a target that is not a path', 'GET keys HTTP/1.1\r\nHost: a\r\n\r\n', /request: malformed/],
  ];
  for (const [name, request, message] of BAD) {
    it(`${name}: 400 in JSON, and a log line`, async () => {
      const before = logs.length;
      const answer = await raw(port, request);
      assert.equal(status(answer), 400, answer);
      assert.match(answer, /content-type: application\/json/i);
      assert.match((JSON.parse(body(answer)) as { message: string }).message, message);
      const line = logs.slice(before).find((l) => l.status === 400);
      assert.ok(line, 'logged');
      assert.match(line.error ?? '', message);
    });
  }

  it('headers over 16 KiB: 431 in JSON, logged', async () => {
    const answer = await raw(port, `GET /keys HTTP/1.1\r\nHost: a\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`);
    assert.equal(status(answer), 431);
    assert.match(body(answer), /"headers: larger than 16 KiB"/);
    assert.equal(logs.at(-1)?.status, 431);
  });

  it('OPTIONS *: 204 with the methods the server has', async () => {
    const answer = await raw(port, 'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal(status(answer), 204);
    assert.match(answer, /\r\nallow: GET, HEAD, POST, OPTIONS\r\n/i);
    assert.equal(logs.at(-1)?.path, '*');
  });

  it('HTTP/1.0 without Host (a load balancer\'s health check): /healthz and /keys answer 200', async () => {
    const health = await raw(port, 'GET /healthz HTTP/1.0\r\n\r\n');
    assert.equal(status(health), 200, health);
    const h = JSON.parse(body(health)) as { status: string; version: string };
    assert.equal(h.status, 'ok');
    assert.match(h.version, /^\d+\.\d+\.\d+/);
    const keys = await raw(port, 'GET /keys HTTP/1.0\r\n\r\n');
    assert.equal(status(keys), 200);
    assert.match(body(keys), /"key":"sensor"/);
  });

  it('an absolute-form target and a bracketed IPv6 Host are fine', async () => {
    assert.equal(status(await raw(port, 'GET http://tiles.example.cn/keys HTTP/1.1\r\nHost: tiles.example.cn\r\n\r\n')), 200);
    assert.equal(status(await raw(port, 'GET /keys HTTP/1.1\r\nHost: [::1]:5000\r\n\r\n')), 200);
  });
});

describe('pipelining', () => {
  it('one request of a connection at a time, answered in order', async () => {
    let active = 0, most = 0;
    const api: Fetch = {
      fetch: async (request) => {
        most = Math.max(most, ++active);
        await new Promise((r) => setTimeout(r, 5));
        active--;
        return new Response(new URL(request.url).pathname, { headers: { 'content-type': 'text/plain' } });
      },
    };
    const { server, port } = await listen(api);
    try {
      const requests = Array.from({ length: 50 }, (_, i) => `GET /r${i} HTTP/1.1\r\nHost: a\r\n${i === 49 ? 'Connection: close\r\n' : ''}\r\n`).join('');
      const answer = await raw(port, requests);
      const bodies = [...answer.matchAll(/HTTP\/1\.1 200 OK\r\n[\s\S]*?\r\n\r\n(\/r\d+)/g)].map((m) => m[1]);
      assert.deepEqual(bodies, Array.from({ length: 50 }, (_, i) => `/r${i}`));
      assert.equal(most, 1, 'never two at once');
    } finally {
      await close(server);
    }
  });

  it('a client that never reads: answers stop with the socket\'s buffers full, and all come once it reads', async () => {
    let calls = 0;
    const big = new Uint8Array(1 << 20);
    const api: Fetch = { fetch: async () => (calls++, new Response(big, { headers: { 'content-type': 'application/octet-stream' } })) };
    const { server, port } = await listen(api);
    try {
      const socket = connect(port, '127.0.0.1');
      socket.pause();
      socket.write(Array.from({ length: 200 }, () => 'GET /x HTTP/1.1\r\nHost: a\r\n\r\n').join(''));
      await new Promise((r) => setTimeout(r, 1500));
      // the kernel's buffers hold a few answers; the 200 answers (200 MiB) were never made
      assert.ok(calls < 40, `${calls} answers made for a client that reads none`);
      const counter = new AnswerCounter();
      const all = new Promise<void>((resolve) => socket.on('data', (d: Buffer) => {
        counter.push(d);
        if (counter.answers === 200) resolve();
      }));
      socket.resume();
      await all;
      assert.deepEqual(counter.statuses, { 200: 200 });
      socket.destroy();
    } finally {
      await close(server);
    }
  });

  it('a client that pipelines without end is read no further ahead than one read of requests', async () => {
    let started = 0;
    const api: Fetch = { fetch: async () => (started++, new Response('ok')) };
    const { server, port, sockets } = await listen(api);
    try {
      const request = 'GET /x HTTP/1.1\r\nHost: a\r\n\r\n';
      const client = connect(port, '127.0.0.1');
      client.on('data', () => undefined);
      let ahead = 0;
      const sample = setInterval(() => {
        const read = sockets[0]?.bytesRead ?? 0;
        ahead = Math.max(ahead, read / request.length - started);
      }, 1);
      // 4 MiB of requests, as fast as the socket takes them
      for (let sent = 0; sent < 4 << 20; sent += 64 * 1024) {
        if (!client.write(request.repeat(Math.floor((64 * 1024) / request.length)))) await new Promise((r) => client.once('drain', r));
      }
      await new Promise((r) => setTimeout(r, 200));
      clearInterval(sample);
      client.destroy();
      // parsed but not yet started: at most a read or two of 64 KiB (2,400 requests), not megabytes
      assert.ok(ahead < 6000, `${Math.round(ahead)} requests read ahead of the one being answered`);
      assert.ok(started > 10_000, `${started} answered`);
    } finally {
      await close(server);
    }
  });
});
