import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { openCatalog } from '../lib/catalog/open.ts';
import { fixturePath } from './helpers.ts';

const run = promisify(execFile);
const bin = new URL('../bin/taoguan.mjs', import.meta.url).pathname;

/** Bounded: before the checks, `serve -w abc` forked no worker and never exited. */
async function taoguan(...args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL',
      // the option parser is the same in the bundle; skip building it
      env: { ...process.env, TAOGUAN_SERVE_BUNDLE: 'none' },
    });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number | null };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

describe('whole-number options', () => {
  let dir = '';
  let uri = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taoguan-cli-options-'));
    await copyFile(fixturePath('u16-4band-deflate-p2-meta-utm50.tif'), join(dir, 'a_1.tif'));
    uri = `sqlite:${join(dir, 'catalog.db')}`;
    const catalog = await openCatalog(uri);
    await catalog.create([{ name: 'name' }, { name: 'n' }]);
    await catalog.close();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const bad: [string, string[], RegExp][] = [
    ['ingest --concurrency abc', ['ingest', '{name}_{n}.tif', '--concurrency', 'abc'], /--concurrency <n>' argument 'abc' is invalid/],
    ['ingest -j 0', ['ingest', '{name}_{n}.tif', '-j', '0'], /--concurrency <n>' argument '0' is invalid/],
    ['ingest -j 1.5', ['ingest', '{name}_{n}.tif', '-j', '1.5'], /--concurrency <n>' argument '1.5' is invalid/],
    ['serve -w abc', ['serve', '-w', 'abc'], /--workers <n>' argument 'abc' is invalid/],
    ['serve -w ""', ['serve', '-w', ''], /--workers <n>' argument '' is invalid/],
    ['serve -p abc', ['serve', '-p', 'abc'], /--port <port>' argument 'abc' is invalid/],
    ['serve -p 70000', ['serve', '-p', '70000'], /--port <port>' argument '70000' is invalid/],
    ['serve --catalog-stale-seconds 1h', ['serve', '--catalog-stale-seconds', '1h'], /--catalog-stale-seconds <s>' argument '1h' is invalid/],
    ['serve --catalog-stale-seconds 604801', ['serve', '--catalog-stale-seconds', '604801'], /--catalog-stale-seconds <s>' argument '604801' is invalid/],
  ];
  for (const [name, args, message] of bad) {
    it(`refuses ${name}, naming the option`, async () => {
      const tail = args[0] === 'ingest' ? ['-c', uri] : ['-c', uri, '--quiet'];
      const { stderr, code } = await taoguan(...args.map((a) => (a.startsWith('{') ? join(dir, a) : a)), ...tail);
      assert.notEqual(code, 0, stderr);
      assert.notEqual(code, null, 'exited rather than hung');
      assert.match(stderr, message);
      assert.match(stderr, /expected a whole number from \d+ to \d+/);
    });
  }

  it('serve --catalog-stale-seconds sets how long a serving process answers from stale records', async () => {
    const { serverCatalog } = await import('../scripts/cli/commands/serve.ts');
    const { CachedCatalog } = await import('../lib/catalog/cache.ts');
    for (const [seconds, ms] of [[0, 0], [90, 90_000], [undefined, 3_600_000]] as const) {
      const catalog = await serverCatalog({ catalog: uri, host: '127.0.0.1', port: 0, catalogStaleSeconds: seconds });
      assert.ok(catalog instanceof CachedCatalog);
      assert.equal(catalog.staleMs, ms);
      await catalog.close();
    }
  });

  it('still takes a good --concurrency', async () => {
    const { stdout, code, stderr } = await taoguan('ingest', join(dir, '{name}_{n}.tif'), '-c', uri, '-j', '2', '--no-progress');
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^1 object\(s\): .* 0 failed$/m);
  });
});
