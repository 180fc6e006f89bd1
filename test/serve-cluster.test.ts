/**
 * `taoguan serve` as systemd sees it (issue #13): a server that cannot start exits non-zero within
 * seconds, naming the cause once (a port in use, an address this machine does not have, bad
 * TAOGUAN_API_KEYS) instead of living on with nothing listening; a worker killed with SIGKILL is
 * replaced and the server answers again; workers that keep dying as they start make it exit 1.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { beijingCatalog } from './serve-harness.ts';

const bin = new URL('../bin/taoguan.mjs', import.meta.url).pathname;

interface Serve { child: ChildProcess; output: () => string; exited: Promise<number | null>; url: () => Promise<string> }

function serve(args: string[], env: Record<string, string> = {}): Serve {
  const child = spawn(process.execPath, [bin, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  const onUrl: ((url: string) => void)[] = [];
  const take = (d: Buffer) => {
    out += d.toString();
    const m = /at (http:\/\/[^\s/]+)\//.exec(out);
    if (m) onUrl.splice(0).forEach((f) => f(m[1]));
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child, exited, output: () => out,
    url: () => new Promise((resolve, reject) => {
      onUrl.push(resolve);
      void exited.then((code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    }),
  };
}

/** The exit code, or 'hung' when the process is still there after `ms`. */
async function exitWithin(s: Serve, ms: number): Promise<number | null | 'hung'> {
  const timer = new Promise<'hung'>((r) => setTimeout(() => r('hung'), ms).unref());
  const code = await Promise.race([s.exited, timer]);
  if (code === 'hung') s.child.kill('SIGKILL');
  return code;
}

const children = async (pid: number): Promise<number[]> =>
  (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean).map(Number);

/** bin's launcher → the primary → its workers. */
async function workersOf(s: Serve): Promise<{ primary: number; workers: number[] }> {
  const [primary] = await children(s.child.pid!);
  return { primary, workers: primary ? await children(primary) : [] };
}

/** A port nothing listens on now (a respawned worker listens again on the port given, so not 0). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

const count = (text: string, re: RegExp) => text.match(new RegExp(re.source, 'g'))?.length ?? 0;

describe('taoguan serve: start-up failures and dead workers', () => {
  let dir = '', uri = '';

  before(async () => ({ dir, uri } = await beijingCatalog('taoguan-cluster-')));
  after(() => rm(dir, { recursive: true, force: true }));

  it('a port in use: exit 1 within seconds, the cause said once (not once per worker)', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    try {
      const port = (busy.address() as AddressInfo).port;
      const s = serve(['-c', uri, '--port', String(port), '--workers', '2']);
      assert.equal(await exitWithin(s, 30_000), 1, s.output());
      assert.equal(count(s.output(), /port is in use/), 1, s.output());
      assert.match(s.output(), new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: .*\\(EADDRINUSE\\)`));
    } finally {
      busy.close();
    }
  });

  it('an address this machine does not have: exit 1, said once', async () => {
    const s = serve(['-c', uri, '--host', '203.0.113.7', '--port', '0', '--workers', '2']);
    assert.equal(await exitWithin(s, 30_000), 1, s.output());
    assert.equal(count(s.output(), /EADDRNOTAVAIL/), 1, s.output());
    assert.match(s.output(), /cannot listen on 203\.0\.113\.7:0: no network interface of this machine has that address/);
  });

  it('a bad TAOGUAN_API_KEYS: exit 1 naming it, once', async () => {
    const s = serve(['-c', uri, '--port', '0', '--workers', '2'], { TAOGUAN_API_KEYS: 'short' });
    assert.equal(await exitWithin(s, 30_000), 1, s.output());
    assert.equal(count(s.output(), /TAOGUAN_API_KEYS: every key must be at least 16 characters/), 1, s.output());
  });

  it('a worker killed with SIGKILL is replaced, with a log line; SIGTERM then exits 0', async () => {
    const s = serve(['-c', uri, '--port', String(await freePort()), '--workers', '1', '--quiet']);
    const url = await s.url();
    try {
      assert.equal((await fetch(`${url}/keys`)).status, 200);
      const { primary, workers: [first] } = await workersOf(s);
      process.kill(first, 'SIGKILL');
      let replaced: number | undefined;
      for (let i = 0; i < 300 && !replaced; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const now = await children(primary);
        const ok = await fetch(`${url}/keys`).then((r) => r.status === 200, () => false);
        if (ok && now.length === 1 && now[0] !== first) replaced = now[0];
      }
      assert.ok(replaced, `a new worker answers: ${s.output()}`);
      assert.match(s.output(), new RegExp(`taoguan serve: worker ${first} was killed \\(SIGKILL\\); starting another in \\d+ ms`));
      assert.deepEqual(await (await fetch(`${url}/keys`)).json(), { keys: [{ key: 'name' }] });
    } finally {
      s.child.kill('SIGTERM');
    }
    assert.equal(await exitWithin(s, 15_000), 0, s.output());
  });

  it('workers that keep dying as they start: exit 1 after five, with back-off between', async () => {
    const s = serve(['-c', uri, '--port', String(await freePort()), '--workers', '1', '--quiet']);
    await s.url();
    const killed = new Set<number>();
    // Every worker the primary starts is killed as soon as it appears, the first one just after it listened.
    const reaper = setInterval(() => void workersOf(s).then(({ workers }) => {
      for (const pid of workers) if (!killed.has(pid)) {
        killed.add(pid);
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone already */ }
      }
    }), 10);
    try {
      assert.equal(await exitWithin(s, 60_000), 1, s.output());
    } finally {
      clearInterval(reaper);
    }
    assert.match(s.output(), /taoguan serve: workers keep dying at start \(5 within 60 s\); the last: worker \d+ was killed \(SIGKILL\)/);
    const delays = [...s.output().matchAll(/starting another in (\d+) ms/g)].map((m) => Number(m[1]));
    assert.deepEqual(delays, [100, 200, 400, 800], 'doubling back-off');
  });
});
