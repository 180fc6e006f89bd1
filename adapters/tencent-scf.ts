/**
 * Tencent Cloud SCF ⇄ WHATWG Request/Response: the API Gateway trigger event (integration request)
 * and the integration response; COS trigger events → object records; the bound role's temporary
 * keys from the environment.
 */
import { megabytes, type Provider } from './provider.ts';
import type { S3Credentials } from '../lib/source/index.ts';
import type { ObjectRecord } from '../lib/ingest/index.ts';
import { buildRequest, serveEvents, encodeBody, headersFrom, queryFrom, singleHeaders, stripPrefix } from './bridge.ts';

type QueryValue = string | boolean | (string | boolean)[];

export interface ScfApiGatewayEvent {
  /** `path` is the API's configured path ("/tiles" or "/test/{path}"), `stage` e.g. "release". */
  requestContext?: { path?: string; stage?: string; serviceId?: string; httpMethod?: string };
  /** The request path, starting with the API's configured path. */
  path: string;
  httpMethod: string;
  headers?: Record<string, string | undefined>;
  /** Every query parameter: an array for a repeated key, `true` for a key without "=". */
  queryString?: Record<string, QueryValue | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  pathParameters?: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  headerParameters?: Record<string, string>;
}

/** The integration response (API Gateway's "集成响应"). */
export interface ScfHttpResult {
  isBase64Encoded: boolean;
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface ToRequestOptions {
  /** Strip the API's configured path (default true), so an API at "/tiles" serves "/tiles/keys" as "/keys". */
  stripApiPath?: boolean;
  /** A further mount point to strip. */
  basePath?: string;
}

export function toRequest(event: ScfApiGatewayEvent, options: ToRequestOptions = {}): Request {
  const ctx = event.requestContext ?? {};
  // The default domain's URL has /<stage> first; the event path normally does not, but strip it if so.
  let { path, stripped = '' } = stripPrefix(event.path, ctx.stage);
  if (options.stripApiPath !== false && ctx.path) {
    // Only the literal part of the configured path: "/test/{path}" → "/test".
    const literal = ctx.path.split('{')[0].replace(/\/+$/, '');
    const s = stripPrefix(path, literal);
    path = s.path;
    stripped += s.stripped ?? '';
  }
  const b = stripPrefix(path, options.basePath);
  // queryString has every parameter; queryStringParameters only those declared on the API.
  const query = queryFrom(event.queryString ?? event.queryStringParameters);
  return buildRequest({
    method: event.httpMethod || ctx.httpMethod || 'GET', path: b.path, query, headers: headersFrom(event.headers),
    body: event.body, isBase64Encoded: event.isBase64Encoded, prefix: `${stripped}${b.stripped ?? ''}` || undefined,
  });
}

export async function fromResponse(response: Response): Promise<ScfHttpResult> {
  const { body, isBase64Encoded } = await encodeBody(response);
  return { isBase64Encoded, statusCode: response.status, headers: singleHeaders(response.headers), body };
}

/** `main_handler(event, context)` for an API Gateway trigger with integration response enabled. */
export function httpHandler(api: { fetch(request: Request): Promise<Response> }, options: ToRequestOptions = {}) {
  return serveEvents<ScfApiGatewayEvent, ScfHttpResult>(api, (event) => toRequest(event, options), (response) => fromResponse(response));
}

export interface CosEvent {
  Records?: {
    cos?: { cosBucket?: { name?: string; appid?: string | number }; cosObject?: { key?: string } };
    event?: { eventName?: string };
  }[];
}

/**
 * COS trigger records → put/delete records on cos://<bucket>-<appid>/<key>. The payload key is
 * "/<appid>/<bucket>/<key>"; the bucket name comes without the APPID suffix COS URLs use.
 */
export function cosRecords(event: CosEvent): ObjectRecord[] {
  const out: ObjectRecord[] = [];
  for (const r of event.Records ?? []) {
    const name = r.cos?.cosBucket?.name, appid = String(r.cos?.cosBucket?.appid ?? ''), key = r.cos?.cosObject?.key;
    // Some samples spell it "cos: ObjectCreated:Post"; spaces are noise.
    const eventName = r.event?.eventName?.replace(/\s+/g, '').replace(/^cos:/, '');
    if (!name || !appid || !key || !eventName) continue;
    // COS names deletes "ObjectRemove:Delete" (its trigger config says cos:ObjectRemove:*); accept S3's spelling too.
    const action = eventName.startsWith('ObjectCreated:') ? 'put' : /^ObjectRemoved?:/.test(eventName) ? 'delete' : undefined;
    if (!action) continue;
    const bare = name.endsWith(`-${appid}`) ? name.slice(0, -appid.length - 1) : name;
    const objectKey = stripCosKey(key, appid, bare);
    if (objectKey) out.push({ action, location: `cos://${bare}-${appid}/${objectKey}` });
  }
  return out;
}

function stripCosKey(key: string, appid: string, bucket: string): string {
  for (const prefix of [`/${appid}/${bucket}/`, `/${appid}/${bucket}-${appid}/`, `${appid}/${bucket}/`]) {
    if (key.startsWith(prefix)) return key.slice(prefix.length);
  }
  return key.replace(/^\/+/, '');
}

/** The bound role's temporary keys, which SCF puts in the environment; undefined without a role. */
export function scfCredentials(env: Record<string, string | undefined> = process.env): S3Credentials | undefined {
  const accessKeyId = env.TENCENTCLOUD_SECRETID, secretAccessKey = env.TENCENTCLOUD_SECRETKEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, ...(env.TENCENTCLOUD_SESSIONTOKEN ? { sessionToken: env.TENCENTCLOUD_SESSIONTOKEN } : {}) };
}

/** Tencent SCF: API Gateway triggers, COS triggers; the role's keys are in the environment (TENCENTCLOUD_*). */
export const tencentScf: Provider = {
  id: 'tencent', title: 'Tencent Cloud SCF',
  httpHandler: (api) => httpHandler(api),
  records: cosRecords,
  memoryMb: (context) => megabytes(context?.memory_limit_in_mb),
};
