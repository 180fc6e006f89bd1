/**
 * Catalog faults, for real (issue #9): a private MariaDB server, started by this test in a temp dir
 * on a port of its own (never the shared one on 3306), is killed and started again under a running
 * API; one of the API's connections is killed mid-query from another client; a statement is held
 * behind a table lock. What must hold: datasets already cached keep serving, others get a 503 with
 * Retry-After and a message that names no credential, nothing hangs past the query timeout, and the
 * API recovers by itself with no restart. Skipped (saying why) where mariadbd is not installed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type mysql from 'mysql2/promise';
import { FaultWorld, missing, QUERY_TIMEOUT_MS, untilServed, waitFor } from './catalog-fault-harness.ts';

describe('catalog faults on a private MariaDB server', { skip: missing }, () => {
  const world = new FaultWorld();
  const { server } = world;
  before(() => world.start());
  after(() => world.stop());
  const newApi = () => world.newApi();
  const tile = world.tile.bind(world);
  const assertUnavailable = world.assertUnavailable.bind(world);

  it('killed and restarted mid-run: cached datasets keep serving, others get 503 fast, then it recovers by itself', async () => {
    const { api, logs } = newApi();
    const cold = newApi(); // a process that starts while the server is down
    assert.equal((await tile(api, 'S2/2024-01-15/B04')).status, 200);
    await server.kill('SIGKILL');
    try {
      const cached = await tile(api, 'S2/2024-01-15/B04', 1);
      assert.equal(cached.status, 200, `a cached dataset renders while the catalog is down: ${cached.body}`);
      for (let i = 0; i < 2; i++) {
        const down = await tile(api, 'S2/2024-01-15/B08');
        assertUnavailable(down, logs.at(-1)!);
        assert.ok(down.ms < 2000, `refused connections answer at once, took ${down.ms.toFixed(0)} ms`);
        assertUnavailable(await tile(cold.api, 'S2/2024-01-15/B04'), cold.logs.at(-1)!);
      }
    } finally {
      await server.start();
    }
    // at once, or after the back-off of a store that just failed (outage.ts): within seconds, no restart
    const back = await untilServed(() => tile(api, 'S2/2024-01-15/B08'));
    assert.equal(back.status, 200, `recovered with no restart of the API: ${back.body}`);
    assert.equal((await tile(api, 'S2/2024-01-15/B04', 2)).status, 200);
    const coldBack = await untilServed(() => tile(cold.api, 'S2/2024-01-15/B04'));
    assert.equal(coldBack.status, 200, `no failure was remembered by the process that started during the outage: ${coldBack.body}`);
  });

  it('a connection killed mid-query (KILL CONNECTION) is retried on a new one: the request succeeds', async () => {
    const { api } = newApi();
    assert.equal((await tile(api, 'S2/2024-01-15/B04')).status, 200); // key names known: the next lookup is a plain get
    const admin = await server.admin();
    try {
      // hold the get behind a lock, so it is surely in flight when its connection is killed
      await admin.query(`LOCK TABLES taoguan_datasets WRITE`);
      const pending = tile(api, 'S2/2024-01-15/B02');
      const id = await waitFor(async () => {
        const [rows] = await admin.query<mysql.RowDataPacket[]>("SELECT ID FROM information_schema.PROCESSLIST WHERE STATE LIKE '%metadata lock%' AND INFO LIKE '%taoguan_datasets%'");
        return rows[0]?.ID as number | undefined;
      });
      await admin.query(`KILL CONNECTION ${id}`);
      await admin.query('UNLOCK TABLES');
      const got = await pending;
      assert.equal(got.status, 200, `the killed query ran again on a new connection: ${got.body}`);
    } finally {
      await admin.end();
    }
  });

  it('a statement stuck behind a lock gives up after the query timeout: 503, not a hang; cached datasets serve meanwhile', async () => {
    const { api, logs } = newApi();
    assert.equal((await tile(api, 'S2/2024-01-15/B04')).status, 200);
    const admin = await server.admin();
    try {
      await admin.query(`LOCK TABLES taoguan_datasets WRITE`);
      const stuck = await Promise.race([
        tile(api, 'L8/2023-06-01/B04'),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the request hung past 3× the query timeout')), 3 * QUERY_TIMEOUT_MS)),
      ]);
      assertUnavailable(stuck, logs.at(-1)!);
      assert.match(logs.at(-1)!.error ?? '', new RegExp(`no answer within ${QUERY_TIMEOUT_MS} ms`));
      assert.ok(stuck.ms >= QUERY_TIMEOUT_MS - 100 && stuck.ms < QUERY_TIMEOUT_MS + 1500, `gave up after ${stuck.ms.toFixed(0)} ms`);
      assert.equal((await tile(api, 'S2/2024-01-15/B04', 1)).status, 200, 'a cached dataset renders meanwhile');
    } finally {
      await admin.query('UNLOCK TABLES');
      await admin.end();
    }
    // once the lock is gone: at once, or after the back-off of a store that just failed (outage.ts)
    assert.equal((await untilServed(() => tile(api, 'L8/2023-06-01/B04'))).status, 200, 'and the dataset is served once the lock is gone');
  });
});
