import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ESLint } from 'eslint';

/**
 * The layer rule in eslint.boundaries.js fails `npm run lint` on an import that goes up a layer or
 * reaches past a folder's index.ts. Each case lints a file that does not exist, as if planted.
 */
const eslint = new ESLint({ cwd: process.cwd() });

async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.filter((m) => m.ruleId === 'boundaries/dependencies').map((m) => m.message);
}

test('an upward import (lib/tiff importing lib/api) fails lint, naming both ends', async () => {
  const errors = await layerErrors('lib/tiff/planted.ts', "import { STATUS } from '../api/index.ts';\nexport const planted = STATUS;\n");
  assert.equal(errors.length, 1);
  assert.match(errors[0], /^tiff may not import lib\/api\/index\.ts/);
});

test('the TIFF parser may not reach the object stores (it takes bytes)', async () => {
  const errors = await layerErrors('lib/tiff/planted.ts', "import { openSource } from '../source/index.ts';\nexport const planted = openSource;\n");
  assert.equal(errors.length, 1);
});

test('reaching past a folder\'s index.ts fails lint; the index itself passes', async () => {
  const deep = await layerErrors('lib/raster/planted.ts', "import { readIfd } from '../tiff/ifd.ts';\nexport const planted = readIfd;\n");
  assert.equal(deep.length, 1);
  assert.match(deep[0], /lib\/tiff\/ifd\.ts/);
  assert.deepEqual(await layerErrors('lib/raster/planted.ts', "import { readIfd } from '../tiff/index.ts';\nexport const planted = readIfd;\n"), []);
});

test('the product may not import the tooling, and lib may not import a cloud adapter', async () => {
  assert.equal((await layerErrors('scripts/cli/planted.ts', "import { build } from '../tools/build.ts';\nexport const planted = build;\n")).length, 1);
  assert.equal((await layerErrors('lib/api/planted.ts', "import { PROVIDERS } from '../../adapters/index.ts';\nexport const planted = PROVIDERS;\n")).length, 1);
});

test('files inside one element import each other freely', async () => {
  assert.deepEqual(await layerErrors('lib/tiff/planted.ts', "import { readIfd } from './ifd.ts';\nexport const planted = readIfd;\n"), []);
});

test('a file outside every known layer fails lint, so a new folder takes its place in the table first', async () => {
  const [result] = await eslint.lintText('export const stray = 1;\n', { filePath: 'lib/stray.ts' });
  assert.ok(result.messages.some((m) => m.ruleId === 'boundaries/no-unknown-files'));
});
