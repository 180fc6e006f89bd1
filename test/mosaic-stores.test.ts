/**
 * The same mosaic from each indexing store: the SQLite world of mosaic.test.ts copied record for
 * record into the MariaDB and PostgreSQL servers on this machine, each served through createApi on
 * a real socket. Every mosaic route must give the same bytes as from SQLite, and a cold mosaic tile
 * must cost the store's own queries (key names, one select, the index for the next tiles) — not a
 * listing and a read per dataset.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { openCatalog } from '../lib/catalog/open.ts';
import { Origin, startApi, tileAt } from './api-harness.ts';
import { makeMosaicWorld, SCENES } from './mosaic-harness.ts';

const prefix = `tgmosaic${process.pid}_`;
const STORES = {
  mysql: `mysql://root@127.0.0.1:3306/test?prefix=${prefix}`,
  postgres: `postgres://postgres@127.0.0.1:5432/test?prefix=${prefix}`,
};

async function dropTables(): Promise<void> {
  const my = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', database: 'test' });
  await my.query(`DROP TABLE IF EXISTS \`${prefix}datasets\`, \`${prefix}meta\``);
  await my.end();
  const pq = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
  await pq.connect();
  await pq.query(`DROP TABLE IF EXISTS "${prefix}datasets", "${prefix}meta"`);
  await pq.end();
}

describe('a mosaic from MySQL and PostgreSQL equals the same from SQLite', () => {
  const origin = new Origin();
  let world: Awaited<ReturnType<typeof makeMosaicWorld>>;
  let paths: string[] = [];

  before(async () => {
    await origin.start();
    world = await makeMosaicWorld(origin);
    await dropTables();
    const source = await openCatalog(world.uri, { cache: false });
    for (const uri of Object.values(STORES)) {
      const target = await openCatalog(uri, { cache: false });
      await target.create(await source.keys());
      for (const s of SCENES) await target.put((await source.get(s.keys))!);
      await target.close();
    }
    const [w, s, e, n] = (await source.get(SCENES[1].keys))!.metadata.bounds;
    await source.close();
    const [x, y] = tileAt((w + e) / 2, (s + n) / 2, 12);
    const stretch = `stretch_range=${encodeURIComponent('[0,1000]')}`;
    paths = [
      `/singleband/s2/*/b04/12/${x}/${y}.png?${stretch}`,
      `/singleband/s2/*/b04/12/${x}/${y}.png?sort=-date&${stretch}`,
      `/singleband/s2/*/b04/12/${x}/${y}.png?pixel_selection=mean&${stretch}`,
      `/singleband/*/*/b04/12/${x}/${y}.png?pixel_selection=highest&${stretch}`,
      `/singleband/s2/${encodeURIComponent('[2024-06-01,2024-06-21]')}/b04/12/${x}/${y}.png?${stretch}`,
      `/singleband/s2/2024-06-1*/b04/12/${x}/${y}.png?${stretch}`,
      `/singleband/s2/*/b04/12/${x + 3}/${y}.png?${stretch}`,
      `/point/s2/*/b04?lng=${(w + e) / 2}&lat=${(s + n) / 2}`,
      '/singleband/s2/*/b04/tilejson.json',
      '/datasets?sensor=s2&date=2024-06-*',
    ];
  });
  after(async () => {
    await origin.stop();
    await world?.close();
    await dropTables();
  });

  async function answers(uri: string): Promise<{ bodies: Buffer[]; coldQueries: number }> {
    const api = await startApi(uri);
    try {
      const bodies: Buffer[] = [];
      let coldQueries = 0;
      for (const path of paths) {
        const res = await fetch(`${api.url}${path}`);
        const body = Buffer.from(await res.arrayBuffer());
        assert.equal(res.status, 200, `${uri} ${path}: ${body.toString().slice(0, 300)}`);
        bodies.push(path.includes('tilejson') ? Buffer.from(body.toString().replace(/127\.0\.0\.1:\d+/g, 'HOST')) : body);
        // the index is asked for before the tile renders (after its select), so it is counted by now
        if (bodies.length === 1) coldQueries = api.spy.queries;
      }
      return { bodies, coldQueries };
    } finally {
      await api.stop();
    }
  }

  it('every mosaic route answers byte for byte as SQLite does, a cold tile in three store queries', async () => {
    const want = await answers(world.uri);
    assert.ok(want.bodies[0].length > 1000, 'the SQLite tile has pixels');
    for (const [name, uri] of Object.entries(STORES)) {
      const got = await answers(uri);
      got.bodies.forEach((body, i) => assert.ok(body.equals(want.bodies[i]), `${name}: ${paths[i]} differs from SQLite's`));
      // key names, the tile's select, the filter's index: a listing and a get per dataset would be more
      assert.equal(got.coldQueries, 3, `${name}: store queries for the first tile`);
    }
    assert.equal(want.coldQueries, 3, 'sqlite: store queries for the first tile');
  });
});
