/**
 * A block that does not decode fails optimize with a CorruptBlockError naming that block, whether the
 * blocks are decoded in a worker thread (a batch per read, pool.ts) or inline (workers: 0).
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { optimize } from '../lib/optimize/index.ts';
import { CorruptBlockError } from '../lib/raster/index.ts';
import { FileSource } from '../lib/source/file.ts';
import { readHeader } from '../lib/tiff/parse.ts';
import { fixturePath } from './helpers.ts';

describe('optimize: a corrupt input block', () => {
  let dir: string;
  let bad: string;
  let named: RegExp;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taoguan-corrupt-'));
    bad = join(dir, 'bad.tif');
    await copyFile(fixturePath('rgb-striped-rps7-lzw-band-4326.tif'), bad);
    const src = new FileSource(bad);
    const im = (await readHeader(src)).header.levels[0].image;
    await src.close();
    // a strip in the middle of the image (and of a read), its LZW codes replaced by invalid ones
    const strip = Math.floor(im.offsets.length / 2);
    // band-planar: each plane's strips in turn
    const perPlane = im.offsets.length / im.samplesPerPixel;
    const plane = Math.floor(strip / perPlane);
    named = new RegExp(`^level 0 block 0,${strip % perPlane}${plane ? ` \\(plane ${plane}\\)` : ''} does not decode: .*LZW: corrupt stream`);
    const f = await open(bad, 'r+');
    await f.write(new Uint8Array(im.byteCounts[strip]).fill(0xff), 0, im.byteCounts[strip], im.offsets[strip]);
    await f.close();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const workers of [1, 0]) {
    it(`workers: ${workers}`, async () => {
      await assert.rejects(optimize(bad, join(dir, `out-${workers}.tif`), { workers }), (e: Error) => {
        assert.ok(e instanceof CorruptBlockError, `${e.name}: ${e.message}`);
        assert.match(e.message, named);
        return true;
      });
    });
  }
});
