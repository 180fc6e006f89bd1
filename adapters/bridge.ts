/**
 * What every provider adapter shares: rebuilding a WHATWG Request from the pieces an HTTP event
 * carries, and turning a Response into a string body (plain text, or base64 for anything binary),
 * since every function-compute platform passes HTTP bodies through JSON.
 */

export interface RequestParts {
  method: string;
  /** The path as the client sent it (percent-encoding kept where the event keeps it). */
  path: string;
  /** Already-encoded query string, without the leading "?". */
  query?: string;
  headers?: Headers;
  /** A string (base64 when isBase64Encoded) or bytes already decoded. */
  body?: string | Uint8Array | null;
  isBase64Encoded?: boolean;
  /** A prefix the adapter removed (stage, mount point): sent as X-Forwarded-Prefix for links. */
  prefix?: string;
}

/** Builds the Request; the origin comes from the Host / X-Forwarded-Proto headers the gateway sets. */
export function buildRequest(parts: RequestParts): Request {
  const headers = parts.headers ?? new Headers();
  const host = headers.get('host') ?? 'localhost';
  const proto = headers.get('x-forwarded-proto')?.split(',')[0].trim() || 'https';
  // A decoded path may hold "?" or "#"; they belong to the path here, not to a query or fragment.
  const path = parts.path.startsWith('/') ? parts.path : `/${parts.path}`;
  const url = `${proto}://${host}${path.replace(/[?#]/g, encodeURIComponent)}${parts.query ? `?${parts.query}` : ''}`;
  // Only the adapter says what it stripped: a client's own X-Forwarded-Prefix would poison cached links.
  headers.delete('x-forwarded-prefix');
  if (parts.prefix) headers.set('x-forwarded-prefix', parts.prefix);
  const method = parts.method.toUpperCase();
  // Gateways can say isBase64Encoded: true with an empty body on a GET; a GET or HEAD has no body.
  const raw = method === 'GET' || method === 'HEAD' ? undefined : parts.body;
  const body: BodyInit | undefined = !raw?.length ? undefined
    : typeof raw === 'string' ? (parts.isBase64Encoded ? new Uint8Array(Buffer.from(raw, 'base64')) : raw)
    : new Uint8Array(raw);
  return new Request(url, { method, headers, body });
}

/** Headers from a single-value map, a multi-value map, or both (multi-value wins, as gateways fill both alike). */
export function headersFrom(single?: Record<string, string | undefined> | null, multi?: Record<string, string[] | undefined> | null): Headers {
  const headers = new Headers();
  for (const [k, v] of Object.entries(single ?? {})) if (v != null) trySet(headers, k, [String(v)]);
  for (const [k, v] of Object.entries(multi ?? {})) if (v?.length) trySet(headers, k, v.map(String));
  return headers;
}

function trySet(headers: Headers, name: string, values: string[]): void {
  try {
    headers.delete(name);
    for (const v of values) headers.append(name, v);
  } catch {
    // A header name or value the Fetch spec forbids (non-ASCII, CR/LF): drop it rather than the request.
  }
}

type QueryValue = string | number | boolean | null | undefined | (string | number | boolean)[];

/**
 * A query string from decoded parameters, re-encoded. Arrays repeat the key; `true` (SCF's value for
 * a bare `?flag`) becomes `flag=`; null, undefined and `false` are left out.
 */
export function queryFrom(params?: Record<string, QueryValue> | null): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) {
    for (const item of Array.isArray(v) ? v : [v]) {
      if (item == null || item === false) continue;
      search.append(k, item === true ? '' : String(item));
    }
  }
  return search.toString();
}

/** The path with `prefix` removed when it is a whole leading segment run ("/release/x" → "/x"). */
export function stripPrefix(path: string, prefix: string | undefined): { path: string; stripped?: string } {
  const p = prefix ? `/${prefix.replace(/^\/+|\/+$/g, '')}` : '';
  if (p === '' || p === '/') return { path };
  if (path === p) return { path: '/', stripped: p };
  if (path.startsWith(`${p}/`)) return { path: path.slice(p.length), stripped: p };
  return { path };
}

const TEXT = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i;

/** Text goes as a string; images, gzip-encoded documents and anything unknown go as base64. */
export function isTextResponse(headers: Headers): boolean {
  const encoding = headers.get('content-encoding');
  if (encoding && encoding !== 'identity') return false;
  return TEXT.test(headers.get('content-type') ?? '');
}

export async function encodeBody(response: Response): Promise<{ body: string; isBase64Encoded: boolean }> {
  const bytes = Buffer.from(await response.arrayBuffer());
  if (bytes.length === 0) return { body: '', isBase64Encoded: false };
  if (isTextResponse(response.headers)) return { body: bytes.toString('utf8'), isBase64Encoded: false };
  return { body: bytes.toString('base64'), isBase64Encoded: true };
}

/** Response headers as one value each (Set-Cookie aside: no taoguan route sets cookies). */
export function singleHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((v, k) => {
    if (k !== 'set-cookie') out[k] = v;
  });
  return out;
}

/** The JSON error answer an adapter gives when the event itself cannot become a Request. */
export function badEventResponse(error: unknown): Response {
  const message = `malformed HTTP event: ${(error as Error).message}`;
  return new Response(JSON.stringify({ message }), { status: 400, headers: { 'content-type': 'application/json' } });
}

/**
 * The shape of every provider's HTTP handler: event → Request → api.fetch → provider result. A
 * malformed event is answered with a 400 in the provider's own result shape, never a crash.
 */
export function serveEvents<E, R>(
  api: { fetch(request: Request): Promise<Response> },
  toRequest: (event: E) => Request,
  fromResponse: (response: Response, event: E) => Promise<R>,
): (event: E, _context?: unknown) => Promise<R> {
  return async (event) => {
    let request: Request;
    try {
      request = toRequest(event);
    } catch (e) {
      return fromResponse(badEventResponse(e), event);
    }
    return fromResponse(await api.fetch(request), event);
  };
}
