/**
 * A checkout's CLI runs from a bundle of its sources kept in node_modules/.cache (scripts/cli/cli-bundle.mjs):
 * it must be the bundle of the sources as they are, and behave as the sources do through tsx.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { sourcesKey } from '../scripts/cli/cli-bundle.mjs';
import { fixturePath } from './helpers.ts';

const run = promisify(execFile);
const ROOT = new URL('..', import.meta.url).pathname;
const bin = join(ROOT, 'bin/taoguan.mjs');
const CACHE = join(ROOT, 'node_modules/.cache/taoguan-cli');

const taoguan = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });

describe('the checkout CLI bundle', () => {
  let dir = '';
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'taoguan-cli-bundle-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  it('is keyed by the sources: an edited, touched or added file gives another key, an unchanged tree the same', async () => {
    const root = join(dir, 'tree');
    await mkdir(join(root, 'lib/a'), { recursive: true });
    await writeFile(join(root, 'lib/a/one.ts'), 'export const one = 1;\n');
    await writeFile(join(root, 'package.json'), '{}\n');
    const first = sourcesKey(root);
    assert.equal(sourcesKey(root), first, 'the same tree, the same key');
    await writeFile(join(root, 'lib/a/one.ts'), 'export const one = 2;\n');
    await utimes(join(root, 'lib/a/one.ts'), new Date(), new Date(Date.now() + 5000));
    const edited = sourcesKey(root);
    assert.notEqual(edited, first, 'an edited file');
    await writeFile(join(root, 'lib/a/two.ts'), 'export const two = 2;\n');
    assert.notEqual(sourcesKey(root), edited, 'an added file');
    await writeFile(join(root, 'lib/a/notes.txt'), 'not a source');
    const withText = sourcesKey(root);
    await writeFile(join(root, 'lib/a/notes.txt'), 'still not a source, and longer');
    assert.equal(sourcesKey(root), withText, 'files that are not sources do not count');
  });

  it('is the one a command runs, and gives the sources\' answers: info, and optimize through its decode thread (JPEG, masked)', async () => {
    const { stdout: version } = await taoguan(['--version']);
    const key = sourcesKey();
    for (const bundle of [join(CACHE, `cli-${key}`, 'main.mjs'), join(CACHE, `cli-${key}.worker.cjs`)]) {
      assert.ok(existsSync(bundle), `the bundle of these sources is kept at ${bundle}`);
    }
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version.trim(), pkg.version);

    const fixture = fixturePath('rgb-jpeg-ycbcr-mask-3857.tif');
    const [fromBundle, fromTsx] = await Promise.all([taoguan(['info', fixture, '--json']), taoguan(['info', fixture, '--json'], { TAOGUAN_CLI_BUNDLE: 'none' })]);
    assert.deepEqual(JSON.parse(fromBundle.stdout), JSON.parse(fromTsx.stdout));

    for (const [out, env] of [['bundle', {}], ['tsx', { TAOGUAN_CLI_BUNDLE: 'none' }]] as const) {
      await taoguan(['optimize', '--no-progress', '-o', join(dir, out), fixture], env);
    }
    const name = 'rgb-jpeg-ycbcr-mask-3857.tif';
    assert.ok((await readFile(join(dir, 'bundle', name))).equals(await readFile(join(dir, 'tsx', name))), 'the same COG bytes');
  });

  it('reports a bad command as the sources do', async () => {
    const fail = (env: Record<string, string>) => taoguan(['optimize', '--tile-size', '300', '-o', dir, 'x.tif'], env).then(
      () => assert.fail('optimize --tile-size 300 succeeded'),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    const [a, b] = await Promise.all([fail({}), fail({ TAOGUAN_CLI_BUNDLE: 'none' })]);
    assert.equal(a.code, b.code);
    assert.notEqual(a.code, 0);
    assert.equal(a.stderr, b.stderr);
  });
});
