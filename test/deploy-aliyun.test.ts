/**
 * s.yaml run by the real Serverless Devs CLI (`@serverless-devs/s`, a devDependency), offline. The CLI
 * renders the file (vars, `${env()}`, `${config()}`), validates each resource's props against its
 * component's schema, runs the global pre-deploy action and then calls the component. The fc3
 * component is downloaded from api.devsapp.cn at first use, which is not reachable here: in its place,
 * where the CLI caches components, the test installs one that returns fc3's published schema
 * (test/fixtures/serverless-devs) and, on deploy, records the props it is given instead of calling FC.
 * So everything up to the FC API is the CLI's own doing; the FC API itself is not exercised.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ingestConfig, tilesConfig } from '../functions/config.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const S = join(ROOT, 'node_modules/@serverless-devs/s/bin/s');
const ACCOUNT = '1234567890123456';
const run = promisify(execFile);
let dir = '', project = '', record = '';

/** What the CLI loads as `component: fc3`: fc3's schema, and a deploy that records instead of calling FC. */
const COMPONENT = `const fs = require('fs');
module.exports = class {
  getSchema() { return fs.readFileSync(__dirname + '/schema.json', 'utf8'); }
  async deploy(inputs) {
    fs.appendFileSync(process.env.FC3_RECORD, JSON.stringify({ resource: inputs.resource.name, props: inputs.props }) + '\\n');
    return {};
  }
};
`;

function env(settings: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: join(dir, 'home'), FC3_RECORD: record, ...settings };
}

/** `s ARGS` in the project; resolves to its output either way, with the exit code. */
async function s(args: string[], settings: Record<string, string>): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [S, ...args], { cwd: project, env: env(settings), timeout: 60_000 });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const { code, stdout, stderr } = e as { code: number; stdout: string; stderr: string };
    return { code, out: stdout + stderr };
  }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taoguan-sdevs-'));
  project = join(dir, 'project');
  record = join(dir, 'fc3-deploys.jsonl');
  await mkdir(join(project, 'deploy'), { recursive: true });
  await copyFile(join(ROOT, 's.yaml'), join(project, 's.yaml'));
  for (const f of ['settings.cjs', 'aliyun-settings.cjs']) await copyFile(join(ROOT, 'deploy', f), join(project, 'deploy', f));
  const component = join(dir, 'home/.s/components/devsapp.cn/v3/fc3');
  await mkdir(component, { recursive: true });
  await copyFile(join(ROOT, 'test/fixtures/serverless-devs/fc3-schema.json'), join(component, 'schema.json'));
  await writeFile(join(component, 'index.js'), COMPONENT);
  await writeFile(join(component, 'publish.yaml'), 'Edition: 3.0.0\nType: Component\nName: fc3\nVersion: 0.1.22\n');
  // the CLI's mark of a downloaded component: with it, nothing is fetched
  await writeFile(join(component, '.s.lock'), JSON.stringify({ version: '0.1.22', lastUpdateCheck: Date.now() }));
  // The CLI spawns detached daemons (an update check, and a usage report after every command) that
  // write under ~/.s after it exits; a user's settings stop them, else they race the cleanup (ENOTEMPTY)
  await writeFile(join(dir, 'home/.s/set-config.yml'), 'analysis: disable\n');
  await mkdir(join(dir, 'home/.s/config'), { recursive: true });
  await writeFile(join(dir, 'home/.s/config/update-notifier.json'), JSON.stringify({ lastUpdateCheck: Date.now() + 86_400_000 }));
  // `s config add` as a user runs it; ${config('AccountID')} in s.yaml reads it
  const added = await s(['config', 'add', '--AccessKeyID', 'AKIDEXAMPLE', '--AccessKeySecret', 'secret', '--AccountID', ACCOUNT, '-a', 'default', '-f'], {});
  assert.equal(added.code, 0, added.out);
});

after(() => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }));

const GOOD = { TAOGUAN_BUCKET: 'cogs-prod', TAOGUAN_CATALOG: 'mysql://taoguan:secret@rm-abc123.mysql.rds.aliyuncs.com:3306/taoguan' };

test('s verify: s.yaml passes the fc3 component\'s schema; a runtime FC does not offer is refused, naming the field', async () => {
  const ok = await s(['verify'], GOOD);
  assert.equal(ok.code, 0, ok.out);
  assert.match(ok.out, /verification for \[s\.yaml\] passed/);
  const yaml = await readFile(join(project, 's.yaml'), 'utf8');
  await writeFile(join(project, 's-bad.yaml'), yaml.replace(/runtime: nodejs20/g, 'runtime: nodejs24').replace('memorySize: 512', 'memorySize: 500'));
  const bad = await s(['verify', '-t', 's-bad.yaml'], GOOD);
  assert.notEqual(bad.code, 0);
  assert.match(bad.out, /tiles\/props\/runtime must be equal to one of the allowed values/);
  assert.match(bad.out, /tiles\/props\/memorySize must be multiple of 64/);
});

test('s deploy: a setting missing or left a placeholder stops it, naming the setting, before any function is deployed', async () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ TAOGUAN_BUCKET: 'cogs-prod' }, /env\('TAOGUAN_CATALOG'\) not found/],
    [{ TAOGUAN_CATALOG: GOOD.TAOGUAN_CATALOG }, /env\('TAOGUAN_BUCKET'\) not found/],
    [{ ...GOOD, TAOGUAN_CATALOG: 'mysql://taoguan:CHANGE-ME@rm-xxxxxxxx.mysql.rds.aliyuncs.com:3306/taoguan' }, /TAOGUAN_CATALOG=\S+ is a placeholder from the docs/],
    [{ ...GOOD, TAOGUAN_BUCKET: 'my-cogs-bucket' }, /TAOGUAN_BUCKET=my-cogs-bucket is a placeholder from the docs/],
  ];
  for (const [settings, message] of cases) {
    const r = await s(['deploy', '-y'], settings);
    assert.notEqual(r.code, 0, `s deploy with ${JSON.stringify(settings)} failed`);
    assert.match(r.out, message);
    assert.equal(existsSync(record), false, `nothing reached fc3 with ${JSON.stringify(settings)}`);
  }
});

test('s deploy: the settings of the command\'s environment are what both functions get, and they pass the functions\' cold-start checks', async () => {
  const r = await s(['deploy', '-y'], { ...GOOD, TAOGUAN_REGION: 'cn-shanghai', TAOGUAN_PREFIX_KEY: 'rasters/' });
  assert.equal(r.code, 0, r.out);
  const deployed = Object.fromEntries((await readFile(record, 'utf8')).trim().split('\n').map((l) => JSON.parse(l)).map((d) => [d.resource, d.props]));
  assert.deepEqual(Object.keys(deployed).sort(), ['ingest', 'tiles']);
  const { tiles, ingest } = deployed;
  for (const p of [tiles, ingest]) {
    assert.equal(p.region, 'cn-shanghai');
    assert.equal(p.role, `acs:ram::${ACCOUNT}:role/taoguan-fc`);
    assert.equal(p.environmentVariables.TAOGUAN_CATALOG, GOOD.TAOGUAN_CATALOG);
    assert.equal(p.environmentVariables.TAOGUAN_ALLOWED_BUCKETS, 'cogs-prod');
    assert.equal(p.environmentVariables.OSS_ENDPOINT, 'https://oss-cn-shanghai-internal.aliyuncs.com');
  }
  assert.equal(ingest.environmentVariables.TAOGUAN_PATTERN, 'oss://cogs-prod/rasters/{name}.tif');
  const oss = ingest.triggers[0];
  assert.equal(oss.sourceArn, `acs:oss:cn-shanghai:${ACCOUNT}:cogs-prod`);
  assert.equal(oss.triggerConfig.filter.key.prefix, 'rasters/');
  // what FC hands the functions is accepted at their cold start
  assert.equal(tilesConfig(tiles.environmentVariables).catalog, GOOD.TAOGUAN_CATALOG);
  assert.equal(ingestConfig(ingest.environmentVariables).pattern, 'oss://cogs-prod/rasters/{name}.tif');
});
