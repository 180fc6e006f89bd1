/**
 * Ctrl-C during `taoguan optimize`: the file being written leaves no temporaries (OUTPUT.L0.tmp …,
 * OUTPUT.partial) behind, the exit code is the shell's 130, and the output is not half there.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixturePath } from './helpers.ts';

const CLI = new URL('../bin/taoguan.mjs', import.meta.url).pathname;

describe('taoguan optimize, interrupted', () => {
  let dir: string;
  let big: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taoguan-optimize-int-'));
    big = join(dir, 'big.tif');
    // striped, uncompressed, no overviews: seconds of work for optimize, a moment for GDAL
    execFileSync('gdal_translate', ['-q', '-outsize', '6000', '6000', '-r', 'bilinear', fixturePath('u8-striped-rps7-4326.tif'), big]);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('SIGINT mid-file removes its .tmp and .partial files and exits 130', async () => {
    const out = join(dir, 'out');
    const child = spawn(process.execPath, [CLI, 'optimize', big, '-o', out, '--no-progress', '-j', '0', '--compression', 'lzw'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d; });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    // wait until the level temporaries exist, then interrupt
    let seen: string[] = [];
    for (let i = 0; i < 300 && seen.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      seen = (await readdir(out).catch(() => [])).filter((f) => f.endsWith('.tmp'));
    }
    assert.ok(seen.length > 0, `optimize made its temporaries (${stderr})`);
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    assert.deepEqual(await readdir(out), [], 'nothing left: no .tmp, no .partial, no half output');
  });
});
