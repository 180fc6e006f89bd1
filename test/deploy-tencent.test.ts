/**
 * `npm run deploy:tencent` (scripts/tools/deploy/tencent.ts) without an account: its requests go to a
 * local endpoint that records them and keeps a little SCF state, answering as the SCF API does
 * ({"Response": …}, errors with their codes). Checked: every request is signed as Tencent Cloud
 * verifies it (TC3-HMAC-SHA256, recomputed here), every action and parameter is one the SDK documents
 * (its scf_models.d.ts), the values come from tencent/*\/serverless.yml and the environment, the zips
 * are the built ones, a second run only updates, and `--dry-run` prints the calls and sends nothing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from '../scripts/tools/build.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOOL = join(ROOT, 'scripts/tools/deploy/tencent.ts');
const run = promisify(execFile);
const KEY = { id: 'AKIDtaoguantest', secret: 'taoguan-test-secret' };

interface Recorded { action: string; headers: IncomingHttpHeaders; body: string; params: Record<string, unknown> }

/** The request parameters the SDK documents for each action: `${Action}Request`'s fields in scf_models.d.ts. */
async function documentedParams(): Promise<Map<string, Set<string>>> {
  const models = await readFile(join(ROOT, 'node_modules/tencentcloud-sdk-nodejs-scf/tencentcloud/services/scf/v20180416/scf_models.d.ts'), 'utf8');
  const out = new Map<string, Set<string>>();
  for (const m of models.matchAll(/^export interface (\w+) \{\n([\s\S]*?)^\}/gm)) {
    out.set(m[1], new Set([...m[2].matchAll(/^ {4}(\w+)\??:/gm)].map((f) => f[1])));
  }
  return out;
}

/** TC3-HMAC-SHA256 as Tencent Cloud checks it (API 3.0 signature v3), from the request as received. */
function verifySignature(r: Recorded): void {
  assert.equal(r.headers.host, 'scf.tencentcloudapi.com', 'addressed to the real API');
  const auth = /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/scf\/tc3_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(String(r.headers.authorization));
  assert.ok(auth, `Authorization: ${r.headers.authorization}`);
  const [, id, date, signed, signature] = auth;
  assert.equal(id, KEY.id);
  const timestamp = String(r.headers['x-tc-timestamp']);
  assert.equal(new Date(Number(timestamp) * 1000).toISOString().slice(0, 10), date);
  const canonicalHeaders = signed.split(';').map((h) => `${h}:${String(r.headers[h]).trim().toLowerCase()}\n`).join('');
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const canonical = ['POST', '/', '', canonicalHeaders, signed, sha(r.body)].join('\n');
  const toSign = ['TC3-HMAC-SHA256', timestamp, `${date}/scf/tc3_request`, sha(canonical)].join('\n');
  const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();
  const signing = hmac(hmac(hmac(`TC3${KEY.secret}`, date), 'scf'), 'tc3_request');
  assert.equal(createHmac('sha256', signing).update(toSign).digest('hex'), signature, `${r.action}: the signature verifies`);
}

describe('deploy tencent', { timeout: 120_000 }, () => {
  let dir = '';
  let server: Server;
  let endpoint = '';
  const recorded: Recorded[] = [];
  /** What SCF would hold: functions by name (with their triggers). */
  const state = new Map<string, { config: Record<string, unknown>; triggers: Record<string, unknown>[] }>();
  const env = () => ({
    PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', STAGE: 'prod', REGION: 'ap-guangzhou', TAOGUAN_BUCKET: 'cogs-1250000000',
    TAOGUAN_CATALOG: 'mysql://taoguan:s3cret@10.0.0.10:3306/taoguan', TENCENTCLOUD_SECRETID: KEY.id, TENCENTCLOUD_SECRETKEY: KEY.secret,
  });
  const deployTool = (args: string[], e: Record<string, string> = env()) =>
    run(process.execPath, ['--import', 'tsx', TOOL, '--dist', join(dir, 'dist'), ...args], { cwd: ROOT, env: e, maxBuffer: 16 * 2 ** 20 });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taoguan-deploy-tencent-'));
    await build({ outDir: join(dir, 'dist'), providers: ['tencent'] });
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => { body += d; });
      req.on('end', () => {
        const action = String(req.headers['x-tc-action']);
        const params = JSON.parse(body || '{}') as Record<string, unknown>;
        recorded.push({ action, headers: req.headers, body, params });
        const name = String(params.FunctionName);
        const fn = state.get(name);
        const reply = (response: Record<string, unknown>) => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ Response: { ...response, RequestId: `req-${recorded.length}` } }));
        };
        const notFound = () => reply({ Error: { Code: 'ResourceNotFound.Function', Message: `function ${name} does not exist` } });
        if (action === 'GetFunction') return fn ? reply({ ...fn.config, Status: 'Active' }) : notFound();
        if (action === 'CreateFunction') {
          state.set(name, { config: params, triggers: [] });
          return reply({});
        }
        if (!fn) return notFound();
        if (action === 'UpdateFunctionCode' || action === 'UpdateFunctionConfiguration') {
          Object.assign(fn.config, params);
          return reply({});
        }
        if (action === 'ListTriggers') return reply({ TotalCount: fn.triggers.length, Triggers: fn.triggers });
        if (action === 'CreateTrigger') {
          fn.triggers.push({ Type: params.Type, TriggerName: params.TriggerName, TriggerDesc: params.TriggerDesc, Enable: 1 });
          return reply({ TriggerInfo: {} });
        }
        reply({ Error: { Code: 'InvalidAction', Message: action } });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    endpoint = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('--dry-run without credentials prints every call a first deploy makes and sends nothing', async () => {
    const { TENCENTCLOUD_SECRETID: _i, TENCENTCLOUD_SECRETKEY: _k, ...noKeys } = env();
    const { stdout } = await deployTool(['--dry-run', '--endpoint', endpoint], noKeys);
    assert.equal(recorded.length, 0);
    const calls = stdout.split('\n').filter((l) => l.startsWith('would call ')).map((l) => l.split(' ')[2]);
    assert.deepEqual(calls, ['CreateFunction', 'CreateTrigger', 'CreateFunction', 'CreateTrigger', 'CreateTrigger']);
    assert.match(stdout, /"FunctionName":"taoguan-tiles".*"MemorySize":512/);
    assert.match(stdout, /<zip, \d+ KB base64>/);
  });

  it('a first deploy: signed requests, documented actions and parameters, the yml\'s values, the built zips', async () => {
    await deployTool(['--endpoint', endpoint]);
    const documented = await documentedParams();
    for (const r of recorded) {
      assert.equal(r.headers['x-tc-version'], '2018-04-16');
      assert.equal(r.headers['x-tc-region'], 'ap-guangzhou');
      verifySignature(r);
      const fields = documented.get(`${r.action}Request`);
      assert.ok(fields, `${r.action} is an action of the SDK`);
      for (const k of Object.keys(r.params)) assert.ok(fields.has(k), `${r.action}: ${k} is a documented parameter`);
    }
    const writes = recorded.filter((r) => !['GetFunction', 'ListTriggers'].includes(r.action));
    assert.deepEqual(writes.map((r) => r.action), ['CreateFunction', 'CreateTrigger', 'CreateFunction', 'CreateTrigger', 'CreateTrigger']);

    const [tiles, apigw, ingest, created, removed] = writes.map((r) => r.params);
    const vars = (p: Record<string, unknown>) => Object.fromEntries((p.Environment as { Variables: { Key: string; Value: string }[] }).Variables.map((v) => [v.Key, v.Value]));
    assert.deepEqual([tiles.FunctionName, tiles.Handler, tiles.MemorySize, tiles.Timeout, tiles.Role, tiles.Namespace], ['taoguan-tiles', 'index.handler', 512, 30, 'taoguan-scf', 'default']);
    assert.equal(vars(tiles).TAOGUAN_CATALOG, 'mysql://taoguan:s3cret@10.0.0.10:3306/taoguan');
    assert.equal(vars(tiles).TAOGUAN_ALLOWED_BUCKETS, 'cogs-1250000000');
    assert.equal(vars(tiles).COS_REGION, 'ap-guangzhou');
    assert.equal(vars(ingest).TAOGUAN_PATTERN, 'cos://cogs-1250000000/cogs/{name}.tif');
    assert.equal(ingest.MemorySize, 1024);
    const zip = (p: Record<string, unknown>) => Buffer.from((p.Code as { ZipFile: string }).ZipFile, 'base64');
    assert.deepEqual(zip(tiles), await readFile(join(dir, 'dist/tencent/tiles.zip')));
    assert.deepEqual(zip(ingest), await readFile(join(dir, 'dist/tencent/ingest.zip')));

    assert.equal(apigw.Type, 'apigw');
    assert.deepEqual(JSON.parse(String(apigw.TriggerDesc)).api.isIntegratedResponse, 'TRUE');
    for (const [t, event] of [[created, 'cos:ObjectCreated:*'], [removed, 'cos:ObjectRemove:*']] as const) {
      assert.equal(t.Type, 'cos');
      assert.equal(t.TriggerName, 'cogs-1250000000.cos.ap-guangzhou.myqcloud.com');
      assert.deepEqual(JSON.parse(String(t.TriggerDesc)), { event, filter: { Prefix: 'cogs/', Suffix: '.tif' } });
      assert.equal(t.Enable, 'OPEN');
    }
  });

  it('a second deploy updates code and configuration and creates no trigger twice', async () => {
    recorded.length = 0;
    const { stdout } = await deployTool(['--endpoint', endpoint]);
    const writes = recorded.filter((r) => !['GetFunction', 'ListTriggers'].includes(r.action)).map((r) => `${r.action} ${r.params.FunctionName}`);
    assert.deepEqual(writes, ['UpdateFunctionCode taoguan-tiles', 'UpdateFunctionConfiguration taoguan-tiles', 'UpdateFunctionCode taoguan-ingest', 'UpdateFunctionConfiguration taoguan-ingest']);
    assert.match(stdout, /already there/);
    for (const r of recorded) verifySignature(r);
  });

  it('a setting missing, or a placeholder, stops it before any request, naming the variable', async () => {
    recorded.length = 0;
    const { TAOGUAN_CATALOG: _c, ...noCatalog } = env();
    for (const [e, message] of [
      [noCatalog, /TAOGUAN_CATALOG not set/],
      [{ ...env(), TAOGUAN_CATALOG: 'mysql://taoguan:CHANGE-ME@10.0.0.10:3306/taoguan' }, /TAOGUAN_CATALOG=\S+ is a placeholder/],
    ] as const) {
      const failed = await deployTool(['--endpoint', endpoint], e).then(() => undefined, (err: { code: number; stderr: string }) => err);
      assert.ok(failed);
      assert.equal(failed.code, 1);
      assert.match(failed.stderr, message);
    }
    assert.equal(recorded.length, 0);
  });
});
