/**
 * A stuck catalog, for real (issue #13, item 7): a private MariaDB server whose tables are locked by
 * an admin connection, or reached through a proxy that stops forwarding. With the pool's two
 * connections stuck, every other catalog call used to wait in mysql2's queue for as long as the
 * stall lasted. What must hold: many concurrent requests that need the catalog all get a 503 with
 * Retry-After within the catalog timeout; datasets the API already knows keep answering 200 from
 * records past their ttl, for the stale window and no longer; while the store stays down requests
 * are not made to wait the whole timeout again; and it all recovers by itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Api, RequestLog } from '../lib/api/index.ts';
import { FaultWorld, missing, QUERY_TIMEOUT_MS, StallingProxy, untilServed, type Answer } from './catalog-fault-harness.ts';

const KNOWN = ['S2/2024-01-15/B04', 'S2/2024-01-15/B08'];
const COLD = ['S2/2024-01-15/B02', 'L8/2023-06-01/B04', 'DEM/2000/h'];
const TTL_MS = 300;
const STALE_MS = 8000;
/** The catalog timeout plus room for a loaded machine; a hang is caught at 3× the timeout. */
const ANSWERED_WITHIN = QUERY_TIMEOUT_MS + 1500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

describe('a stuck MySQL catalog (tables locked, network stalled) on a private MariaDB server', { skip: missing }, () => {
  const world = new FaultWorld();
  const proxy = new StallingProxy();
  before(async () => {
    await world.start();
    await proxy.start(world.server.port);
  });
  after(async () => {
    await proxy.stop();
    await world.stop();
  });

  /** An API that has served KNOWN (and the key names), their records now past the ttl. */
  async function warmApi(port?: number) {
    const made = world.newApi({ ttlMs: TTL_MS, staleMs: STALE_MS, port });
    for (const keys of KNOWN) assert.equal((await world.tile(made.api, keys)).status, 200);
    assert.equal((await world.fetch(made.api, '/keys')).status, 200);
    // each record expires TTL_MS after it was read, so by now + TTL_MS; then answers STALE_MS more at most
    const staleUntil = Date.now() + TTL_MS + STALE_MS;
    await sleep(TTL_MS + 50);
    return { ...made, staleUntil };
  }

  /**
   * At once: 9 requests that need the store (3 /datasets pages, /metadata and a tile of each of 3
   * datasets this API never saw: 6 distinct store reads) and 3 that need not (a tile of each KNOWN
   * dataset, /keys). Each is capped at 3× the timeout, so a hang fails the test instead of stalling it.
   */
  async function burst(api: Api, logs: RequestLog[], round: number): Promise<{ cold: Answer[]; known: Answer[]; keys: Answer }> {
    const cap = (what: string, p: Promise<Answer>) => Promise.race([p, sleep(3 * QUERY_TIMEOUT_MS).then((): never => {
      throw new Error(`${what} still unanswered after ${3 * QUERY_TIMEOUT_MS} ms`);
    })]);
    const coldPaths = [0, 1, 2].map((page) => `/datasets?limit=1&page=${page}`).concat(COLD.map((k) => `/metadata/${k}`));
    const [cold, coldTiles, known, [keys]] = await Promise.all([
      Promise.all(coldPaths.map((p) => cap(p, world.fetch(api, p)))),
      Promise.all(COLD.map((k) => cap(`tile of ${k}`, world.tile(api, k, round)))),
      Promise.all(KNOWN.map((k) => cap(`tile of ${k}`, world.tile(api, k, round)))),
      Promise.all([cap('/keys', world.fetch(api, '/keys'))]),
    ]);
    for (const [i, got] of [...cold, ...coldTiles].entries()) {
      const path = i < coldPaths.length ? coldPaths[i].replace(/\?.*/, '') : undefined;
      world.assertUnavailable(got, logs.find((l) => l.status === 503 && (!path || l.path === path)));
      assert.ok(got.ms <= ANSWERED_WITHIN, `answered after ${got.ms.toFixed(0)} ms`);
    }
    for (const got of known) {
      assert.equal(got.status, 200, `a known dataset answers from its stale record: ${got.body}`);
      assert.ok(got.ms <= ANSWERED_WITHIN, `answered after ${got.ms.toFixed(0)} ms`);
    }
    assert.equal(keys.status, 200, 'key names stay known');
    return { cold: [...cold, ...coldTiles], known, keys };
  }

  const slowest = (answers: Answer[]) => Math.max(...answers.map((a) => a.ms));

  it('tables locked: 12 concurrent requests answered within the timeout (503 + Retry-After, or 200 from stale records); past the stale window, 503', async (t) => {
    const { api, logs, lines, staleUntil } = await warmApi();
    const admin = await world.server.admin();
    try {
      await admin.query('LOCK TABLES taoguan_datasets WRITE, taoguan_meta WRITE');
      const first = await burst(api, logs, 1);
      t.diagnostic(`tables locked, 12 concurrent requests: slowest answer ${slowest([...first.cold, ...first.known]).toFixed(0)} ms (catalog timeout ${QUERY_TIMEOUT_MS} ms)`);
      // the store just failed: it is asked again by one request at a time, so at most one more waits the timeout
      const second = await burst(api, logs, 2);
      const waited = second.cold.filter((a) => a.ms >= QUERY_TIMEOUT_MS);
      assert.ok(waited.length <= 1, `while the store is down, requests fail fast: ${second.cold.map((a) => a.ms.toFixed(0)).join(', ')} ms`);
      assert.match(lines.join('\n'), /MySQL catalog unavailable .*no answer within 1500 ms|no free connection within 1500 ms/);
      assert.match(lines.join('\n'), /answering from records kept in memory while the store is down \(first: S2\/2024-01-15\/B0[48]/);

      await sleep(staleUntil - Date.now() + 100);
      const past = await world.tile(api, KNOWN[0], 3);
      world.assertUnavailable(past, logs.at(-1));
      assert.ok(past.ms <= ANSWERED_WITHIN, `answered after ${past.ms.toFixed(0)} ms`);
    } finally {
      await admin.query('UNLOCK TABLES');
      await admin.end();
    }
    assert.equal((await untilServed(() => world.tile(api, COLD[0], 4))).status, 200, 'recovered with no restart');
    assert.equal((await world.tile(api, KNOWN[0], 5)).status, 200);
    assert.match(lines.at(-1)!, /the store answers again after [\d.]+ s \(meanwhile [1-9]\d* answers from stale records/);
  });

  it('network stalled (a proxy that stops forwarding): the same bound, and recovery when the path is back', async (t) => {
    const { api, logs, lines } = await warmApi(proxy.port);
    proxy.stall();
    try {
      const first = await burst(api, logs, 1);
      t.diagnostic(`network stalled, 12 concurrent requests: slowest answer ${slowest([...first.cold, ...first.known]).toFixed(0)} ms (catalog timeout ${QUERY_TIMEOUT_MS} ms)`);
      await burst(api, logs, 2);
    } finally {
      proxy.resume();
    }
    assert.equal((await untilServed(() => world.tile(api, COLD[1], 3))).status, 200, 'recovered with no restart');
    assert.equal((await world.fetch(api, '/datasets')).status, 200);
    assert.match(lines.at(-1)!, /the store answers again after/);
  });
});
