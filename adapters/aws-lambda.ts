/**
 * AWS Lambda ⇄ WHATWG Request/Response: API Gateway REST (payload 1.0, with or without multi-value
 * maps), HTTP API and Function URLs (payload 2.0), and ALB targets; S3 notifications → object records.
 * The event types are declared here (only the fields read) so no @types package is needed.
 */
import { megabytes, type Provider } from './provider.ts';
import { STATUS_CODES } from 'node:http';
import type { ObjectRecord } from '../lib/ingest/index.ts';
import { buildRequest, serveEvents, encodeBody, headersFrom, queryFrom, singleHeaders, stripPrefix } from './bridge.ts';

/** API Gateway REST proxy (payload 1.0) and ALB target events. */
export interface V1HttpEvent {
  httpMethod: string;
  path: string;
  headers?: Record<string, string | undefined> | null;
  multiValueHeaders?: Record<string, string[] | undefined> | null;
  queryStringParameters?: Record<string, string | undefined> | null;
  multiValueQueryStringParameters?: Record<string, string[] | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
  requestContext?: { stage?: string; elb?: unknown };
}

/** HTTP API (payload 2.0) and Function URL events. */
export interface V2HttpEvent {
  version: '2.0';
  rawPath: string;
  rawQueryString?: string;
  cookies?: string[];
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext: { http: { method: string }; stage?: string };
}

export type LambdaHttpEvent = V1HttpEvent | V2HttpEvent;

export interface LambdaHttpResult {
  statusCode: number;
  statusDescription?: string;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  cookies?: string[];
  body: string;
  isBase64Encoded: boolean;
}

export interface ToRequestOptions {
  /** A mount point to strip after the stage (e.g. a custom-domain base path mapping "/tiles"). */
  basePath?: string;
}

const isV2 = (e: LambdaHttpEvent): e is V2HttpEvent => (e as V2HttpEvent).version === '2.0' && typeof (e as V2HttpEvent).rawPath === 'string';
const isAlb = (e: LambdaHttpEvent): boolean => !isV2(e) && !!e.requestContext?.elb;

export function toRequest(event: LambdaHttpEvent, options: ToRequestOptions = {}): Request {
  // A named stage appears in the path of HTTP API events (and of REST events behind some mappings);
  // "$default" never does.
  const stage = event.requestContext?.stage && event.requestContext.stage !== '$default' ? event.requestContext.stage : undefined;
  if (isV2(event)) {
    const headers = headersFrom(event.headers);
    if (event.cookies?.length) headers.set('cookie', event.cookies.join('; '));
    const { path, prefix } = strip(event.rawPath, stage, options.basePath);
    return buildRequest({ method: event.requestContext.http.method, path, query: event.rawQueryString, headers, body: event.body, isBase64Encoded: event.isBase64Encoded, prefix });
  }
  const headers = headersFrom(event.headers, event.multiValueHeaders);
  const { path, prefix } = strip(event.path, stage, options.basePath);
  return buildRequest({ method: event.httpMethod, path, query: v1Query(event), headers, body: event.body, isBase64Encoded: event.isBase64Encoded, prefix });
}

function strip(path: string, stage: string | undefined, basePath: string | undefined): { path: string; prefix?: string } {
  const a = stripPrefix(path, stage);
  const b = stripPrefix(a.path, basePath);
  const prefix = `${a.stripped ?? ''}${b.stripped ?? ''}`;
  return { path: b.path, prefix: prefix || undefined };
}

function v1Query(event: V1HttpEvent): string {
  const params: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) if (v != null) params[k] = [v];
  for (const [k, v] of Object.entries(event.multiValueQueryStringParameters ?? {})) if (v?.length) params[k] = v;
  // ALB passes query parameters exactly as the client encoded them; API Gateway decodes them.
  if (isAlb(event)) return Object.entries(params).flatMap(([k, vs]) => vs.map((v) => `${k}=${v}`)).join('&');
  return queryFrom(params);
}

/** The result shape matching the event: cookies for 2.0, multi-value headers where the event used them. */
export async function fromResponse(response: Response, event: LambdaHttpEvent): Promise<LambdaHttpResult> {
  const { body, isBase64Encoded } = await encodeBody(response);
  const result: LambdaHttpResult = { statusCode: response.status, body, isBase64Encoded };
  const cookies = response.headers.getSetCookie();
  if (isV2(event)) {
    result.headers = singleHeaders(response.headers);
    if (cookies.length) result.cookies = cookies;
    return result;
  }
  // ALB requires a status description, and answers in multi-value form only when it asked in it.
  if (isAlb(event)) result.statusDescription = `${response.status} ${response.statusText || STATUS_CODES[response.status] || ''}`.trim();
  if (event.multiValueHeaders) {
    const multi: Record<string, string[]> = {};
    response.headers.forEach((v, k) => {
      if (k !== 'set-cookie') multi[k] = [v];
    });
    if (cookies.length) multi['set-cookie'] = cookies;
    result.multiValueHeaders = multi;
  } else {
    result.headers = singleHeaders(response.headers);
  }
  return result;
}

/** `handler` for a tiles function: any of the HTTP event shapes in, the matching result out. */
export function httpHandler(api: { fetch(request: Request): Promise<Response> }, options: ToRequestOptions = {}) {
  return serveEvents<LambdaHttpEvent, LambdaHttpResult>(api, (event) => toRequest(event, options), fromResponse);
}

export interface S3Event {
  Records?: { eventSource?: string; eventName?: string; s3?: { bucket?: { name?: string }; object?: { key?: string } } }[];
}

/**
 * S3 notification records → put/delete records. Keys arrive form-encoded ("+" for a space, %XX for
 * the rest). Other event kinds (restore, replication, the s3:TestEvent sent on configuration) are left out.
 */
export function s3Records(event: S3Event): ObjectRecord[] {
  const out: ObjectRecord[] = [];
  for (const r of event.Records ?? []) {
    const bucket = r.s3?.bucket?.name, rawKey = r.s3?.object?.key;
    if (r.eventSource !== 'aws:s3' || !bucket || !rawKey) continue;
    const action = r.eventName?.startsWith('ObjectCreated:') ? 'put' : r.eventName?.startsWith('ObjectRemoved:') ? 'delete' : undefined;
    if (!action) continue;
    const key = formDecoded(rawKey);
    // A malformed key fails its record alone: the rest of the batch still runs, and it is not retried.
    out.push(key !== undefined
      ? { action, location: `s3://${bucket}/${key}` }
      : { action, location: `s3://${bucket}/${rawKey}`, problem: `the event's object key ${JSON.stringify(rawKey)} is not valid percent-encoding` });
  }
  return out;
}

/** A form-encoded key decoded, or undefined when its percent-escapes are malformed ("%zz"). */
function formDecoded(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** AWS Lambda: API Gateway / Function URL / ALB events, S3 notifications; keys from the SDK's chain. */
export const awsLambda: Provider = {
  id: 'aws', title: 'AWS Lambda',
  httpHandler: (api) => httpHandler(api),
  records: s3Records,
  memoryMb: (context, env) => megabytes(context?.memoryLimitInMB) ?? megabytes(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE),
  // AWS_LAMBDA_EXEC_WRAPPER=/var/task/lambda-wrapper.sh: the runtime's young generation cut to 1 MB
  files: { 'adapters/aws-lambda-wrapper.sh': 'lambda-wrapper.sh' },
};
