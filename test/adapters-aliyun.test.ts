/**
 * Aliyun FC adapter over the FC docs' HTTP-trigger sample, an API Gateway → FC event and FC 2.0's
 * (req, resp) handler: event (as the Buffer Node receives) → Request → createApi → FC result.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fc2HttpHandler, fcCredentials, httpHandler, ossRecords, ossRegion, toRequest, type ApiGatewayFcEvent, type Fc2Request, type Fc3HttpEvent, type FcHttpResult } from '../adapters/aliyun-fc.ts';
import type { Api } from '../lib/api/index.ts';
import { QUERY, startAdapterWorld, TILE } from './api-harness.ts';

const raw = (name: string) => readFileSync(new URL(`events/aliyun/${name}`, import.meta.url));
const sample = <T = Record<string, unknown>>(name: string): T => JSON.parse(raw(name).toString('utf8')) as T;

describe('adapters/aliyun-fc', () => {
  let api: Api, direct: Buffer, stop: () => Promise<void>;
  before(async () => ({ api, direct, stop } = await startAdapterWorld()));
  after(() => stop());
  const png = (r: FcHttpResult) => {
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.isBase64Encoded, true);
    assert.equal(r.headers['content-type'], 'image/png');
    assert.deepEqual(Buffer.from(r.body, 'base64'), direct);
  };

  it('FC 3.0 HTTP trigger sample, as a Buffer: method, path, query, headers; GET body dropped', async () => {
    const req = toRequest(raw('http-trigger.json'));
    assert.equal(req.method, 'GET');
    const url = new URL(req.url);
    assert.equal(url.pathname, '/example');
    assert.equal(url.searchParams.get('parameter2'), 'value1,value2');
    assert.equal(req.headers.get('header2'), 'value1,value2');
    assert.equal(req.body, null);
    const r = await httpHandler(api)(raw('http-trigger.json'));
    assert.equal(r.statusCode, 404);
    assert.equal(r.isBase64Encoded, false);
    assert.match(JSON.parse(r.body).message, /no route/);
  });

  it('FC 3.0: a tile round trip with PNG bytes intact; POST bodies decoded from base64', async () => {
    const event = { ...sample<Fc3HttpEvent>('http-trigger.json'), rawPath: TILE, queryParameters: QUERY };
    png(await httpHandler(api)(Buffer.from(JSON.stringify(event))));
    const post = toRequest({ ...event, body: Buffer.from('{"a":1}').toString('base64'), isBase64Encoded: true, requestContext: { http: { method: 'POST' } } });
    assert.equal(await post.text(), '{"a":1}');
  });

  it('API Gateway → FC: empty GET marked base64, mount point stripped', async () => {
    const event = sample<ApiGatewayFcEvent>('apigw-event.json');
    const req = toRequest(event, { basePath: '/tiles' });
    assert.equal(req.url, 'https://example-group.cn-hangzhou.alicloudapi.com/keys');
    assert.equal(req.headers.get('x-forwarded-prefix'), '/tiles');
    const keys = await httpHandler(api, { basePath: '/tiles' })(event);
    assert.equal(keys.statusCode, 200);
    assert.match(keys.isBase64Encoded ? Buffer.from(keys.body, 'base64').toString() : keys.body, /sensor/);
    png(await httpHandler(api, { basePath: '/tiles' })({ ...event, path: `/tiles${TILE}`, queryParameters: QUERY }));
  });

  it('FC 2.0 (req, resp): proxy prefix stripped, queries and body passed, PNG sent', async () => {
    const sent: { status?: number; headers: Record<string, string>; body?: Buffer } = { headers: {} };
    const resp = { setStatusCode: (s: number) => { sent.status = s; }, setHeader: (k: string, v: string) => { sent.headers[k] = v; }, send: (b: Buffer | string) => { sent.body = Buffer.from(b); } };
    const req = Object.assign(Readable.from([]), { method: 'GET', path: `/2016-08-15/proxy/taoguan/tiles${TILE}`, queries: QUERY, headers: { host: 'x.cn-hangzhou.fc.aliyuncs.com' } }) as unknown as Fc2Request;
    await fc2HttpHandler(api)(req, resp);
    assert.equal(sent.status, 200);
    assert.equal(sent.headers['content-type'], 'image/png');
    assert.deepEqual(sent.body, direct);
    const post = Object.assign(Readable.from([Buffer.from('{"b":2}')]), { method: 'POST', path: '/keys', queries: {}, headers: {} }) as unknown as Fc2Request;
    await fc2HttpHandler(api)(post, resp);
    assert.equal(sent.status, 405, 'POST on a GET route: method not allowed');
  });

  it('OSS trigger sample → records; deletes; credentials from context', () => {
    assert.deepEqual(ossRecords(raw('oss-event.json')), [{ action: 'put', location: 'oss://testbucket/image/a.jpg' }]);
    assert.equal(ossRegion(raw('oss-event.json')), 'cn-shanghai');
    const e = sample<{ events: Record<string, unknown>[] }>('oss-event.json').events[0];
    assert.deepEqual(ossRecords({ events: [{ ...e, eventName: 'ObjectRemoved:DeleteObject' }, { ...e, eventName: 'ObjectDownloaded:GetObject' }] }), [{ action: 'delete', location: 'oss://testbucket/image/a.jpg' }]);
    assert.deepEqual(fcCredentials({ credentials: { accessKeyId: 'STS.id', accessKeySecret: 'secret', securityToken: 'token' } }), { accessKeyId: 'STS.id', secretAccessKey: 'secret', sessionToken: 'token' });
    assert.equal(fcCredentials({}), undefined);
  });
});
