/**
 * The TableStore store. There is no TableStore account here, so: the shared contract and the
 * store's own checks run against FakeTableStore (in memory, requests through the SDK's encoder, rows
 * through its decoder, the service's documented limits and error shapes), and the real SDK client
 * runs over HTTP against a local stub that answers in the service's wire format. Nothing here talks
 * to the real service.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import TableStore from 'tablestore';
import protos from 'tablestore/lib/protocol/tablestore_compiled_proto.js';
import { CatalogError, SCHEMA_VERSION } from '../lib/catalog/catalog.ts';
import { datasetId } from '../lib/catalog/records.ts';
import { TableStoreCatalog } from '../lib/catalog/stores/tablestore.ts';
import { otsCode } from '../lib/catalog/stores/tablestore-client.ts';
import { FakeTableStore } from './tablestore-fake.ts';
import { catalogContract, sampleRecord } from './catalog-contract.ts';

const URI = 'tablestore://taoguan-test?endpoint=https://taoguan-test.cn-hangzhou.ots.aliyuncs.com&table=contract';
const KEYS = [{ name: 'sensor' }, { name: 'date' }, { name: 'band' }];
const isCatalogError = (code: CatalogError['code'], message?: RegExp) => (e: unknown) =>
  e instanceof CatalogError && e.code === code && (!message || message.test(e.message));

// Scans of 7 rows: listing the contract's datasets crosses many GetRange pages, some of them empty.
const shared = new FakeTableStore({ scanRows: 7 });
catalogContract('tablestore (in-memory fake of the SDK client)', async () => new TableStoreCatalog(URI, { client: shared }),
  async () => { await shared.deleteTable({ tableName: 'contract' }).catch(() => undefined); },
  async (v) => {
    const { row } = await shared.getRow({ tableName: 'contract', primaryKey: [{ id: '!meta' }] });
    const keys = row.attributes!.find((a) => a.columnName === 'keys')!.columnValue;
    await shared.putRow({ tableName: 'contract', condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null),
      primaryKey: [{ id: '!meta' }], attributeColumns: [{ keys }, { schema_version: TableStore.Long.fromNumber(v) }] });
  });

async function fresh(limits = {}) {
  const fake = new FakeTableStore(limits);
  const catalog = new TableStoreCatalog(URI, { client: fake });
  await catalog.create(KEYS);
  return { fake, catalog };
}

/** A header whose serialised block offsets (random, so incompressible) deflate to about `mb` MB. */
function bigHeader(mb: number) {
  const header = sampleRecord(['a', 'b', 'c']).header;
  let seed = 1;
  const next = () => (seed = (seed * 48271) % 2147483647);
  header.levels[0].image.offsets = Array.from({ length: Math.round(mb * 170_000) }, () => next() * 1024 + next());
  return header;
}

describe('tablestore store (fake)', () => {
  it('stores the documented layout: id = datasetId, k_<key> columns, the header in BINARY chunks, a meta row', async () => {
    const { fake, catalog } = await fresh();
    const keys = ['S2', '2024-01-15', 'B04'];
    await catalog.put(sampleRecord(keys, { etag: undefined }));
    const { row } = await fake.getRow({ tableName: 'contract', primaryKey: [{ id: datasetId(keys) }] });
    assert.deepEqual(row.primaryKey, [{ name: 'id', value: datasetId(keys) }]);
    const cells = new Map(row.attributes!.map((a) => [a.columnName, a.columnValue]));
    assert.deepEqual([...cells.keys()].sort(), ['header_0', 'header_chunks', 'k_band', 'k_date', 'k_sensor', 'last_modified', 'location', 'metadata', 'size']);
    assert.ok(Buffer.isBuffer(cells.get('header_0')));
    assert.equal(String(cells.get('k_date')), '2024-01-15');
    const meta = await fake.getRow({ tableName: 'contract', primaryKey: [{ id: '!meta' }] });
    const version = meta.row.attributes!.find((a) => a.columnName === 'schema_version')!.columnValue;
    assert.equal((version as { toNumber(): number }).toNumber(), SCHEMA_VERSION);
  });

  it('answers a get with one GetRow once the keys are known', async () => {
    const { fake, catalog } = await fresh();
    await catalog.put(sampleRecord(['S2', '2024-01-15', 'B04']));
    const before = fake.calls.getRow;
    assert.ok(await catalog.get(['S2', '2024-01-15', 'B04']));
    assert.equal(fake.calls.getRow - before, 1);
    assert.equal(Object.keys(fake.calls).filter((op) => op !== 'getRow' && op !== 'putRow' && op !== 'createTable').length, 0);
  });

  it('answers a cold lookup with one BatchGetRow (meta row and dataset row), then with one GetRow', async () => {
    const { fake, catalog } = await fresh();
    await catalog.put(sampleRecord(['S2', '2024-01-15', 'B04']));
    const cold = new TableStoreCatalog(URI, { client: fake });
    const before = { ...fake.calls };
    const found = await cold.lookup(['S2', '2024-01-15', 'B04']);
    assert.equal(found.record?.location, sampleRecord(['S2', '2024-01-15', 'B04']).location);
    assert.deepEqual(found.keys.map((k) => k.name), ['sensor', 'date', 'band']);
    assert.equal(fake.calls.batchGetRow - (before.batchGetRow ?? 0), 1);
    assert.equal(fake.calls.getRow, before.getRow, 'no GetRow for the meta');
    assert.equal((await cold.lookup(['S2', '2024-01-15', 'B03'])).record, undefined);
    assert.equal(fake.calls.getRow - before.getRow, 1, 'warm: one GetRow');
    assert.equal(fake.calls.batchGetRow - (before.batchGetRow ?? 0), 1);
    fake.failNext('batchGetRow', 'OTSServerBusy', 1);
    assert.ok((await new TableStoreCatalog(URI, { client: fake }).lookup(['S2', '2024-01-15', 'B04'])).record, 'a busy service is retried');
  });

  it('chunks a header past 1 MB (2.5 MB deflated: 3 columns), and refuses one past a row write', async () => {
    const { fake, catalog } = await fresh();
    const rec = sampleRecord(['S2', '2024-01-15', 'B04'], { header: bigHeader(2.5) });
    assert.equal(await catalog.put(rec), 'inserted');
    const { row } = await fake.getRow({ tableName: 'contract', primaryKey: [{ id: datasetId(rec.keys) }], columnsToGet: ['header_chunks'] });
    assert.equal((row.attributes![0].columnValue as { toNumber(): number }).toNumber(), 3);
    assert.deepEqual((await catalog.get(rec.keys))!.header, rec.header);
    const huge = sampleRecord(['S2', '2024-01-15', 'B05'], { header: bigHeader(4.5) });
    await assert.rejects(catalog.put(huge), isCatalogError('invalid', /4 MB/));
    assert.equal(await catalog.count(), 1, 'nothing written');
  });

  it('applies filters the service cannot take (more than 10 conditions) itself', async () => {
    const { catalog } = await fresh({ scanRows: 3 });
    for (let i = 0; i < 15; i++) await catalog.put(sampleRecord([`S${i}`, '2024-01-15', i % 2 ? 'B04' : 'B08']));
    const sensors = Array.from({ length: 12 }, (_, i) => `S${i}`);
    assert.equal(await catalog.count({ sensor: sensors }), 12);
    assert.deepEqual((await catalog.list({ where: { sensor: sensors, band: 'B04' } })).map((d) => d.keys[0]), ['S1', 'S11', 'S3', 'S5', 'S7', 'S9']);
    assert.equal(await catalog.count({ sensor: ['S1', 'S2', 'S3'], band: 'B04' }), 2, 'a filter that fits goes to the server');
  });

  it('retries a table still loading after CreateTable, and reports a service that stays busy', async () => {
    const fake = new FakeTableStore();
    fake.failNext('putRow', 'OTSTableNotReady', 3);
    const catalog = new TableStoreCatalog(URI, { client: fake });
    await catalog.create(KEYS);
    assert.deepEqual((await catalog.keys()).map((k) => k.name), ['sensor', 'date', 'band']);
    fake.failNext('getRow', 'OTSServerBusy', 10);
    await assert.rejects(catalog.get(['S2', '2024-01-15', 'B04']), isCatalogError('unavailable', /OTSServerBusy/));
  });

  it('the fake keeps the service limits and error shapes: 2 MB cells, 4 MB requests, conditions, 10-condition filters', async () => {
    const fake = new FakeTableStore();
    await fake.createTable({ tableMeta: { tableName: 't', primaryKey: [{ name: 'id', type: 'STRING' }] }, reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 } });
    const put = (expect: number, cells: Record<string, Buffer | string>[]) => fake.putRow({ tableName: 't', condition: new TableStore.Condition(expect, null), primaryKey: [{ id: 'a' }], attributeColumns: cells });
    const failsWith = (code: string, status: number) => (e: unknown) => otsCode(e) === code && (e as { code: unknown }).code === status;
    await assert.rejects(put(0, [{ x: Buffer.alloc(2 * 1024 * 1024 + 1) }]), failsWith('OTSParameterInvalid', 400));
    await assert.rejects(put(0, [{ x: Buffer.alloc(2 * 1024 * 1024) }, { y: Buffer.alloc(2 * 1024 * 1024) }]), failsWith('OTSRequestBodyTooLarge', 413));
    await put(2, [{ x: 'one' }]);
    await assert.rejects(put(2, [{ x: 'two' }]), failsWith('OTSConditionCheckFail', 403));
    const eleven = new TableStore.CompositeCondition(TableStore.LogicalOperator.OR);
    for (let i = 0; i < 10; i++) eleven.addSubCondition(new TableStore.SingleColumnCondition('x', `v${i}`, TableStore.ComparatorType.EQUAL));
    await assert.rejects(fake.getRow({ tableName: 't', primaryKey: [{ id: 'a' }], columnFilter: eleven }), failsWith('OTSParameterInvalid', 400));
    await assert.rejects(fake.getRow({ tableName: 'nope', primaryKey: [{ id: 'a' }] }), failsWith('OTSObjectNotExist', 404));
  });

  it('without credentials in the environment, says which variables to set', async () => {
    const saved = { ...process.env };
    delete process.env.ALIBABA_CLOUD_ACCESS_KEY_ID;
    delete process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
    try {
      await assert.rejects(new TableStoreCatalog(URI).keys(), isCatalogError('unavailable', /ALIBABA_CLOUD_ACCESS_KEY_ID/));
    } finally {
      Object.assign(process.env, saved);
    }
    assert.throws(() => new TableStoreCatalog('tablestore://x?table=t'), isCatalogError('invalid', /endpoint/));
    assert.throws(() => new TableStoreCatalog(`${URI}&bucket=1`), isCatalogError('invalid', /bucket/));
  });
});

describe('tablestore store with the real SDK client over HTTP (local stub, not the service)', () => {
  const { main: { proto } } = protos;
  const encode = (name: string, body: object) => Buffer.from(proto[name].encode(proto[name].create(body)).finish());
  const consumed = { capacityUnit: { read: 1, write: 0 } };
  const row = (id: string, cells: Record<string, unknown>[]) => TableStore.PlainBufferBuilder.serializeForPutRow([{ id }], cells as never);
  const datasetRow = (keys: string[]) => row(datasetId(keys), [{ k_sensor: keys[0] }, { k_date: keys[1] }, { k_band: keys[2] }, { location: `${keys.join('_')}.tif` }]);

  async function withStub(answer: (op: string, headers: Record<string, unknown>, body: Buffer) => [number, Buffer], fn: (endpoint: string) => Promise<void>) {
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
        const [status, body] = answer(req.url!.slice(1), req.headers, Buffer.concat(chunks));
        res.writeHead(status, { 'x-ots-requestid': 'stub', 'content-length': body.length }).end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const saved = { ...process.env };
    Object.assign(process.env, { ALIBABA_CLOUD_ACCESS_KEY_ID: 'stub-id', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'stub-s3cret', ALIBABA_CLOUD_SECURITY_TOKEN: 'stub-sts' });
    try {
      await fn(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
    } finally {
      process.env = saved;
      server.close();
    }
  }

  it('signs with the environment credentials, decodes rows and pages, and reads OTS codes out of SDK errors', async () => {
    const seen: string[] = [];
    let ranges = 0;
    await withStub((op, headers) => {
      seen.push(op);
      assert.equal(headers['x-ots-accesskeyid'], 'stub-id');
      assert.equal(headers['x-ots-ststoken'], 'stub-sts');
      assert.ok(headers['x-ots-signature']);
      if (op === 'GetRow') return [200, encode('GetRowResponse', { consumed, row: row('!meta', [{ keys: JSON.stringify(KEYS) }, { schema_version: TableStore.Long.fromNumber(SCHEMA_VERSION) }]) })];
      if (op === 'CreateTable') return [409, encode('Error', { code: 'OTSObjectAlreadyExist', message: 'Requested table already exists.' })];
      if (op === 'PutRow') return [403, encode('Error', { code: 'OTSConditionCheckFail', message: 'Condition check failed.' })];
      if (op === 'GetRange') {
        // two pages: the first names where the second starts
        const page = ranges++ === 0
          ? { rows: datasetRow(['S2', '2024-01-15', 'B04']), nextStartPrimaryKey: row('next', []) }
          : { rows: datasetRow(['L8', '2024-01-15', 'B04']) };
        return [200, encode('GetRangeResponse', { consumed, ...page })];
      }
      return [400, encode('Error', { code: 'OTSParameterInvalid', message: `stub does not answer ${op}` })];
    }, async (endpoint) => {
      const catalog = new TableStoreCatalog(`tablestore://stub?endpoint=${endpoint}&table=t`);
      assert.deepEqual(await catalog.keys(), KEYS);
      assert.deepEqual((await catalog.list()).map((d) => d.keys[0]), ['L8', 'S2']);
      await assert.rejects(catalog.create(KEYS), isCatalogError('exists'));
    });
    assert.deepEqual(seen, ['GetRow', 'GetRange', 'GetRange', 'CreateTable', 'PutRow']);
  });

  it('a cold lookup is one BatchGetRow decoded by the SDK; a row that failed on its own is retried', async () => {
    const meta = row('!meta', [{ keys: JSON.stringify(KEYS) }, { schema_version: TableStore.Long.fromNumber(SCHEMA_VERSION) }]);
    const asked: string[][] = [];
    let busy = 1;
    await withStub((op, _headers, body) => {
      if (op !== 'BatchGetRow') return [400, encode('Error', { code: 'OTSParameterInvalid', message: `stub does not answer ${op}` })];
      const request = proto.BatchGetRowRequest.decode(body) as unknown as { tables: { tableName: string; primaryKey: Uint8Array[] }[] };
      asked.push(request.tables.flatMap((t) => t.primaryKey.map((pk) => Buffer.from(pk).toString('latin1').includes('!meta') ? '!meta' : 'dataset')));
      const failing = busy-- > 0;
      const rows = [
        { isOk: true, consumed, row: meta },
        failing ? { isOk: false, error: { code: 'OTSServerBusy', message: 'busy' } } : { isOk: true, consumed, row: Buffer.alloc(0) },
      ];
      return [200, encode('BatchGetRowResponse', { tables: [{ tableName: 't', rows }] })];
    }, async (endpoint) => {
      const found = await new TableStoreCatalog(`tablestore://stub?endpoint=${endpoint}&table=t`).lookup(['S2', '2024-01-15', 'B04']);
      assert.deepEqual(found, { keys: KEYS, record: undefined });
    });
    assert.deepEqual(asked, [['!meta', 'dataset'], ['!meta', 'dataset']], 'one request, retried once for the busy row');
  });

  it('a service that stops answering costs a call ?timeout= in all, not 4 tries of the SDK timeout: then "unavailable"', async () => {
    // accepts, reads the request, never answers (a stalled network, a hung front end)
    const held: ServerResponse[] = [];
    const silent = createServer((_req, res) => void held.push(res));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const saved = { ...process.env };
    Object.assign(process.env, { ALIBABA_CLOUD_ACCESS_KEY_ID: 'stub-id', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'stub-s3cret' });
    try {
      const endpoint = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
      const catalog = new TableStoreCatalog(`tablestore://stub?endpoint=${endpoint}&table=t&timeout=1200`);
      assert.equal(catalog.timeoutMs, 1200);
      for (const call of [() => catalog.keys(), () => catalog.list()]) {
        const started = Date.now();
        await assert.rejects(Promise.race([call(), new Promise((_, reject) => setTimeout(() => reject(new Error('still waiting after 8 s')), 8000))]),
          isCatalogError('unavailable', /no answer within 1200 ms/));
        const took = Date.now() - started;
        assert.ok(took >= 1100 && took < 5000, `gave up after ${took} ms`);
      }
      assert.throws(() => new TableStoreCatalog(`tablestore://stub?endpoint=${endpoint}&timeout=0`), isCatalogError('invalid', /timeout="0"/));
    } finally {
      process.env = saved;
      for (const res of held) res.destroy();
      silent.close();
    }
  });

  it('an unreachable endpoint is a CatalogError "unavailable", without the secret', async () => {
    await withStub(() => [500, Buffer.alloc(0)], async (endpoint) => {
      const closed = endpoint.replace(/:\d+$/, ':1');
      const started = Date.now();
      await assert.rejects(new TableStoreCatalog(`tablestore://stub?endpoint=${closed}&table=t`).keys(), (e: unknown) =>
        isCatalogError('unavailable', /NetworkingError/)(e) && !/s3cret/.test((e as Error).message));
      assert.ok(Date.now() - started < 3000, `${Date.now() - started} ms`);
    });
  });
});
