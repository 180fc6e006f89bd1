/**
 * Tencent SCF adapter over the SCF docs' API Gateway and COS samples: event → Request → createApi →
 * integration response, PNG bytes intact; COS keys stripped of "/<appid>/<bucket>/".
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { cosRecords, httpHandler, scfCredentials, toRequest, type CosEvent, type ScfApiGatewayEvent } from '../adapters/tencent-scf.ts';
import type { Api } from '../lib/api/index.ts';
import { startAdapterWorld, TILE } from './api-harness.ts';

const sample = <T>(name: string): T => JSON.parse(readFileSync(new URL(`events/tencent/${name}`, import.meta.url), 'utf8')) as T;

describe('adapters/tencent-scf', () => {
  let api: Api, direct: Buffer, stop: () => Promise<void>;
  before(async () => ({ api, direct, stop } = await startAdapterWorld()));
  after(() => stop());

  it('API Gateway sample: API path stripped, full queryString, headers, body', async () => {
    const event = sample<ScfApiGatewayEvent>('apigw-event.json');
    const req = toRequest(event);
    assert.equal(req.method, 'POST');
    assert.equal(req.url, 'https://service-3ei3tii4-251000691.ap-guangzhou.apigateway.myqloud.com/value?foo=bar&bob=alice');
    assert.equal(req.headers.get('x-forwarded-prefix'), '/test');
    assert.equal(req.headers.get('accept-language'), 'en-US,en,cn');
    assert.equal(await req.text(), '{"test":"body"}');
    const r = await httpHandler(api)(event);
    assert.equal(r.statusCode, 404);
    assert.equal(r.isBase64Encoded, false);
    assert.match(JSON.parse(r.body).message, /no route/);
  });

  it('a tile under an API at /tiles (and a stage in the path) comes back as base64 PNG', async () => {
    const base = sample<ScfApiGatewayEvent>('apigw-event.json');
    for (const path of [`/tiles${TILE}`, `/release/tiles${TILE}`]) {
      const event = { ...base, httpMethod: 'GET', body: '', isBase64Encoded: true, path, requestContext: { ...base.requestContext, path: '/tiles' }, queryString: { colormap: 'viridis', stretch_range: '[0,1000]' } };
      assert.equal(new URL(toRequest(event).url).pathname, TILE);
      const r = await httpHandler(api)(event);
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.isBase64Encoded, true);
      assert.equal(r.headers['content-type'], 'image/png');
      assert.deepEqual(Buffer.from(r.body, 'base64'), direct);
    }
  });

  it('queryString values can be arrays or booleans', () => {
    const event = { ...sample<ScfApiGatewayEvent>('apigw-event.json'), queryString: { a: ['1', '2'], flag: true, off: false } };
    assert.equal(new URL(toRequest(event).url).search, '?a=1&a=2&flag=');
    assert.equal(new URL(toRequest(event, { stripApiPath: false }).url).pathname, '/test/value');
  });

  it('COS sample → cos://<bucket>-<appid>/<key>; deletes; names that already carry the APPID', () => {
    const event = sample<CosEvent>('cos-event.json');
    assert.deepEqual(cosRecords(event), [{ action: 'put', location: 'cos://testpic-1253970026/testfile' }]);
    const r = event.Records![0];
    const rec = (eventName: string, name: string, key: string) => ({ ...r, cos: { ...r.cos, cosBucket: { ...r.cos!.cosBucket, name }, cosObject: { key } }, event: { eventName } });
    assert.deepEqual(cosRecords({ Records: [rec('cos:ObjectRemove:Delete', 'testpic', '/1253970026/testpic/dir/a b.tif'), rec('cos: ObjectCreated:Post', 'testpic-1253970026', '/1253970026/testpic/x.tif'), rec('cos:ObjectRestore:Post', 'testpic', '/1253970026/testpic/y.tif')] }), [
      { action: 'delete', location: 'cos://testpic-1253970026/dir/a b.tif' },
      { action: 'put', location: 'cos://testpic-1253970026/x.tif' },
    ]);
  });

  it('credentials from the role keys in the environment', () => {
    assert.deepEqual(scfCredentials({ TENCENTCLOUD_SECRETID: 'id', TENCENTCLOUD_SECRETKEY: 'key', TENCENTCLOUD_SESSIONTOKEN: 'tok' }), { accessKeyId: 'id', secretAccessKey: 'key', sessionToken: 'tok' });
    assert.equal(scfCredentials({}), undefined);
  });
});
