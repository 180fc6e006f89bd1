/**
 * SLOW (~1–2 min; `npm pack` compiles, `npm install` resolves): the npm package as a user gets it.
 * The tarball from `npm pack` (prepack builds build/), installed with `--omit=dev` into an empty
 * folder from the local npm cache, then used only through what it installed:
 * `npx taoguan --version`, `npx taoguan demo` and `npx taoguan serve` answering real tiles, the
 * README's programmatic example run by plain Node, and its types checked by tsc as a consumer's.
 * No TypeScript loader or bundler may be installed for any of it to work.
 * TAOGUAN_PACKAGE_NODE=/path/to/node runs all of it on that Node instead (e.g. the lowest `engines`
 * allows, from npm: `npm install node@20.19.0` → node_modules/.bin/node).
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import UPNG from 'upng-js';

const ROOT = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; engines: { node: string } };
const execFileAsync = promisify(execFile);
const MB = 2 ** 20;
/** PATH for everything run from the package: TAOGUAN_PACKAGE_NODE's folder first when it is set. */
let PATH = process.env.PATH ?? '';
const childEnv = () => ({ ...process.env, PATH, NODE_OPTIONS: '' });
const run = (cmd: string, args: string[], o: { cwd?: string; maxBuffer?: number } = {}) => execFileAsync(cmd, args, { ...o, env: childEnv() });

/** Every file's bytes under a folder (what `du --apparent-size` counts). */
function folderBytes(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((n, e) => n + statSync(join(e.parentPath, e.name)).size, 0);
}

/** A PNG tile decoded: its size and how many distinct opaque colours it has. */
function decodeTile(bytes: ArrayBuffer): { width: number; height: number; colours: number } {
  const png = UPNG.decode(bytes);
  const rgba = new Uint8Array(UPNG.toRGBA8(png)[0]);
  const colours = new Set<number>();
  for (let i = 0; i < rgba.length; i += 4) if (rgba[i + 3] === 255) colours.add((rgba[i] << 16) | (rgba[i + 1] << 8) | rgba[i + 2]);
  return { width: png.width, height: png.height, colours: colours.size };
}

/** Start a long-running command; resolves with the child and the first stdout line matching `ready`. */
function startUntil(cmd: string, args: string[], cwd: string, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray; output: () => string }> {
  // its own process group, as a shell runs it: Ctrl-C (interrupt) reaches npx and the server under it alike
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv(), detached: true });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not get ready: ${out}`)), 60_000);
    const look = (chunk: Buffer) => {
      out += chunk;
      const match = ready.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match, output: () => out });
      }
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', (chunk: Buffer) => { out += chunk; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${args.join(' ')} exited ${code}: ${out}`)); });
  });
}

/** SIGINT to the whole process group, as Ctrl-C in a terminal; resolves once the child has exited. */
function interrupt(child: ChildProcess, signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    try {
      process.kill(-child.pid!, signal);
    } catch {
      resolve();
    }
  });
}

/** After Ctrl-C the server is gone: its port refuses connections (npx itself dies of the signal). */
async function assertStopped(url: string): Promise<void> {
  await assert.rejects(fetch(url, { signal: AbortSignal.timeout(5000) }), 'nothing answers after Ctrl-C');
}

describe('the npm package, packed and installed for production (slow)', { timeout: 300_000 }, () => {
  let dir: string;
  let app: string;
  let tarball: string;
  const children: ChildProcess[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taoguan-package-'));
    app = join(dir, 'app');
    mkdirSync(app);
    if (process.env.TAOGUAN_PACKAGE_NODE) {
      mkdirSync(join(dir, 'node-bin'));
      symlinkSync(process.env.TAOGUAN_PACKAGE_NODE, join(dir, 'node-bin/node'));
      PATH = `${join(dir, 'node-bin')}:${PATH}`;
    }
    await run('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: ROOT, maxBuffer: 64 * MB });
    tarball = join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz'))!);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    await run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: app, maxBuffer: 64 * MB });
  });

  after(async () => {
    for (const c of children) await interrupt(c, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('the tarball holds what runs and nothing else; the install is small and has no build tools', async (t) => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const files = stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
    assert.ok(files.includes('build/index.js') && files.includes('build/index.d.ts') && files.includes('build/serve.cjs'));
    assert.ok(files.includes('bin/taoguan.mjs') && files.includes('build/web/index.html') && files.includes('build/data/sample/jacksboro-dem.tif'));
    assert.deepEqual(files.filter((f) => /^test\/|\.ts$|\.map$/.test(f) && !f.endsWith('.d.ts')), [], 'no tests, sources or source maps');
    // the license text ships, and it is the one package.json names
    assert.ok(files.includes('LICENSE'));
    const { license } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string };
    assert.equal(readFileSync(join(ROOT, 'LICENSE'), 'utf8').split('\n')[0], `${license} License`);
    const modules = join(app, 'node_modules');
    for (const tool of ['tsx', 'esbuild', 'typescript', '@alicloud/fc2', 'tencentcloud-sdk-nodejs-scf', 'serverless', '@serverless-devs/s']) {
      assert.equal(existsSync(join(modules, tool)), false, `${tool} is not installed for production`);
    }
    const bytes = folderBytes(modules);
    const { stdout: ls } = await run('npm', ['ls', '--all', '--parseable', '--omit=dev'], { cwd: app, maxBuffer: 64 * MB });
    t.diagnostic(`tarball ${(statSync(tarball).size / MB).toFixed(2)} MB, ${files.length} files; production node_modules ${(bytes / MB).toFixed(1)} MB, ${ls.trim().split('\n').length - 1} packages; serve bundle ${(statSync(join(modules, 'taoguan/build/serve.cjs')).size / 1024).toFixed(0)} KB`);
    assert.ok(bytes <= 80 * MB, `production node_modules is ${(bytes / MB).toFixed(1)} MB, more than 80 MB`);
  });

  test('npx taoguan --version prints the package version', async (t) => {
    const { stdout } = await run('npx', ['taoguan', '--version'], { cwd: app });
    assert.equal(stdout.trim(), pkg.version);
    const node = (await run('node', ['--version'])).stdout.trim();
    t.diagnostic(`Node ${node} (engines: ${pkg.engines.node})`);
  });

  test('npx taoguan demo serves the sample; its printed tile URL (plain ASCII, curl-safe) answers a coloured tile', async () => {
    const demo = await startUntil('npx', ['taoguan', 'demo', '--port', '0'], app, /tile +(http:\S+)/);
    children.push(demo.child);
    const url = demo.match[1];
    assert.match(url, /^[\x21-\x7e]+$/);
    assert.doesNotMatch(url, /[[\]"]/, 'nothing curl reads as a glob');
    const res = await fetch(url);
    assert.equal(res.status, 200, demo.output());
    const tile = decodeTile(await res.arrayBuffer());
    assert.deepEqual([tile.width, tile.height], [256, 256]);
    assert.ok(tile.colours > 20, `a terrain ramp, not one colour (${tile.colours})`);
    const page = /page +(http:\S+)/.exec(demo.output())![1];
    assert.equal((await fetch(page)).status, 200);
    assert.equal((await fetch(new URL('/favicon.ico', page))).status, 200);
    await interrupt(demo.child);
    await assertStopped(page);
  });

  test('npx taoguan serve runs the prebuilt bundle: tiles, the page and its assets', async () => {
    const catalog = `sqlite:${join(app, 'taoguan-demo/catalog.db')}`;
    assert.ok(existsSync(join(app, 'taoguan-demo/catalog.db')), 'the demo made the catalog');
    const serve = await startUntil('npx', ['taoguan', 'serve', '-c', catalog, '--port', '0', '--workers', '1'], app, /at (http:\/\/\S+?)\/? with/);
    children.push(serve.child);
    const base = serve.match[1];
    const tilejson = await (await fetch(`${base}/singleband/jacksboro/dem/tilejson.json`)).json() as { tiles: string[]; maxzoom: number };
    assert.ok(tilejson.tiles[0].startsWith(base));
    const health = await fetch(`${base}/healthz`);
    assert.equal(((await health.json()) as { version: string }).version, pkg.version);
    for (const asset of ['/', '/web/leaflet.js', '/web/app.js']) assert.equal((await fetch(`${base}${asset}`)).status, 200, asset);
    await interrupt(serve.child);
    await assertStopped(`${base}/healthz`);
  });

  test("the README's programmatic example runs with plain Node from the installed package", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const example = /<!-- example: programmatic[^>]*-->\s*```js\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(example, 'README.md has the marked example');
    writeFileSync(join(app, 'example.mjs'), example);
    const sample = join(app, 'node_modules/taoguan/build/data/sample/jacksboro-dem.tif');
    const { stdout } = await run('node', ['example.mjs', sample], { cwd: app });
    assert.match(stdout, /EPSG:\d+/);
    assert.match(stdout, /tile \d+\/\d+\/\d+: 200 image\/png/);
    const tile = decodeTile(readFileSync(join(app, 'tile.png')).buffer as ArrayBuffer);
    assert.ok(tile.colours > 20, `${tile.colours} colours`);
  });

  test('its types check in a TypeScript consumer (NodeNext, no skipLibCheck)', async () => {
    writeFileSync(join(app, 'consumer.ts'), `
import { createApi, openCatalog, renderTile, readHeader, openSource, ingest, optimize, aws, tilesEntry, PROVIDERS, type Catalog } from 'taoguan';
const catalog: Catalog = await openCatalog('sqlite:x.db');
const res: Response = await createApi({ catalog }).fetch(new Request('http://x/'));
const handler: (event: unknown) => Promise<unknown> = tilesEntry(PROVIDERS.aws);
export { res, handler, renderTile, readHeader, openSource, ingest, optimize, aws };
// @ts-expect-error a wrong option type is caught
createApi({ catalog: 1 });
`);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, types: ['node'], lib: ['ES2022', 'DOM'] },
      files: ['consumer.ts'],
    }));
    const tsc = createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', app]).catch((e: { stdout: string }) => e);
    assert.equal(result.stdout.trim(), '');
  });
});
