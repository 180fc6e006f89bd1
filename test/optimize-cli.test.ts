/** `taoguan optimize` refuses bad options with a message naming the option, before touching the disk. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixturePath } from './helpers.ts';

const CLI = new URL('../bin/taoguan.mjs', import.meta.url).pathname;

function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], (err, _stdout, stderr) => resolve({ code: err ? (err.code as number) : 0, stderr }));
  });
}

describe('taoguan optimize: option errors', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'taoguan-optimize-cli-')); });
  after(() => rm(dir, { recursive: true, force: true }));

  const cases: [string[], RegExp][] = [
    [['--compression', 'jpeg'], /--compression jpeg: expected deflate, lzw, zstd or none/],
    [['--compression', 'zstd', '--zstd-level', '23'], /--zstd-level 23: expected 1 to 22/],
    [['-j', 'abc'], /--workers abc: expected a whole number/],
    [['--zlevel', '12'], /--zlevel 12: expected 1 to 9/],
    [['--tile-size', '300'], /--tile-size 300: expected 256 or 512/],
  ];
  for (const [args, message] of cases) {
    it(`${args.join(' ')}: exit 1, says why, writes nothing`, async () => {
      const out = join(dir, args.join('_'));
      const r = await cli(['optimize', fixturePath('u8-striped-rps7-4326.tif'), '-o', out, '--no-progress', ...args]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, message);
      assert.equal(existsSync(out), false);
    });
  }

  it('lzw from the CLI: a COG with Compression 5', async () => {
    const out = join(dir, 'lzw');
    const r = await cli(['optimize', fixturePath('u8-striped-rps7-4326.tif'), '-o', out, '--no-progress', '--compression', 'lzw']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(out, 'u8-striped-rps7-4326.tif')));
  });

  it('zstd from the CLI: --zstd-level reaches the encoder (level 1 larger than the default 9)', async () => {
    const size = async (name: string, args: string[]) => {
      const out = join(dir, name);
      const r = await cli(['optimize', fixturePath('u16-4band-deflate-p2-meta-utm50.tif'), '-o', out, '--no-progress', '--compression', 'zstd', ...args]);
      assert.equal(r.code, 0, r.stderr);
      return statSync(join(out, 'u16-4band-deflate-p2-meta-utm50.tif')).size;
    };
    const [fast, standard] = await Promise.all([size('zstd1', ['--zstd-level', '1']), size('zstd9', [])]);
    assert.ok(fast > standard, `level 1: ${fast} B, level 9: ${standard} B`);
  });
});

describe('taoguan optimize: the deflate level', () => {
  it('the CLI\'s --zlevel default is the library\'s DEFAULT_ZLEVEL, and --help says it', async () => {
    const { DEFAULT_ZLEVEL } = await import('../lib/optimize/index.ts');
    const help = await new Promise<string>((resolve) => execFile(process.execPath, [CLI, 'optimize', '--help'], (_e, stdout) => resolve(stdout)));
    assert.match(help.replace(/\s+/g, ' '), new RegExp(`--zlevel <n> .*\\(default: "${DEFAULT_ZLEVEL}"\\)`));
  });

  it('level 1 on 8-bit tiles: Huffman codes only where the predicted tile has almost no runs of equal bytes, runs where it has them', async () => {
    const { encodeTile, predict } = await import('../lib/optimize/encode.ts');
    const { constants, deflateSync } = await import('node:zlib');
    const width = 256, height = 32;
    let seed = 11;
    const noisy = new Uint8Array(width * height * 3).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    // a few flat spots: some runs, far under 1 word in 64 (RLE would code them, so the bytes differ)
    const fewRuns = noisy.slice();
    for (let k = 0; k < 10; k++) fewRuns.fill(100, k * 2000 + 7, k * 2000 + 31);
    // every other row flat: half the predicted words are runs of zeros
    const runs = noisy.map((v, i) => (Math.floor(i / (width * 3)) % 2 ? 100 : v));
    for (const [tile, strategy] of [[fewRuns, constants.Z_HUFFMAN_ONLY], [runs, constants.Z_RLE]] as const) {
      const job = () => ({ data: tile.slice(), width, height, samplesPerPixel: 3, bytesPerSample: 1, predictor: 2 as const, codec: 'deflate' as const, level: 1 });
      const predicted = job();
      predict(predicted);
      assert.deepEqual(encodeTile(job()), new Uint8Array(deflateSync(predicted.data, { level: 1, memLevel: 9, strategy })));
      const other = strategy === constants.Z_RLE ? constants.Z_HUFFMAN_ONLY : constants.Z_RLE;
      assert.notDeepEqual(encodeTile(job()), new Uint8Array(deflateSync(predicted.data, { level: 1, memLevel: 9, strategy: other })), 'the two strategies differ on this tile');
    }
  });

  it('level 1 codes runs only: a tile whose rows repeat (matches a row back, no runs) stays far larger than at level 4; both inflate to the same bytes', async () => {
    const { encodeTile } = await import('../lib/optimize/encode.ts');
    const { inflateSync } = await import('node:zlib');
    const row = new Uint8Array(256).map((_, i) => (i * 2654435761) >>> 24);
    const tile = () => {
      const t = new Uint8Array(256 * 64);
      for (let y = 0; y < 64; y++) t.set(row, y * 256);
      return t;
    };
    const job = (level: number) => ({ data: tile(), width: 256, height: 64, samplesPerPixel: 1, bytesPerSample: 1, predictor: 1 as const, codec: 'deflate' as const, level });
    const [runs, zlib4] = [encodeTile(job(1)), encodeTile(job(4))];
    assert.ok(runs.length > 4 * zlib4.length, `level 1: ${runs.length} B, level 4: ${zlib4.length} B`);
    assert.deepEqual(new Uint8Array(inflateSync(runs)), tile());
    assert.deepEqual(new Uint8Array(inflateSync(zlib4)), tile());
  });
});

describe('taoguan optimize from the CLI bundle', () => {
  // serve's bundle is the whole CLI, its import.meta.url lib/api's: the decode thread must still be found
  it('decodes a JPEG input in its worker thread, and writes the COG the sources write', async () => {
    const { buildServeBundle } = await import('../scripts/cli/serve-bundle.mjs');
    const bundle = await buildServeBundle();
    const dir = await mkdtemp(join(tmpdir(), 'taoguan-optimize-bundle-'));
    try {
      const input = fixturePath('rgb-jpeg-ycbcr-mask-3857.tif');
      const run = (script: string, out: string) => new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(process.execPath, [script, 'optimize', input, '-o', out, '--no-progress'], (err, _stdout, stderr) => resolve({ code: err ? (err.code as number) : 0, stderr }));
      });
      const [fromBundle, fromSources] = await Promise.all([run(bundle.file, join(dir, 'bundle')), run(CLI, join(dir, 'sources'))]);
      assert.equal(fromBundle.code, 0, fromBundle.stderr);
      assert.equal(fromSources.code, 0, fromSources.stderr);
      const { readFile } = await import('node:fs/promises');
      const name = 'rgb-jpeg-ycbcr-mask-3857.tif';
      assert.deepEqual(await readFile(join(dir, 'bundle', name)), await readFile(join(dir, 'sources', name)));
    } finally {
      bundle.cleanup();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
