/**
 * Crafted headers (test/tiff-craft.ts) through the real CLI: the IFD bomb of issue #13 (hundreds of
 * IFDs declaring a million block offsets each in one shared 1 MiB blob) is refused fast, naming the
 * cap, in a child whose memory a watchdog caps; field types GDAL refuses for sizes and offsets are
 * refused at ingest (they used to ingest and then render blank tiles), types GDAL reads still read.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openCatalog } from '../lib/catalog/open.ts';
import { readWindow } from '../lib/raster/window.ts';
import { deserializeHeader, readHeader, serializeHeader, TiffError, type CogHeader } from '../lib/tiff/index.ts';
import { LIMITS } from '../lib/tiff/ifd.ts';
import { runCapped } from './capped-child.ts';
import { MemorySource } from './helpers.ts';
import { craftCog, craftIfdBomb, T, TAG } from './tiff-craft.ts';

/** The watchdog's caps: far above what a refusal needs, far below what the machine has. */
const CAP = { capMb: 1024, timeoutMs: 60_000 };

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taoguan-tiff-caps-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function newCatalog(name: string): Promise<string> {
  const uri = `sqlite:${join(dir, `${name}.db`)}`;
  const catalog = await openCatalog(uri, { cache: false });
  await catalog.create([{ name: 'name' }]);
  await catalog.close?.();
  return uri;
}

async function rows(uri: string): Promise<number> {
  const catalog = await openCatalog(uri, { cache: false });
  try {
    return await catalog.count();
  } finally {
    await catalog.close?.();
  }
}

describe('the IFD bomb: hundreds of IFDs, a million offsets each, one shared blob', { timeout: 300_000 }, () => {
  const bombs = {
    // The issue's file: 450 IFDs × 1 Mi BYTE offsets and byte counts in a 1 MiB blob, 1.1 MB.
    'byte-offsets': craftIfdBomb(),
    // The same with the spec's LONG, in a 4 MiB blob.
    'long-offsets': craftIfdBomb({ type: T.LONG }),
  };

  for (const [name, bytes] of Object.entries(bombs)) {
    it(`${name} (${(bytes.length / 2 ** 20).toFixed(1)} MiB): info and ingest fail naming the header-values cap, in bounded memory`, async (t) => {
      const file = join(dir, `${name}.tif`);
      await writeFile(file, bytes);
      const uri = await newCatalog(name);
      for (const args of [['info', file], ['ingest', file, '--catalog', uri, '--key', `name=${name}`]]) {
        const run = await runCapped(args, CAP);
        t.diagnostic(`taoguan ${args[0]}: exit ${run.code} in ${run.ms.toFixed(0)} ms, peak RSS ${run.peakMb.toFixed(0)} MB${run.killed ? `, KILLED (${run.killed})` : ''}`);
        assert.equal(run.killed, undefined, `${args[0]} was killed by the watchdog (${run.killed}) at ${run.peakMb.toFixed(0)} MB after ${run.ms.toFixed(0)} ms`);
        assert.equal(run.code, 1, run.stdout + run.stderr);
        assert.match(run.stderr, new RegExp(`more than the cap of ${LIMITS.maxHeaderValues} header values`));
        // Node and tsx alone take ~90 MB; a header decoded value by value would take gigabytes.
        assert.ok(run.peakMb < 300, `peak RSS ${run.peakMb.toFixed(0)} MB`);
      }
      assert.equal(await rows(uri), 0, 'nothing ingested');
    });
  }

  it('a chain of more IFDs than the cap is refused, naming it', async () => {
    const bytes = craftIfdBomb({ ifds: LIMITS.maxIfds + 1, values: 16, type: T.LONG });
    await assert.rejects(readHeader(new MemorySource(bytes)), (e: Error) => e instanceof TiffError && e.message.includes(`more than ${LIMITS.maxIfds} IFDs (the cap on IFDs per file)`));
    // …and one IFD fewer is a header.
    const { header } = await readHeader(new MemorySource(craftIfdBomb({ ifds: LIMITS.maxIfds, values: 16, type: T.LONG })));
    assert.equal(header.ifdCount, LIMITS.maxIfds);
  });
});

describe('field types of size and offset tags: what GDAL refuses is refused at ingest, what it reads is read', { timeout: 120_000 }, () => {
  /** A tag, the field type it is written with, and whether the file is a BigTIFF. */
  type Case = [keyof typeof TAG, number, boolean?];
  const refused: Case[] = [
    ['ImageWidth', T.DOUBLE],
    ['ImageLength', T.RATIONAL],
    ['TileWidth', T.FLOAT],
    ['TileLength', T.SRATIONAL],
    ['TileOffsets', T.DOUBLE],
    ['TileOffsets', T.IFD8, true],
    ['TileByteCounts', T.FLOAT],
    ['BitsPerSample', T.DOUBLE],
    ['SampleFormat', T.UNDEFINED],
  ];
  const typeName = (type: number) => Object.entries(T).find(([, v]) => v === type)![0];
  const craft = ([name, type, big]: Case) => craftCog({ types: { [TAG[name]]: type }, bigTiff: big });
  const fileName = ([name, type, big]: Case) => `${name}-${typeName(type)}${big ? '-bigtiff' : ''}`;

  it('GDAL refuses each of these files', async () => {
    for (const c of refused) {
      const file = join(dir, `gdal-${fileName(c)}.tif`);
      await writeFile(file, craft(c));
      const gdal = spawnSync('gdalinfo', ['-checksum', file], { encoding: 'utf8' });
      assert.match(gdal.stderr, /Incompatible type|Invalid data type/, `${fileName(c)}: ${gdal.stderr}`);
    }
  });

  it('taoguan ingest refuses each, naming the tag and its type, and writes no row', async () => {
    await mkdir(join(dir, 'types'));
    for (const c of refused) await writeFile(join(dir, 'types', `${fileName(c)}.tif`), craft(c));
    const uri = await newCatalog('types');
    const run = await runCapped(['ingest', join(dir, 'types', '{name}.tif'), '--catalog', uri, '--no-progress'], CAP);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, new RegExp(`${refused.length} object\\(s\\): 0 inserted, 0 updated, 0 unchanged, ${refused.length} failed`));
    for (const c of refused) {
      const line = run.stderr.split('\n').find((l) => l.includes(`${fileName(c)}.tif:`));
      assert.ok(line, `a failure for ${fileName(c)}:\n${run.stderr}`);
      assert.match(line, new RegExp(`${c[0]} \\(tag ${TAG[c[0]]}\\) has field type ${typeName(c[1])} \\(${c[1]}\\); it must be an integer type`));
    }
    assert.equal(await rows(uri), 0);
  });

  it('taoguan info refuses one the same way', async () => {
    const file = join(dir, 'info-width-double.tif');
    await writeFile(file, craftCog({ types: { [TAG.ImageWidth]: T.DOUBLE } }));
    const run = await runCapped(['info', file], CAP);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /IFD 0 at byte 8: ImageWidth \(tag 256\) has field type DOUBLE \(12\); it must be an integer type \(SHORT or LONG\)/);
  });

  const accepted: Case[] = [
    ['ImageWidth', T.LONG],
    ['ImageWidth', T.SSHORT],
    ['ImageLength', T.LONG8],
    ['TileOffsets', T.LONG8],
    ['TileOffsets', T.SLONG],
    ['TileOffsets', T.LONG, true],
    ['TileByteCounts', T.SHORT],
    ['BitsPerSample', T.LONG],
  ];

  it('integer types GDAL reads give the same pixels as GDAL', async () => {
    const reference = craftCog();
    const refFile = join(dir, 'reference.tif');
    await writeFile(refFile, reference);
    const checksum = (file: string) => execFileSync('gdalinfo', ['-checksum', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).match(/Checksum=\d+/g)?.join();
    const expected = checksum(refFile);
    const refHeader = (await readHeader(new MemorySource(reference))).header;
    const refPixels = await readWindow(refHeader, new MemorySource(reference), { x: 0, y: 0, width: 256, height: 256 });
    for (const c of accepted) {
      const [name, type, big] = c;
      const bytes = craft(c);
      const file = join(dir, `ok-${name}-${type}${big ? '-big' : ''}.tif`);
      await writeFile(file, bytes);
      assert.equal(checksum(file), expected, `GDAL reads ${name} as ${typeName(type)}`);
      const { header } = await readHeader(new MemorySource(bytes));
      const got = await readWindow(header, new MemorySource(bytes), { x: 0, y: 0, width: 256, height: 256 });
      assert.deepEqual(got.bands[0], refPixels.bands[0], `${name} as ${typeName(type)}`);
    }
  });

  it('a negative value in a signed integer type is refused', async () => {
    const bytes = craftCog({ types: { [TAG.TileOffsets]: T.SLONG } });
    // The first tile offset, negated in place: SLONG -n.
    const { header } = await readHeader(new MemorySource(bytes));
    const first = header.levels[0].image.offsets[0];
    const at = Buffer.from(bytes).indexOf(Buffer.from(new Uint32Array([first]).buffer));
    new DataView(bytes.buffer).setInt32(at, -first, true);
    await assert.rejects(readHeader(new MemorySource(bytes)), /TileOffsets \(tag 324\) holds a negative value \(SLONG -\d+\)/);
  });
});

describe('the serialised header cap', () => {
  /** A real header grown to `blocks` full-resolution blocks with scattered offsets (as no packing helps). */
  async function grown(blocks: number): Promise<CogHeader> {
    const header = structuredClone((await readHeader(new MemorySource(craftCog()))).header);
    const im = header.levels[0].image;
    im.width = im.height = Math.ceil(Math.sqrt(blocks)) * im.blockWidth;
    let seed = 7;
    const rand = () => (seed = (seed * 48271) % 2147483647);
    im.offsets = Array.from({ length: blocks }, () => rand() * 4096);
    im.byteCounts = Array.from({ length: blocks }, () => rand() % 1e6);
    return header;
  }

  it('a header over the cap is refused when stored, naming the cap; the catalog stays empty', async () => {
    const header = await grown(2_000_000);
    assert.throws(() => serializeHeader(header), (e: Error) => e instanceof TiffError && e.message.includes(`more than the cap of ${LIMITS.maxSerializedHeaderBytes} bytes on a stored header`));
    const uri = await newCatalog('serialised');
    const catalog = await openCatalog(uri, { cache: false });
    try {
      await assert.rejects(catalog.put({ keys: ['big'], location: '/big.tif', size: 1, metadata: {} as never, header }), /cap of 16777216 bytes on a stored header/);
      assert.equal(await catalog.count(), 0);
    } finally {
      await catalog.close?.();
    }
  });

  it('a header of a million blocks is under it and round-trips', async () => {
    const header = await grown(1_000_000);
    const text = serializeHeader(header);
    assert.ok(text.length < LIMITS.maxSerializedHeaderBytes);
    assert.deepEqual(deserializeHeader(text).levels[0].image.offsets, header.levels[0].image.offsets);
  });
});
