/** corsMiddleware on its own: the headers land on whatever response the route gives, preflights answer 204. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hono } from 'hono';
import { corsMiddleware } from '../lib/api/cors.ts';

function app(allow: '*' | string[]): Hono {
  const a = new Hono();
  a.use('*', corsMiddleware(allow));
  a.get('/bytes', () => new Response(new Uint8Array([1, 2, 3]), { headers: { 'content-type': 'application/octet-stream' } }));
  // headers of a Response.redirect are immutable: the middleware must not throw on them
  a.get('/moved', () => Response.redirect('https://example.com/elsewhere', 302));
  return a;
}

describe('CORS middleware', () => {
  it('adds its headers to a route response as it is, body and headers kept', async () => {
    const res = await app('*').fetch(new Request('http://h/bytes', { headers: { origin: 'https://map.example' } }));
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('access-control-expose-headers'), 'ETag,Content-Length');
    assert.equal(res.headers.get('content-type'), 'application/octet-stream');
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), new Uint8Array([1, 2, 3]));
  });

  it('copes with a response whose headers cannot change', async () => {
    const res = await app(['https://ok.example']).fetch(new Request('http://h/moved', { headers: { origin: 'https://ok.example' } }));
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), 'https://example.com/elsewhere');
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://ok.example');
    assert.equal(res.headers.get('vary'), 'Origin');
  });

  it('answers a preflight with 204 and the allowed methods and headers; an unlisted origin gets no allow-origin', async () => {
    const pre = await app(['https://ok.example']).fetch(new Request('http://h/bytes', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } }));
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), null);
    assert.equal(pre.headers.get('access-control-allow-methods'), 'GET,HEAD,POST,OPTIONS');
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /X-Api-Key/);
    assert.equal(pre.headers.get('access-control-max-age'), '86400');
    assert.equal(pre.headers.get('vary'), 'Origin, Access-Control-Request-Headers');
  });
});
