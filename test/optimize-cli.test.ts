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
