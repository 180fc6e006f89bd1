/**
 * Aliyun Function Compute ⇄ WHATWG Request/Response: the FC 3.0 HTTP-trigger event, API Gateway →
 * FC events, FC 2.0's (req, resp, context) HTTP handler; OSS trigger events → object records; the
 * role's temporary credentials from context.credentials.
 */
import { megabytes, type Provider } from './provider.ts';
import type { S3Credentials } from '../lib/source/index.ts';
import type { ObjectRecord } from '../lib/ingest/index.ts';
import { badEventResponse, buildRequest, serveEvents, encodeBody, headersFrom, queryFrom, singleHeaders, stripPrefix } from './bridge.ts';

type Params = Record<string, string | string[] | undefined>;

/** FC 3.0 HTTP trigger (built-in runtimes). Repeated headers and parameters arrive comma-joined. */
export interface Fc3HttpEvent {
  version: string;
  rawPath: string;
  headers?: Record<string, string>;
  queryParameters?: Params;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext?: { http?: { method?: string } };
}

/** API Gateway with an FC backend ("event" integration). */
export interface ApiGatewayFcEvent {
  path: string;
  httpMethod: string;
  headers?: Record<string, string>;
  queryParameters?: Params;
  pathParameters?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}

export type FcHttpEvent = Fc3HttpEvent | ApiGatewayFcEvent;

/** The answer both FC 3.0 HTTP triggers and API Gateway expect from an event function. */
export interface FcHttpResult {
  statusCode: number;
  headers: Record<string, string>;
  isBase64Encoded: boolean;
  body: string;
}

export interface ToRequestOptions {
  /** A mount point to strip (e.g. an API Gateway path "/tiles" in front of the API's routes). */
  basePath?: string;
}

/** In Node the event is a Buffer of JSON; tests and local invocations may pass a string or object. */
export function parseEvent<T>(event: Buffer | Uint8Array | string | T): T {
  if (typeof event === 'string') return JSON.parse(event) as T;
  if (event instanceof Uint8Array) return JSON.parse(Buffer.from(event).toString('utf8')) as T;
  return event;
}

export function toRequest(input: Buffer | string | FcHttpEvent, options: ToRequestOptions = {}): Request {
  const event = parseEvent<FcHttpEvent>(input);
  const fc3 = typeof (event as Fc3HttpEvent).rawPath === 'string';
  const method = fc3 ? (event as Fc3HttpEvent).requestContext?.http?.method : (event as ApiGatewayFcEvent).httpMethod;
  if (!method) throw new Error('no HTTP method in the event');
  const raw = fc3 ? (event as Fc3HttpEvent).rawPath : (event as ApiGatewayFcEvent).path;
  const { path, stripped } = stripPrefix(raw, options.basePath);
  return buildRequest({
    method, path, query: queryFrom(event.queryParameters), headers: headersFrom(event.headers),
    body: event.body, isBase64Encoded: event.isBase64Encoded, prefix: stripped,
  });
}

export async function fromResponse(response: Response): Promise<FcHttpResult> {
  const { body, isBase64Encoded } = await encodeBody(response);
  return { statusCode: response.status, headers: singleHeaders(response.headers), isBase64Encoded, body };
}

type Api = { fetch(request: Request): Promise<Response> };

/** `handler(event, context)` for an FC 3.0 HTTP trigger or an API Gateway → FC event function. */
export function httpHandler(api: Api, options: ToRequestOptions = {}) {
  return serveEvents<Buffer | string | FcHttpEvent, FcHttpResult>(api, (event) => toRequest(event, options), (response) => fromResponse(response));
}

/** FC 2.0's HTTP request: a readable stream with these fields. */
export interface Fc2Request extends AsyncIterable<Uint8Array | string> {
  method: string;
  path: string;
  queries?: Params;
  headers?: Record<string, string | string[] | undefined>;
  /** Some runtimes and test harnesses hand the body over already read. */
  body?: Buffer | string;
}

export interface Fc2Response {
  setStatusCode(code: number): void;
  setHeader(name: string, value: string): void;
  send(body: Buffer | string): void;
}

/**
 * FC 2.0 `handler(req, resp, context)`. On the default endpoint the path carries
 * /2016-08-15/proxy/<service>/<function>; custom domains do not: both give the API's own path.
 */
export function fc2HttpHandler(api: Api, options: ToRequestOptions = {}) {
  return async (req: Fc2Request, resp: Fc2Response, _context?: unknown): Promise<void> => {
    let response: Response;
    try {
      const proxied = /^\/\d{4}-\d{2}-\d{2}\/proxy\/[^/]+\/[^/]+/.exec(req.path)?.[0];
      const { path, stripped } = stripPrefix(stripPrefix(req.path, proxied).path, options.basePath);
      const single: Record<string, string> = {}, multi: Record<string, string[]> = {};
      for (const [k, v] of Object.entries(req.headers ?? {})) if (Array.isArray(v)) multi[k] = v; else if (v != null) single[k] = v;
      const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
      const body = hasBody ? (req.body ?? (await readAll(req))) : undefined;
      const prefix = [proxied, stripped].filter(Boolean).join('') || undefined;
      response = await api.fetch(buildRequest({ method: req.method, path, query: queryFrom(req.queries), headers: headersFrom(single, multi), body, prefix }));
    } catch (e) {
      response = badEventResponse(e);
    }
    resp.setStatusCode(response.status);
    response.headers.forEach((v, k) => resp.setHeader(k, v));
    resp.send(Buffer.from(await response.arrayBuffer()));
  };
}

async function readAll(stream: AsyncIterable<Uint8Array | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c));
  return Buffer.concat(chunks);
}

export interface OssEvent {
  events?: { eventName?: string; oss?: { bucket?: { name?: string }; object?: { key?: string } }; region?: string }[];
}

/**
 * OSS trigger events → put/delete records. Payload event names have no "oss:" prefix
 * (ObjectCreated:PutObject, ObjectRemoved:DeleteObject), unlike the trigger configuration.
 */
export function ossRecords(input: Buffer | string | OssEvent): ObjectRecord[] {
  const out: ObjectRecord[] = [];
  for (const e of parseEvent<OssEvent>(input).events ?? []) {
    const name = e.eventName?.replace(/^oss:/, '');
    const bucket = e.oss?.bucket?.name, key = e.oss?.object?.key;
    if (!name || !bucket || !key) continue;
    const action = name.startsWith('ObjectCreated:') ? 'put' : name.startsWith('ObjectRemoved:') ? 'delete' : undefined;
    if (action) out.push({ action, location: `oss://${bucket}/${key}` });
  }
  return out;
}

/** The region of the first OSS event (to open the bucket's endpoint when OSS_REGION is unset). */
export function ossRegion(input: Buffer | string | OssEvent): string | undefined {
  return parseEvent<OssEvent>(input).events?.find((e) => e.region)?.region;
}

export interface FcContext {
  credentials?: { accessKeyId?: string; accessKeySecret?: string; securityToken?: string };
}

/** The function role's temporary keys, in the shape openSource takes; undefined without a role. */
export function fcCredentials(context: FcContext | undefined): S3Credentials | undefined {
  const c = context?.credentials;
  if (!c?.accessKeyId || !c.accessKeySecret) return undefined;
  return { accessKeyId: c.accessKeyId, secretAccessKey: c.accessKeySecret, ...(c.securityToken ? { sessionToken: c.securityToken } : {}) };
}

/** Aliyun FC 3.0: HTTP-trigger and API Gateway events, OSS triggers; the role's keys come in each context. */
export const aliyunFc: Provider = {
  id: 'aliyun', title: 'Aliyun Function Compute',
  httpHandler: (api) => httpHandler(api),
  records: ossRecords,
  memoryMb: (context) => megabytes(context?.function?.memory) ?? megabytes(context?.function?.memorySize),
  credentials: fcCredentials,
};
