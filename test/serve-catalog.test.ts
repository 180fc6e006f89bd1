/**
 * A serve worker's catalog calls to the primary, over a real IPC channel (a child process with
 * PrimaryCatalog; this test plays the primary): bounded by the store's timeout plus the IPC margin,
 * so a primary that never answers costs a worker's request a 503, not a hang; a reply that comes
 * after its call gave up is dropped, and the channel keeps working.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { it } from 'node:test';
import { IPC_MARGIN_MS } from '../lib/catalog/ipc.ts';

const module = new URL('../lib/catalog/ipc.ts', import.meta.url).href;
const STORE_TIMEOUT_MS = 600;

/** The worker: three gets in turn, each reported back with what it got and how long it took. */
const WORKER = `
const { PrimaryCatalog } = await import(${JSON.stringify(module)});
const catalog = new PrimaryCatalog('mysql://primary', ${STORE_TIMEOUT_MS});
for (const keys of [['a'], ['b'], ['c']]) {
  const t0 = Date.now();
  const outcome = await catalog.get(keys).then((value) => ({ value }), (e) => ({ error: e.message, name: e.name, code: e.code }));
  process.send({ report: { keys, ...outcome, ms: Date.now() - t0 } });
}
process.disconnect();
`;

it('a worker gives up on a primary that does not answer within the store timeout + margin: "unavailable"; a late reply is dropped', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', WORKER], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const reports: { keys: string[]; value?: unknown; error?: string; name?: string; code?: string; ms: number }[] = [];
  const watchdog = setTimeout(() => child.kill('SIGKILL'), 15_000);
  child.on('message', (m: { catalogCall?: { id: number; args: string[][] }; report?: (typeof reports)[number] }) => {
    if (m.report) reports.push(m.report);
    const call = m.catalogCall;
    if (!call) return;
    const [keys] = call.args;
    // 'a': never answered (a stuck primary); 'b': answered after the worker gave up, while 'c' waits; 'c': a little later
    const reply = (value: string, ms: number) => setTimeout(() => child.connected && child.send({ catalogReply: { id: call.id, value } }), ms);
    if (keys[0] === 'b') reply('late b', STORE_TIMEOUT_MS + IPC_MARGIN_MS + 200);
    if (keys[0] === 'c') reply('record c', 500);
  });
  const [code] = await once(child, 'exit');
  clearTimeout(watchdog);
  assert.equal(code, 0, `the worker finished (${JSON.stringify(reports)})`);
  const bound = STORE_TIMEOUT_MS + IPC_MARGIN_MS;
  for (const r of reports.slice(0, 2)) {
    assert.equal(r.name, 'CatalogError', JSON.stringify(r));
    assert.equal(r.code, 'unavailable');
    assert.match(r.error!, new RegExp(`the serve primary did not answer a catalog get within ${bound} ms`));
    assert.ok(r.ms >= bound - 50 && r.ms < bound + 3000, `gave up after ${r.ms} ms`);
  }
  assert.deepEqual(reports[2].value, 'record c', 'the late reply to "b" was not taken for "c"');
});
