/**
 * `taoguan serve --public-url`: links in TileJSON and WMTS name the URL the operator gave, whatever
 * Host header a request carries; without it they follow the Host (the API's default). A value that is
 * not an absolute http(s) URL stops serve before it starts, naming the option.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startServe } from './helpers.ts';
import { beijingCatalog } from './serve-harness.ts';

/** GET with a Host header of our choosing (fetch does not let one be set). */
function getWithHost(url: string, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d; });
      res.on('end', () => resolve(body));
    }).on('error', reject).end();
  });
}

describe('taoguan serve --public-url', () => {
  let dir = '';
  let uri = '';
  before(async () => ({ dir, uri } = await beijingCatalog('taoguan-public-url-')));
  after(() => rm(dir, { recursive: true, force: true }));

  it('TileJSON and WMTS link to the public URL whatever the Host header says', async () => {
    const { child, url } = await startServe(['-c', uri, '--port', '0', '--workers', '1', '--quiet', '--public-url', 'https://tiles.example.cn/maps/']);
    try {
      const tilejson = JSON.parse(await getWithHost(`${url}/singleband/beijing/tilejson.json`, 'evil.example.com')) as { tiles: string[] };
      assert.match(tilejson.tiles[0], /^https:\/\/tiles\.example\.cn\/maps\/singleband\/beijing\/\{z\}\/\{x\}\/\{y\}\.png/);
      const wmts = await getWithHost(`${url}/singleband/beijing/WMTSCapabilities.xml`, 'evil.example.com');
      assert.match(wmts, /https:\/\/tiles\.example\.cn\/maps\/singleband\/beijing\//);
      assert.doesNotMatch(wmts, /evil\.example\.com/);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('without it, links follow the Host header', async () => {
    const { child, url } = await startServe(['-c', uri, '--port', '0', '--workers', '1', '--quiet']);
    try {
      const tilejson = JSON.parse(await getWithHost(`${url}/singleband/beijing/tilejson.json`, 'tiles.internal:8080')) as { tiles: string[] };
      assert.match(tilejson.tiles[0], /^http:\/\/tiles\.internal:8080\/singleband\/beijing\//);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('refuses a value that is not an absolute http(s) URL, naming the option', async () => {
    const bin = new URL('../bin/taoguan.mjs', import.meta.url).pathname;
    for (const bad of ['tiles.example.cn', 'ftp://tiles.example.cn/', 'https://tiles.example.cn/?key=1']) {
      const result = await promisify(execFile)(process.execPath, [bin, 'serve', '-c', uri, '--port', '0', '--public-url', bad]).then(() => undefined, (e: { code: number; stderr: string }) => e);
      assert.ok(result, `${bad} refused`);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /--public-url: expected an absolute http\(s\) URL/);
    }
  });
});
