/**
 * AWS Lambda adapter over aws-lambda-go's published sample events: event → Request (checked field by
 * field) → a real createApi over a SQLite catalog → Lambda result, PNG bytes equal to a direct fetch.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { fromResponse, httpHandler, s3Records, toRequest, type LambdaHttpEvent, type LambdaHttpResult, type V1HttpEvent, type V2HttpEvent } from '../adapters/aws-lambda.ts';
import { createApi, type Api } from '../lib/api/index.ts';
import { QUERY, startAdapterWorld, TILE } from './api-harness.ts';

const sample = <T>(name: string): T => JSON.parse(readFileSync(new URL(`events/aws/${name}`, import.meta.url), 'utf8')) as T;

describe('adapters/aws-lambda', () => {
  let api: Api, direct: Buffer, stop: () => Promise<void>;
  before(async () => ({ api, direct, stop } = await startAdapterWorld()));
  after(() => stop());
  const handle = (event: LambdaHttpEvent) => httpHandler(api)(event, {});
  const png = (r: LambdaHttpResult) => {
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.isBase64Encoded, true);
    assert.deepEqual(Buffer.from(r.body, 'base64'), direct);
  };

  it('REST v1 sample: method, path, query, multi-value headers and body', async () => {
    const event = sample<V1HttpEvent>('apigw-request.json');
    const req = toRequest(event);
    assert.equal(req.method, 'POST');
    assert.equal(req.url, 'https://gy415nuibc.execute-api.us-east-1.amazonaws.com/hello/world?name=me');
    assert.equal(req.headers.get('headername'), 'headerValue');
    assert.equal(req.headers.get('x-forwarded-for'), '54.240.196.186, 54.182.214.83');
    assert.equal(await req.text(), '{\r\n\t"a": 1\r\n}');
    const r = await handle(event);
    assert.equal(r.statusCode, 404);
    assert.equal(r.isBase64Encoded, false);
    assert.match(JSON.parse(r.body).message, /no route/);
    assert.match(r.multiValueHeaders?.['content-type']?.[0] ?? '', /^application\/json/);
    assert.equal(r.headers, undefined);
  });

  it('REST v1: a tile, with and without the stage in the path; gzip JSON goes base64', async () => {
    const base = sample<V1HttpEvent>('apigw-request.json');
    const multi = Object.fromEntries(Object.entries(QUERY).map(([k, v]) => [k, [v]]));
    for (const path of [TILE, `/testStage${TILE}`]) {
      const event = { ...base, httpMethod: 'GET', path, body: null, queryStringParameters: QUERY, multiValueQueryStringParameters: multi };
      assert.equal(new URL(toRequest(event).url).pathname, TILE);
      const r = await handle(event);
      png(r);
      assert.deepEqual(r.multiValueHeaders?.['content-type'], ['image/png']);
    }
    const doc = await handle({ ...base, httpMethod: 'GET', path: '/openapi.json', body: null, queryStringParameters: null, multiValueQueryStringParameters: null });
    assert.equal(doc.isBase64Encoded, true);
    assert.ok(JSON.parse(gunzipSync(Buffer.from(doc.body, 'base64')).toString()).openapi);
  });

  it('HTTP API v2 sample: raw query kept, cookies joined, GET body dropped', async () => {
    const event = sample<V2HttpEvent>('apigw-v2-request.json');
    const req = toRequest(event);
    assert.equal(req.method, 'GET');
    assert.equal(req.url, 'https://localhost/my/path?parameter1=value1&parameter1=value2&parameter2=value');
    assert.equal(req.headers.get('cookie'), 'cookie1; cookie2');
    assert.equal(req.headers.get('header1'), 'value1');
    assert.equal(req.body, null);
    const r = await handle(event);
    assert.equal(r.statusCode, 404);
    assert.equal(r.multiValueHeaders, undefined);
    assert.match(r.headers?.['content-type'] ?? '', /^application\/json/);
  });

  it('HTTP API v2: a named stage is stripped and reported as X-Forwarded-Prefix', async () => {
    const base = sample<V2HttpEvent>('apigw-v2-request-no-authorizer.json');
    const event = { ...base, rawPath: `/dev${TILE}`, rawQueryString: new URLSearchParams(QUERY).toString(), requestContext: { ...base.requestContext, stage: 'dev' } };
    const req = toRequest(event);
    assert.equal(new URL(req.url).pathname, TILE);
    assert.equal(req.headers.get('x-forwarded-prefix'), '/dev');
    png(await handle(event));
    const root = await handle(base);
    assert.equal(root.isBase64Encoded, false, 'the HTML preview page is text');
  });

  it('links in TileJSON keep the stripped stage when the API trusts the adapter, and a client cannot forge it', async () => {
    const base = sample<V2HttpEvent>('apigw-v2-request-no-authorizer.json');
    const trusting = createApi({ catalog: api.context.catalog, trustForwardedPrefix: true });
    const tilejson = '/singleband/DEM/2000/h/tilejson.json';
    const staged = { ...base, rawPath: `/dev${tilejson}`, rawQueryString: '', requestContext: { ...base.requestContext, stage: 'dev' } };
    const body = JSON.parse((await httpHandler(trusting)(staged, {})).body as string);
    assert.match(body.tiles[0], /^https:\/\/[^/]+\/dev\/singleband\/DEM\/2000\/h\/\{z\}/);
    const forged = { ...base, rawPath: tilejson, rawQueryString: '', headers: { ...base.headers, 'x-forwarded-prefix': '/evil' }, requestContext: { ...base.requestContext, stage: '$default' } };
    const clean = JSON.parse((await httpHandler(trusting)(forged, {})).body as string);
    assert.doesNotMatch(clean.tiles[0], /evil/);
  });

  it('Function URL sample: POST body and comma-joined headers', async () => {
    const event = sample<V2HttpEvent>('lambda-urls-request.json');
    const req = toRequest(event);
    assert.equal(req.method, 'POST');
    assert.equal(req.headers.get('header2'), 'value1,value2');
    assert.equal(await req.text(), 'Hello from client!');
    png(await handle({ ...event, rawPath: TILE, rawQueryString: new URLSearchParams(QUERY).toString(), requestContext: { ...event.requestContext, http: { ...event.requestContext.http, method: 'GET' } } }));
  });

  it('ALB samples: single and multi-value forms, raw query values, status description', async () => {
    const single = sample<V1HttpEvent>('alb-lambda-target-request-headers-only.json');
    assert.equal(toRequest(single).url, 'http://lambda-test-alb-1334523864.us-east-1.elb.amazonaws.com/?key=hello');
    const r1 = await handle({ ...single, path: TILE, queryStringParameters: { colormap: 'viridis', stretch_range: '%5B0%2C1000%5D' } });
    png(r1);
    assert.equal(r1.statusDescription, '200 OK');
    assert.equal(r1.headers?.['content-type'], 'image/png');
    const multi = sample<V1HttpEvent>('alb-lambda-target-request-multivalue-headers.json');
    assert.equal(toRequest(multi).headers.get('x-myheader'), '123');
    const r2 = await handle({ ...multi, path: TILE, multiValueQueryStringParameters: { colormap: ['viridis'], stretch_range: ['[0,1000]'] } });
    png(r2);
    assert.deepEqual(r2.multiValueHeaders?.['content-type'], ['image/png']);
  });

  it('answers a malformed event with a 400, and HEAD with an empty body', async () => {
    const bad = await handle({ path: '/keys' } as V1HttpEvent);
    assert.equal(bad.statusCode, 400);
    const event = sample<V2HttpEvent>('apigw-v2-request-no-authorizer.json');
    const head = await fromResponse(await api.fetch(toRequest({ ...event, rawPath: TILE, requestContext: { ...event.requestContext, http: { ...event.requestContext.http, method: 'HEAD' } } })), event);
    assert.equal(head.statusCode, 200);
    assert.equal(head.body, '');
  });

  it('S3 records: keys decoded, "+" is a space, only created/removed events', () => {
    assert.deepEqual(s3Records(sample('s3-event-with-decoded.json')), [{ action: 'put', location: 's3://sourcebucket/Happy Face.jpg' }]);
    const base = sample<{ Records: Record<string, unknown>[] }>('s3-event-with-decoded.json').Records[0];
    const rec = (eventName: string, key: string) => ({ ...base, eventName, s3: { bucket: { name: 'b' }, object: { key } } });
    assert.deepEqual(s3Records({ Records: [rec('ObjectRemoved:Delete', 'cogs/my+file%2B1.tif'), rec('ObjectRestore:Completed', 'x.tif'), rec('ObjectCreated:CompleteMultipartUpload', 'a%2Fb.tif')] }), [
      { action: 'delete', location: 's3://b/cogs/my file+1.tif' },
      { action: 'put', location: 's3://b/a/b.tif' },
    ]);
    assert.deepEqual(s3Records({ Service: 'Amazon S3', Event: 's3:TestEvent' } as never), []);
  });
});
