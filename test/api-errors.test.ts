/**
 * Errors say whose fault they are (lib/errors/index.ts, one kind → status mapping in lib/api/errors.ts),
 * through the real API on a real socket over real objects: a file, an HTTP origin and a local S3
 * server (s3rver). A missing object says so and how to mend it; corrupt block bytes under an
 * unchanged ETag are the origin's fault; a built-in error is a 500 that is logged, never a 400.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toApiError } from '../lib/api/errors.ts';
import { CatalogError } from '../lib/catalog/catalog.ts';
import { openCatalog } from '../lib/catalog/open.ts';
import { ingestObject } from '../lib/ingest/index.ts';
import { ReadLimitError } from '../lib/raster/budget.ts';
import { CorruptBlockError } from '../lib/raster/window.ts';
import { RenderInputError } from '../lib/render/errors.ts';
import { FileSource } from '../lib/source/file.ts';
import { openSource } from '../lib/source/location.ts';
import { closeS3Clients } from '../lib/source/s3.ts';
import { ObjectChangedError, ObjectMissingError, SourceError, SourceTimeoutError, type Source } from '../lib/source/source.ts';
import { TiffError } from '../lib/tiff/reader.ts';
import { readHeader } from '../lib/tiff/parse.ts';
import { UnknownCrsError } from '../lib/crs/epsg.ts';
import { centreTile, Origin, startApi } from './api-harness.ts';
import { fixturePath } from './helpers.ts';
import { LocalS3 } from './ingest-harness.ts';

const FIXTURE = 'u16-4band-deflate-p2-meta-utm50.tif';

describe('API errors over real objects', () => {
  const origin = new Origin();
  const s3 = new LocalS3();
  let dir = '', uri = '', file = '', tile = '';
  /** s3:// locations reach the local S3 server; everything else is opened as usual. */
  const open = (location: string): Source => openSource(location, location.startsWith('s3://') ? s3.options : {});
  const message = async (res: Response) => ((await res.json()) as { message: string }).message;

  before(async () => {
    await origin.start();
    await s3.start(['cogs']);
    dir = await mkdtemp(join(tmpdir(), 'taoguan-errors-'));
    uri = `sqlite:${join(dir, 'catalog.db')}`;
    file = join(dir, 'a.tif');
    await copyFile(fixturePath(FIXTURE), file);
    await s3.put('cogs', 'a.tif', FIXTURE);
    const catalog = await openCatalog(uri);
    await catalog.create([{ name: 'name' }]);
    await ingestObject(catalog, file, ['file']);
    await ingestObject(catalog, await origin.put('/a.tif', FIXTURE), ['http']);
    await ingestObject(catalog, 's3://cogs/a.tif', ['s3'], { source: s3.options });
    await ingestObject(catalog, await origin.put('/corrupt.tif', FIXTURE), ['corrupt']);
    tile = centreTile((await catalog.get(['file']))!.metadata.bounds);
    await catalog.close();
  });

  after(async () => {
    await origin.stop();
    await s3.stop();
    await closeS3Clients();
    await rm(dir, { recursive: true, force: true });
  });

  const tilePath = (name: string) => `/singleband/${name}/${tile}.png?stretch_range=[0,20000]`;

  it('a missing object (file ENOENT, HTTP 404, S3 NoSuchKey) is a 502 saying to re-ingest or delete, not retried, its location logged', async () => {
    const api = await startApi(uri, { openSource: open });
    try {
      // (no tile first: decoded blocks and drawn tiles kept from it would rightly be served without a read)
      await unlink(file);
      origin.objects.delete('/a.tif');
      await s3.delete('cogs', 'a.tif');
      origin.reset();
      for (const [name, location] of [['file', file], ['http', `${origin.url}/a.tif`], ['s3', 's3://cogs/a.tif']]) {
        const res = await fetch(`${api.url}${tilePath(name)}`);
        assert.equal(res.status, 502, name);
        assert.equal(res.headers.get('cache-control'), 'no-store');
        const text = await message(res);
        assert.equal(text, 'the dataset\'s object is missing from the object store (deleted or moved since it was ingested): re-ingest the dataset, or delete it from the catalog');
        assert.match(api.logs.at(-1)!.error ?? '', new RegExp(`^ObjectMissingError: ${location.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `), `the log says which location (${name})`);
      }
      assert.equal(origin.requests.filter((r) => r.path === '/a.tif').length, 1, 'a 404 is asked once, not retried');
      // Put back and re-ingested elsewhere (a new ETag): the next tile is drawn at once — the 502 was
      // not kept as an answer, nor the record it came from (the catalog cache trusts records for 60 s).
      await copyFile(fixturePath(FIXTURE), file);
      const writer = await openCatalog(uri);
      await ingestObject(writer, file, ['file']);
      await writer.close();
      assert.equal((await fetch(`${api.url}${tilePath('file')}`)).status, 200);
    } finally {
      await api.stop();
    }
  });

  it('corrupt block bytes under an unchanged ETag are a 502 naming the corruption, not a 500', async () => {
    const object = origin.objects.get('/corrupt.tif')!;
    const source = new FileSource(fixturePath(FIXTURE));
    const { header } = await readHeader(source);
    await source.close();
    // Every data block of every level keeps its 2-byte zlib header and loses its deflate stream.
    const bytes = Buffer.from(object.bytes);
    for (const { image } of header.levels) image.offsets.forEach((o, i) => bytes.fill(0x5a, o + 2, o + image.byteCounts[i]));
    origin.objects.set('/corrupt.tif', { bytes, etag: object.etag });
    const api = await startApi(uri, { openSource: open });
    try {
      const res = await fetch(`${api.url}${tilePath('corrupt')}`);
      assert.equal(res.status, 502);
      assert.equal(await message(res), 'the dataset\'s object is corrupt (a block of it does not decode): re-ingest it from a good copy');
      assert.match(api.logs.at(-1)!.error ?? '', /^CorruptBlockError: level \d+ block \d+,\d+ does not decode: Deflate: /);
    } finally {
      await api.stop();
    }
  });

  it('a built-in error inside the pipeline (a failed allocation, a TypeError) is a 500 that is logged, never a 400', async () => {
    for (const err of [new RangeError('Array buffer allocation failed'), new TypeError('x is not a function')]) {
      const failing = (location: string): Source => ({ location, read: () => Promise.reject(err), head: () => Promise.reject(err) });
      const api = await startApi(uri, { openSource: failing });
      try {
        const res = await fetch(`${api.url}${tilePath('http')}`);
        assert.equal(res.status, 500, err.name);
        assert.equal(await message(res), 'internal error');
        assert.equal(api.logs.at(-1)!.error, `${err.name}: ${err.message}`);
      } finally {
        await api.stop();
      }
    }
  });
});

it('one mapping from error kind to status: each error class answers the status of its kind', () => {
  const header = { levels: [] } as never;
  const cases: [unknown, number][] = [
    [new TiffError('IFD 0: bad'), 400], [new RenderInputError('colormap', 'unknown'), 400], [new UnknownCrsError(null), 400],
    [new CatalogError('key "band": empty value'), 400], [new CatalogError('no catalog', 'not-found'), 503], [new CatalogError('down', 'unavailable'), 503],
    [new ReadLimitError('maxDecodedPixels', 2, 1), 422],
    [new SourceError('s3://b/k: HTTP 503', 503, true), 502], [new ObjectMissingError('s3://b/k', 'no such object'), 502],
    [new CorruptBlockError(0, { image: 'data', bx: 0, by: 0, plane: 0, index: 0, offset: 8, byteCount: 8 }, new Error('bad')), 502],
    [new ObjectChangedError('s3://b/k', '"a"', '"b"'), 502], [new SourceTimeoutError('s3://b/k', 10), 504],
    [new RangeError('Invalid typed array length: 4294967296'), 500], [new TypeError('x'), 500], ['a string', 500], [header, 500],
  ];
  for (const [err, status] of cases) assert.equal(toApiError(err).status, status, String((err as Error)?.name ?? err));
  assert.equal(toApiError(new CatalogError('down', 'unavailable')).headers['retry-after'], '5');
  // 5xx messages name no location; 4xx ones are the error's own
  assert.equal(toApiError(new SourceError('s3://secret-bucket/k: HTTP 503', 503, true)).message, 'the object store failed (HTTP 503); try again later');
  assert.equal(toApiError(new RenderInputError('colormap', 'unknown')).message, 'colormap: unknown');
});
