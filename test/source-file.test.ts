import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FileSource } from '../lib/source/file.ts';
import { ObjectChangedError, SourceError } from '../lib/source/source.ts';

let dir = '';
const data = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) % 256);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taoguan-file-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const isStatus = (status: number) => (e: unknown) => e instanceof SourceError && e.status === status && !e.retryable;

test('reads exact ranges, clamps at the end, reports size and a stable ETag', async () => {
  const path = join(dir, 'a.bin');
  await writeFile(path, data);
  const source = new FileSource(path);
  const a = await source.read(100, 50);
  assert.deepEqual(a.bytes, data.subarray(100, 150));
  assert.equal(a.info.size, data.length);
  assert.match(a.info.etag ?? '', /^"[0-9a-f]+-[0-9a-f]+"$/);
  const tail = await source.read(9_990, 100);
  assert.deepEqual(tail.bytes, data.subarray(9_990));
  assert.equal(tail.info.etag, a.info.etag);
  assert.deepEqual(await source.head(), a.info);
  await assert.rejects(source.read(10_000, 1), isStatus(416));
  await assert.rejects(source.read(-1, 1), RangeError);
  await source.close();
});

test('the etag option fails reads and heads of a changed file', async () => {
  const path = join(dir, 'b.bin');
  await writeFile(path, data);
  const source = new FileSource(path);
  const { etag } = await source.head();
  assert.ok(etag);
  await source.read(0, 10, { etag });
  await assert.rejects(source.read(0, 10, { etag: '"other"' }), ObjectChangedError);

  // Rewritten in place, same size: only the mtime tells.
  await writeFile(path, data.map((b) => 255 - b));
  await utimes(path, new Date(), new Date(Date.now() + 5_000));
  await assert.rejects(source.read(0, 10, { etag }), ObjectChangedError);
  await assert.rejects(source.head({ etag }), ObjectChangedError);
  assert.deepEqual((await source.read(0, 3)).bytes, Uint8Array.of(255, 248, 241));
  await source.close();
});

test('a file replaced by rename is reopened, not read through the stale handle', async () => {
  const path = join(dir, 'c.bin');
  await writeFile(path, data);
  const source = new FileSource(path);
  const before = await source.read(0, 4);
  const next = join(dir, 'c.next');
  await writeFile(next, Uint8Array.of(9, 9, 9, 9, 9));
  await rename(next, path);
  const afterRead = await source.read(0, 4);
  assert.deepEqual(afterRead.bytes, Uint8Array.of(9, 9, 9, 9));
  assert.equal(afterRead.info.size, 5);
  await assert.rejects(source.read(0, 4, { etag: before.info.etag }), ObjectChangedError);
  await source.close();
});

test('concurrent reads share one handle; close then read reopens', async () => {
  const path = join(dir, 'd.bin');
  await writeFile(path, data);
  const source = new FileSource(path);
  const reads = await Promise.all(Array.from({ length: 20 }, (_, i) => source.read(i * 100, 100)));
  reads.forEach((r, i) => assert.deepEqual(r.bytes, data.subarray(i * 100, i * 100 + 100)));
  await source.close();
  assert.deepEqual((await source.read(5, 2)).bytes, data.subarray(5, 7));
  await source.close();
});

test('a missing file is a 404, not a retryable fault', async () => {
  const source = new FileSource(join(dir, 'missing.tif'));
  await assert.rejects(source.read(0, 10), isStatus(404));
  await assert.rejects(source.head(), isStatus(404));
});

test('an aborted signal stops a read before it starts', async () => {
  const path = join(dir, 'e.bin');
  await writeFile(path, data);
  const source = new FileSource(path);
  await assert.rejects(source.read(0, 10, { signal: AbortSignal.abort() }), { name: 'AbortError' });
  await source.close();
});

test('statMaxAgeMs: within it a pinned read skips the stat; another ETag stats at once; a renamed-over file is read whole from the version open', async () => {
  const path = join(dir, 'f.bin');
  await writeFile(path, data);
  const source = new FileSource(path, { statMaxAgeMs: 60_000 });
  const first = await source.read(0, 4);
  const etag = first.info.etag!;
  // replaced by rename: reads pinned to the old ETag still get the old version, whole and consistent
  const next = join(dir, 'f.next');
  await writeFile(next, Uint8Array.of(9, 9, 9, 9, 9));
  await rename(next, path);
  const old = await source.read(9_000, 8, { etag });
  assert.deepEqual(old.bytes, data.subarray(9_000, 9_008));
  assert.equal(old.info.size, data.length);
  // a read pinned to the new file's ETag (a re-ingest) stats the path, reopens and reads it
  const fresh = new FileSource(path);
  const { etag: newEtag } = await fresh.head();
  await fresh.close();
  assert.notEqual(newEtag, etag);
  const now = await source.read(0, 4, { etag: newEtag });
  assert.deepEqual(now.bytes, Uint8Array.of(9, 9, 9, 9));
  // and from then on the old ETag is refused
  await assert.rejects(source.read(0, 4, { etag }), ObjectChangedError);
  await source.close();

  // with the default (0), every read stats: the rename is noticed by an unpinned read at once
  await writeFile(path, data);
  const strict = new FileSource(path);
  await strict.read(0, 4);
  await writeFile(next, Uint8Array.of(7, 7, 7));
  await rename(next, path);
  assert.deepEqual((await strict.read(0, 3)).bytes, Uint8Array.of(7, 7, 7));
  await strict.close();
});

test('statMaxAgeMs: an unpinned read after the age has passed stats again and sees a replacement', async () => {
  const path = join(dir, 'g.bin');
  await writeFile(path, data);
  const source = new FileSource(path, { statMaxAgeMs: 50 });
  assert.deepEqual((await source.read(0, 2)).bytes, data.subarray(0, 2));
  const next = join(dir, 'g.next');
  await writeFile(next, Uint8Array.of(5, 6, 7));
  await rename(next, path);
  assert.deepEqual((await source.read(0, 2)).bytes, data.subarray(0, 2), 'within the age: the version open');
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual((await source.read(0, 2)).bytes, Uint8Array.of(5, 6));
  await source.close();
});
