/**
 * A fetch for http(s) sources that refuses to connect to internal addresses. The check runs in the
 * socket's own DNS lookup, on the addresses it then connects to, so a name that resolves to a public
 * address when asked once and to 169.254.169.254 when connected (DNS rebinding) is still refused;
 * and on every redirect hop, so a public URL cannot bounce the request inside. Built on node:http
 * because the global fetch offers no hook on the addresses it connects to.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { checkHostname, isPrivateAddress, LocationRefusedError, privateAllowed, type AllowPrivate } from './address.ts';

export interface GuardOptions {
  /** Let requests reach internal addresses: true for any host, or the hosts listed (an intranet store). */
  allowPrivate?: AllowPrivate;
  /** Resolves host names (default node:dns lookup); tests inject a resolver that lies. */
  lookup?: (hostname: string, options: LookupOptions & { all: true }, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

function guardedLookup(guard: GuardOptions): LookupFunction {
  const resolve = guard.lookup ?? ((host, options, cb) => dnsLookup(host, options, cb));
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      const cb = callback as (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
      if (err) return cb(err, []);
      const internal = privateAllowed(hostname, guard.allowPrivate) ? undefined : addresses.find((a) => isPrivateAddress(a.address));
      if (internal) return cb(new LocationRefusedError(`${hostname} resolves to ${internal.address}, an internal address; refused (TAOGUAN_ALLOW_PRIVATE_HOSTS=1 allows it)`), []);
      if (addresses.length === 0) return cb(Object.assign(new Error(`${hostname}: no addresses`), { code: 'ENOTFOUND' }), []);
      if ((options as LookupOptions).all) return cb(null, addresses);
      cb(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** A fetch (the subset HttpSource uses: method, headers, signal, redirects) with the address guard. */
export function guardedFetch(guard: GuardOptions = {}): typeof fetch {
  const lookup = guardedLookup(guard);
  // Keep-alive pools of checked connections; idle sockets do not hold the process open.
  const agents = { 'http:': new HttpAgent({ keepAlive: true, lookup }), 'https:': new HttpsAgent({ keepAlive: true, lookup }) };
  const once = (url: URL, init: RequestInit): Promise<Response> => {
    // An IP literal is connected to without a lookup: check it here.
    checkHostname(url.hostname, guard);
    const request = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined;
    if (!request) throw new LocationRefusedError(`${url.protocol}//…: only http and https are fetched`);
    const method = init.method ?? 'GET';
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => (headers[k] = v));
    return new Promise((resolve, reject) => {
      const req = request(url, { method, headers, agent: agents[url.protocol as 'http:'], signal: init.signal ?? undefined }, (res: IncomingMessage) => {
        const out = new Headers();
        for (const [k, v] of Object.entries(res.headers)) for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) out.append(k, one);
        const empty = method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304;
        if (empty) res.resume();
        const body = empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
        resolve(new Response(body, { status: res.statusCode, statusText: res.statusMessage, headers: out }));
      });
      req.on('error', reject);
      req.end();
    });
  };
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    let url = new URL(input instanceof Request ? input.url : String(input));
    for (let hop = 0; ; hop++) {
      const res = await once(url, init);
      const location = res.headers.get('location');
      if (!REDIRECTS.has(res.status) || !location || init.redirect === 'manual') return res;
      await res.body?.cancel();
      if (hop >= MAX_REDIRECTS) throw new TypeError(`${url.origin}${url.pathname}: more than ${MAX_REDIRECTS} redirects`);
      const next = new URL(location, url);
      // As fetch does: credentials are for the origin they were given for.
      if (next.origin !== url.origin) {
        const headers = new Headers(init.headers);
        for (const h of ['authorization', 'cookie', 'proxy-authorization']) headers.delete(h);
        init = { ...init, headers };
      }
      url = next;
    }
  }) as typeof fetch;
}
