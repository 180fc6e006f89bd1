/**
 * Memory. An input of several GB on disk (a sparse striped GeoTIFF: a few real rows, holes elsewhere, so it
 * costs no disk and no GDAL time to make) goes through the CLI in a child process, whose peak RSS must
 * stay under the bound the README states: memory follows the width and the tile size, never the
 * input's size. The output must be a valid COG holding the real rows. And the encoder queue is
 * bounded, whatever the encoders' speed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { openSync, closeSync, writeSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EncodePool, optimize } from '../lib/optimize/index.ts';
import type { EncodeJob } from '../lib/optimize/encode.ts';
import { readWindow } from '../lib/raster/window.ts';
import { FileSource } from '../lib/source/file.ts';
import { readHeader } from '../lib/tiff/parse.ts';
import { makeSparseTiff } from './support/synthetic.ts';
import { gdalRead, gdalValidate } from './optimize-gdal.ts';

const ROOT = new URL('..', import.meta.url).pathname;
/** The README's bound for `taoguan optimize`, CLI included. */
const BOUND_MB = 300;
const WIDTH = 16384, HEIGHT = 65536; // uint16: 2 GiB of pixels
const REAL_ROWS = { y: 40_000, rows: 16 }; // one strip of real values, straddling no tile row edge

const value = (x: number, y: number) => ((x * 7 + y * 13) % 60000) + 1;

/** The CLI in a child that reports its own peak RSS (kB) on exit. */
async function runCli(dir: string, args: string[]): Promise<{ maxRssMB: number; stdout: string }> {
  const script = join(dir, 'run.mjs');
  await writeFile(script, `process.on('exit', () => process.stderr.write('MAXRSS_KB=' + process.resourceUsage().maxRSS + '\\n'));
await import(${JSON.stringify(join(ROOT, 'bin/taoguan.mjs'))});\n`);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, ...args], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`));
      const kb = Number(/MAXRSS_KB=(\d+)/.exec(stderr)?.[1]);
      resolve({ maxRssMB: kb / 1024, stdout });
    });
  });
}

describe('optimize: an input of several GB', { timeout: 240_000 }, () => {
  let dir: string;
  let input: string;
  let output: string;
  let rss: number;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taoguan-optimize-large-'));
    input = join(dir, 'big.tif');
    output = join(dir, 'out', 'big.tif');
    const start = makeSparseTiff(input, WIDTH, HEIGHT);
    const rows = new Uint16Array(WIDTH * REAL_ROWS.rows);
    for (let y = 0; y < REAL_ROWS.rows; y++) for (let x = 0; x < WIDTH; x++) rows[y * WIDTH + x] = value(x, REAL_ROWS.y + y);
    const fd = openSync(input, 'r+');
    writeSync(fd, new Uint8Array(rows.buffer), 0, rows.byteLength, start + REAL_ROWS.y * WIDTH * 2);
    closeSync(fd);
    ({ maxRssMB: rss } = await runCli(dir, ['optimize', input, '-o', join(dir, 'out'), '--no-progress']));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it(`streams it with peak RSS under ${BOUND_MB} MB`, (t) => {
    t.diagnostic(`peak RSS ${rss.toFixed(0)} MB`);
    assert.ok(statSync(input).size >= 2 * 1024 ** 3, 'the input is at least 2 GiB');
    assert.ok(rss < BOUND_MB, `peak RSS ${rss.toFixed(0)} MB`);
  });

  it("writes a COG GDAL's validator accepts", async () => {
    const result = await gdalValidate([output]);
    assert.deepEqual(result[output], []);
  });

  it('holds the real rows and the holes, read by us and by GDAL', async () => {
    const source = new FileSource(output);
    try {
      const { header } = await readHeader(source);
      assert.equal(header.levels[0].image.width, WIDTH);
      assert.equal(header.levels[0].image.height, HEIGHT);
      const y0 = REAL_ROWS.y - 2, rows = REAL_ROWS.rows + 4;
      const win = await readWindow(header, source, { x: 0, y: y0, width: WIDTH, height: rows });
      const [gdal] = await gdalRead([{ file: output, level: 0, x: 0, y: y0, width: WIDTH, height: rows }]);
      const theirs = new Uint16Array(new Uint8Array(Buffer.from(gdal.bands[0], 'base64')).buffer);
      const expected = new Uint16Array(WIDTH * rows);
      for (let y = 2; y < 2 + REAL_ROWS.rows; y++) for (let x = 0; x < WIDTH; x++) expected[y * WIDTH + x] = value(x, y0 + y);
      assert.deepEqual(win.bands[0], expected);
      assert.deepEqual(theirs, expected);
    } finally {
      await source.close();
    }
  });
});

describe('optimize: the encoder queue', () => {
  it('never holds more tiles than the pool takes at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'taoguan-optimize-queue-'));
    class Spy extends EncodePool {
      most = 0;
      override encode(job: EncodeJob) {
        const p = super.encode(job);
        this.most = Math.max(this.most, this.inFlight);
        return p;
      }
    }
    const pool = new Spy(2);
    try {
      makeSparseTiff(join(dir, 'in.tif'), 4096, 1024);
      // 16 tiles a row at 256 px, against a capacity of 3.
      await optimize(join(dir, 'in.tif'), join(dir, 'out.tif'), { tileSize: 256, workers: pool });
      assert.equal(pool.capacity, 3);
      assert.ok(pool.most <= pool.capacity, `${pool.most} tiles queued at once`);
    } finally {
      await pool.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
