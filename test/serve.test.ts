import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stretchToIndices } from '../lib/render/stretch.ts';
import { tileBounds, WebMercatorQuad } from '../lib/grids/tms.ts';
import { fixturePath, startServe } from './helpers.ts';
import { beijingCatalog, SERVE_FIXTURE } from './serve-harness.ts';

const FILE = SERVE_FIXTURE;

describe('taoguan serve', () => {
  let dir = '';
  let uri = '';

  before(async () => ({ dir, uri } = await beijingCatalog('taoguan-serve-')));
  after(() => rm(dir, { recursive: true, force: true }));

  it('serves with 2 workers on one port, logs a line per request, and stops cleanly on SIGTERM', async () => {
    const port = String(20000 + Math.floor(Math.random() * 20000));
    const { child, url, out } = await startServe(['-c', uri, '--port', port, '--workers', '2']);
    const res = await Promise.all(Array.from({ length: 8 }, () => fetch(`${url}/keys`).then((r) => r.json())));
    assert.deepEqual(res[0], { keys: [{ key: 'name' }] });
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(out.join('').split('\n').filter((l) => /GET \/keys 200 [\d.]+ms/.test(l)).length >= 8, out.join(''));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 8000))]);
    assert.notEqual(code, 'timeout', 'stopped within 8 s');
  });

  it('workers ask the primary for the catalog: only the primary loads SQLite, and answers stay right', async () => {
    const { child, url } = await startServe(['-c', uri, '--port', '0', '--workers', '2', '--quiet']);
    try {
      const md = await (await fetch(`${url}/metadata/beijing`)).json() as { bounds: number[] };
      const [w, s, e, n] = md.bounds;
      const z = 12, lat = ((s + n) / 2) * Math.PI / 180;
      const x = Math.floor((((w + e) / 2 + 180) / 360) * 2 ** z), y = Math.floor(((1 - Math.log(Math.tan(lat) + 1 / Math.cos(lat)) / Math.PI) / 2) * 2 ** z);
      const tile = await fetch(`${url}/singleband/beijing/${z}/${x}/${y}.png`);
      assert.equal(tile.status, 200);
      assert.equal(tile.headers.get('content-type'), 'image/png');
      assert.equal((await fetch(`${url}/singleband/nowhere/${z}/${x}/${y}.png`)).status, 404, 'an unknown dataset is still a 404');
      assert.deepEqual(await (await fetch(`${url}/datasets`)).json(), { datasets: [{ name: 'beijing' }], limit: 100, page: 0 });
      // The processes: bin's launcher → the primary (the one with SQLite's engine) → its workers.
      const kids = (pid: number) => readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').then((t) => t.trim().split(/\s+/).filter(Boolean).map(Number));
      const [primary] = await kids(child.pid!);
      const workers = await kids(primary);
      assert.equal(workers.length, 2);
      // SQLite holds its database file open: in the primary, never in a worker.
      const opens = async (pid: number) => (await Promise.all((await readdir(`/proc/${pid}/fd`)).map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')))).some((f) => f.endsWith('catalog.db'));
      assert.ok(await opens(primary), 'the primary has the catalog open');
      for (const pid of workers) assert.ok(!(await opens(pid)), 'a worker has no catalog of its own');
      const cmdline = await readFile(`/proc/${workers[0]}/cmdline`, 'utf8');
      assert.doesNotMatch(cmdline, /tsx/, 'workers run the bundle, not tsx');
      // from a checkout, the CLI's cached bundle (scripts/cli/cli-bundle.mjs), not one built for this start
      assert.match(cmdline, /node_modules\/\.cache\/taoguan-cli\/cli-[0-9a-f]+\/main\.mjs/);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('refuses a missing catalog with a clear message', async () => {
    await assert.rejects(startServe(['-c', `sqlite:${join(dir, 'nope.db')}`, '--port', '0', '--workers', '1']), /taoguan catalog create/);
  });

  it("GDAL's own TMS client reads the tiles into a mosaic equal to gdalwarp of the source", async () => {
    const { child, url } = await startServe(['-c', uri, '--port', '0', '--workers', '1', '--quiet']);
    try {
      const z = 15, x = 26978, y = 12416;
      const [w, s, e, n] = tileBounds(WebMercatorQuad, z, x, y);
      const xml = join(dir, 'tms.xml');
      // GDAL_WMS TMS service: ${z}/${x}/${y} in GDAL's template syntax; the query passes through.
      await writeFile(xml, `<GDAL_WMS><Service name="TMS"><ServerUrl>${url}/singleband/beijing/\${z}/\${x}/\${y}.png?stretch_range=[900,2600]</ServerUrl></Service>
<DataWindow><UpperLeftX>-20037508.34</UpperLeftX><UpperLeftY>20037508.34</UpperLeftY><LowerRightX>20037508.34</LowerRightX><LowerRightY>-20037508.34</LowerRightY><TileLevel>${z}</TileLevel><TileCountX>1</TileCountX><TileCountY>1</TileCountY><YOrigin>top</YOrigin></DataWindow>
<Projection>EPSG:3857</Projection><BlockSizeX>256</BlockSizeX><BlockSizeY>256</BlockSizeY><BandsCount>4</BandsCount></GDAL_WMS>`);
      const mosaic = join(dir, 'mosaic.tif');
      execFileSync('gdal_translate', ['-q', '-projwin', String(w), String(n), String(e), String(s), xml, mosaic], { env: { ...process.env, GDAL_HTTP_TIMEOUT: '20' } });
      const ref = join(dir, 'ref.tif');
      execFileSync('gdalwarp', ['-q', '-t_srs', 'EPSG:3857', '-te', String(w), String(s), String(e), String(n), '-ts', '256', '256', '-r', 'near', '-dstalpha', fixturePath(FILE), ref]);
      const read = (f: string, band: number, type: 'u8' | 'f8') => {
        const b64 = execFileSync('/usr/bin/python3', ['-c', `import sys,base64; from osgeo import gdal; d=gdal.Open(sys.argv[1]); print(base64.b64encode(d.GetRasterBand(${band}).ReadAsArray().astype('${type === 'u8' ? 'u1' : '<f8'}').tobytes()).decode())`, f], { encoding: 'utf8' });
        const buf = Buffer.from(b64, 'base64');
        return type === 'u8' ? new Uint8Array(buf) : new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
      };
      const grey = read(mosaic, 1, 'u8'), alpha = read(mosaic, 4, 'u8');
      const values = read(ref, 1, 'f8') as Float64Array, refAlpha = read(ref, 5, 'u8') as Uint8Array;
      const expected = stretchToIndices(values, refAlpha, 900, 2600);
      let same = 0, valid = 0;
      for (let i = 0; i < 65536; i++) {
        assert.equal(alpha[i] === 0, refAlpha[i] === 0, `pixel ${i}: transparency`);
        if (refAlpha[i]) { valid++; if (grey[i] === expected[i]) same++; }
      }
      assert.ok(valid > 1000 && same / valid >= 0.99, `${same}/${valid}`);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

