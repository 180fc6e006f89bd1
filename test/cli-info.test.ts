import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { decodePng } from '../lib/render/png-decode.ts';
import { fixturePath, fixtures } from './helpers.ts';

const run = promisify(execFile);
const bin = new URL('../bin/taoguan.mjs', import.meta.url).pathname;

async function taoguan(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { encoding: 'utf8' });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

describe('taoguan info', () => {
  const cog = fixtures.find((f) => f.cog && f.overviews > 0 && f.epsg === 32650) ?? fixtures.find((f) => f.cog && f.overviews > 0)!;
  const striped = fixtures.find((f) => !f.tiled)!;
  let server: Server;
  let base = '';
  const seen: string[] = [];

  before(async () => {
    server = createServer((req, res) => {
      const body = readFileSync(fixturePath(decodeURIComponent(req.url!.slice(1))));
      const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '');
      seen.push(`${req.method} ${req.headers.range ?? ''}`);
      if (!m) { res.writeHead(200, { 'content-length': body.length, etag: '"x1"' }); res.end(req.method === 'HEAD' ? undefined : body); return; }
      const start = Number(m[1]), end = Math.min(Number(m[2]), body.length - 1);
      res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${body.length}`, 'content-length': end - start + 1, etag: '"x1"' });
      res.end(body.subarray(start, end + 1));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('prints JSON with the keys a user would guess', async () => {
    const { stdout, code } = await taoguan('info', fixturePath(cog.file), '--json');
    assert.equal(code, 0);
    const d = JSON.parse(stdout);
    for (const k of ['width', 'height', 'bands', 'dtype', 'epsg', 'geotransform', 'levels', 'compression', 'nodata', 'isCog', 'bounds', 'wgs84Bounds']) {
      assert.ok(k in d, `key ${k}`);
    }
    assert.equal(d.width, cog.width);
    assert.equal(d.isCog, true);
    assert.equal(d.levels.length, cog.overviews + 1);
    assert.equal(d.epsg, cog.epsg);
    const [w, s, e, n] = d.wgs84Bounds;
    assert.ok(w < e && s < n && w > 70 && e < 140 && s > 15 && n < 55, `WGS84 bounds in China: ${d.wgs84Bounds}`);
  });

  it('prints text for people, saying why a file is not a COG', async () => {
    const { stdout, code } = await taoguan('info', fixturePath(striped.file));
    assert.equal(code, 0);
    assert.match(stdout, /Size: +\d+ x \d+ px/);
    assert.match(stdout, /COG: +(NO|yes)/);
    assert.match(stdout, /strips/);
  });

  it('reads over HTTP in one request and lists it with --requests', async () => {
    seen.length = 0;
    const { stdout, code } = await taoguan('info', `${base}/${cog.file}`, '--requests');
    assert.equal(code, 0, stdout);
    assert.match(stdout, /Header read in 1 request\(s\)/);
    assert.deepEqual(seen, ['GET bytes=0-65535']);
  });

  it('fails clearly on a missing file and on a non-TIFF', async () => {
    const missing = await taoguan('info', '/nonexistent/x.tif');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /taoguan: .*x\.tif/);
    const html = await taoguan('info', new URL('../README.md', import.meta.url).pathname);
    assert.equal(html.code, 1);
    assert.match(html.stderr, /not a TIFF file/);
  });

  it('has readable --help', async () => {
    const { stdout } = await taoguan('info', '--help');
    assert.match(stdout, /--requests/);
    assert.match(stdout, /oss:\/\//);
  });
});

describe('taoguan info and tile on a CRS from the EPSG database', () => {
  let dir = '';
  let file = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taoguan-info-bng-'));
    file = join(dir, 'bng.tif');
    // the British National Grid: a datum PROJ shifts with a grid, taoguan with the EPSG Helmert
    await run('gdal_translate', ['-q', '-of', 'COG', '-a_srs', 'EPSG:27700', '-a_ullr', '520000', '190000', '540000', '170000', fixturePath('u8-packbits-tiled-3857.tif'), file]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the definition ingest would store, WGS84 bounds as gdalinfo has them, and the datum warning', async () => {
    const { stdout, code } = await taoguan('info', file, '--json');
    assert.equal(code, 0);
    const d = JSON.parse(stdout);
    assert.equal(d.epsg, 27700);
    assert.match(d.proj4, /^\+proj=tmerc .*\+datum=OSGB36 /);
    assert.ok(d.warnings.some((w: string) => /OSTN15_NTv2_OSGBtoETRS\.gsb; taoguan uses the EPSG Helmert transformation/.test(w)), d.warnings.join('\n'));
    const g = JSON.parse((await run('gdalinfo', ['-json', file])).stdout) as { wgs84Extent: { coordinates: number[][][] } };
    const ring = g.wgs84Extent.coordinates[0];
    const gdal = [Math.min(...ring.map((p) => p[0])), Math.min(...ring.map((p) => p[1])), Math.max(...ring.map((p) => p[0])), Math.max(...ring.map((p) => p[1]))];
    // 1e-4° is ~7 m: gdalinfo samples only the corners, we densify the edges
    d.wgs84Bounds.forEach((v: number, i: number) => assert.ok(Math.abs(v - gdal[i]) < 1e-4, `${d.wgs84Bounds} vs gdalinfo ${gdal}`));
    const text = await taoguan('info', file);
    assert.match(text.stdout, /\n {2}proj4: {8}\+proj=tmerc /);
  });

  it('taoguan tile renders it, warning about the datum on stderr', async () => {
    const out = join(dir, 'tile.png');
    const { stderr, code } = await taoguan('tile', file, '14/8187/5448', '-o', out);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /warning: EPSG:27700 \(OSGB36 \/ British National Grid\): PROJ shifts its datum with the grid/);
    const png = decodePng(new Uint8Array(readFileSync(out)));
    assert.ok(png.rgba.some((v, i) => i % 4 === 3 && v === 255), 'the tile has data');
  });
});
