/**
 * What node:http lets through that a WHATWG Request cannot hold, answered before the API sees it:
 * the `*` target (OPTIONS * is a question about the server: 204 with Allow), a target that is
 * neither a path nor an absolute http(s) URL, a backslash in the path, and a Host that is not a host
 * name or address with an optional port (`|`, `<`, spaces, `@`, `%zz`, empty). HTTP/1.0 requests
 * need no Host (load balancers' health checks send none): they get the address they arrived at.
 * HTTP/1.1 without Host is a 400 (RFC 9112 §3.2).
 */
import type { IncomingMessage } from 'node:http';

export interface Refusal {
  status: number;
  /** Why, for the client's `{"message": …}` and the log line; empty for a 204. */
  message: string;
  headers?: Record<string, string>;
}

/** Every method the API has a route for; OPTIONS * answers with these. */
export const SERVER_METHODS = 'GET, HEAD, POST, OPTIONS';

/** RFC 3986 host (a name, IPv4, or a bracketed IPv6 literal) and optional port, minus what URLs reinterpret (%, @, …). */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::\d{0,5})?$/;

const clip = (s: string, n = 100): string => (s.length > n ? `${s.slice(0, n)}…` : s);
const bad = (message: string): Refusal => ({ status: 400, message });

/** The answer for a request the API cannot be asked, or undefined when it can. */
export function refusal(req: IncomingMessage): Refusal | undefined {
  const target = req.url ?? '';
  const method = req.method ?? '';
  if (target === '*') {
    if (method === 'OPTIONS') return { status: 204, message: '', headers: { allow: SERVER_METHODS } };
    return bad(`request target: "*" is for OPTIONS only, not ${clip(method, 20)}`);
  }
  const absolute = /^https?:\/\//i.test(target);
  if (!target.startsWith('/') && !absolute) return bad(`request target: expected a path starting with "/", got ${JSON.stringify(clip(target))}`);
  const query = target.search(/[?#]/);
  if ((query < 0 ? target : target.slice(0, query)).includes('\\')) return bad('path: a backslash is not allowed in a path (use "/")');
  if (absolute) return URL.canParse(target) ? undefined : bad(`request target: ${JSON.stringify(clip(target))} is not a URL`);
  const host = req.headers.host;
  if (host === undefined) return req.httpVersion === '1.0' ? undefined : bad('Host: the header is required');
  if (!HOST.test(host)) return bad(`Host: ${JSON.stringify(clip(host))} is not a host name or address with an optional port`);
  // What the WHATWG URL will make of it must still be the same host (e.g. 1.2.3 would become 1.2.0.3).
  const name = URL.canParse(`http://${host}/`) ? new URL(`http://${host}/`).hostname : undefined;
  if (name === undefined || name.toLowerCase() !== host.replace(/:\d*$/, '').toLowerCase()) return bad(`Host: ${JSON.stringify(clip(host))} is not a valid host`);
  return undefined;
}

/** The Host an HTTP/1.0 request without one is given: the address and port it reached. */
export function localHost(req: IncomingMessage): string {
  const { localAddress = '127.0.0.1', localPort } = req.socket;
  const address = localAddress.startsWith('::ffff:') ? localAddress.slice(7) : localAddress;
  return `${address.includes(':') ? `[${address}]` : address}${localPort ? `:${localPort}` : ''}`;
}
