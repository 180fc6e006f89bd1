/**
 * The deployment files point at what `npm run build` makes: s.yaml (Serverless Devs, FC 3.0) and the
 * Tencent SCF component configs name code paths and handlers that exist and load; serverless.yml
 * (AWS) packages with the pinned Serverless Framework v3, offline and without a login, and refuses to
 * with a setting missing or left a placeholder. Every file names a Node runtime the package supports
 * and sets the same variables, each one something the functions read.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { parse } from 'yaml';
import { ingestConfig, tilesConfig } from '../functions/config.ts';
import { cacheBudget, ingestCaps, MIN_REQUEST_MB, requestMemory, tileCaps } from '../functions/memory.ts';
import { OBJECT_STORES } from '../lib/source/index.ts';
import { build } from '../scripts/tools/build.ts';
import { readSpecs } from '../scripts/tools/deploy/tencent.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taoguan-deploy-'));
  await build({ outDir: join(dir, 'dist') });
});

after(() => rm(dir, { recursive: true, force: true }));

/** A repo path under dist/ → the same path in this test's build. */
const built = (path: string) => join(dir, relative(ROOT, resolve(ROOT, path)));

/** The handler "index.handler" of the code at `code` loads in a fresh process and is a function. */
async function assertHandler(code: string, handler: string): Promise<void> {
  const [file, name] = handler.split('.');
  let index = join(code, `${file}.js`);
  if (code.endsWith('.zip')) {
    const files = unzipSync(await readFile(code));
    assert.ok(files[`${file}.js`], `${code} has no ${file}.js at its root`);
    index = join(code.replace(/\.zip$/, ''), `${file}.js`);
  }
  const env = { PATH: process.env.PATH ?? '', TAOGUAN_CATALOG: 'sqlite:/tmp/none.db', TAOGUAN_PATTERN: 'oss://b/{name}.tif' };
  const { stdout } = await run(process.execPath, ['-e', `process.stdout.write(typeof require(${JSON.stringify(index)})[${JSON.stringify(name)}])`], { env });
  assert.equal(stdout, 'function', `${index} exports no ${name}`);
}

test('s.yaml: FC 3.0 functions use built code and handlers; HTTP and OSS triggers as documented', async () => {
  const s = parse(await readFile(join(ROOT, 's.yaml'), 'utf8'));
  assert.equal(s.edition, '3.0.0');
  const { tiles, ingest } = s.resources;
  for (const r of [tiles, ingest]) {
    assert.equal(r.component, 'fc3');
    assert.match(r.props.code, /^\.\/dist\/aliyun\//);
    await assertHandler(built(r.props.code), r.props.handler);
  }
  const http = tiles.props.triggers[0];
  assert.equal(http.triggerType, 'http');
  assert.equal(http.triggerConfig.authType, 'anonymous');
  assert.deepEqual(http.triggerConfig.methods, ['GET', 'HEAD']);
  const oss = ingest.props.triggers[0];
  assert.equal(oss.triggerType, 'oss');
  assert.deepEqual(oss.triggerConfig.events, ['oss:ObjectCreated:*', 'oss:ObjectRemoved:DeleteObject']);
  assert.ok(oss.triggerConfig.filter.key.prefix && oss.triggerConfig.filter.key.suffix);
});

test('tencent/*/serverless.yml: scf components use built code and handlers; apigw integrated response and cos events', async () => {
  for (const fn of ['tiles', 'ingest']) {
    const file = join(ROOT, 'tencent', fn, 'serverless.yml');
    const c = parse(await readFile(file, 'utf8'));
    assert.equal(c.component, 'scf');
    await assertHandler(built(resolve(dirname(file), c.inputs.src.src)), c.inputs.handler);
    const kinds = c.inputs.events.map((e: Record<string, unknown>) => Object.keys(e)[0]);
    if (fn === 'tiles') {
      assert.deepEqual(kinds, ['apigw']);
      assert.equal(c.inputs.events[0].apigw.parameters.endpoints[0].function.isIntegratedResponse, true);
    } else {
      assert.deepEqual(kinds, ['cos', 'cos']);
    }
  }
});

test('serverless.yml: `serverless package` (v3, pinned) succeeds offline with the prebuilt zips', { timeout: 180_000 }, async () => {
  const { version } = JSON.parse(await readFile(join(ROOT, 'node_modules/serverless/package.json'), 'utf8'));
  assert.match(version, /^3\./);
  await copyFile(join(ROOT, 'serverless.yml'), join(dir, 'serverless.yml'));
  await mkdir(join(dir, 'deploy'));
  for (const f of ['aws-settings.cjs', 'settings.cjs']) await copyFile(join(ROOT, 'deploy', f), join(dir, 'deploy', f));
  await mkdir(join(dir, 'home'));
  // No login, telemetry or update checks; dummy keys so nothing looks for a profile.
  const env = {
    PATH: process.env.PATH ?? '', HOME: join(dir, 'home'), SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off',
    SLS_DEPRECATION_DISABLE: '*', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', TAOGUAN_BUCKET: 'cogs-test',
  };
  // A setting missing, or left as the docs' placeholder, fails the command naming it: nothing deploys with a default.
  for (const [missing, message] of [
    [{ TAOGUAN_BUCKET: 'cogs-test' }, /TAOGUAN_CATALOG is not set/],
    [{ TAOGUAN_CATALOG: 'sqlite:/tmp/c.db' }, /TAOGUAN_BUCKET is not set/],
    [{ TAOGUAN_BUCKET: 'cogs-test', TAOGUAN_CATALOG: 'mysql://taoguan:CHANGE-ME@taoguan.xxxx.rds.amazonaws.com:3306/taoguan' }, /TAOGUAN_CATALOG=\S+ is a placeholder/],
  ] as const) {
    const failed = await run(join(ROOT, 'node_modules/.bin/serverless'), ['package'], { cwd: dir, env: { ...env, TAOGUAN_BUCKET: '', ...(missing as Record<string, string>) }, timeout: 170_000 }).then(() => undefined, (e: { code: number; stdout: string; stderr: string }) => e);
    assert.ok(failed, `serverless package refused ${JSON.stringify(missing)}`);
    assert.match(failed.stdout + failed.stderr, message);
  }
  await run(join(ROOT, 'node_modules/.bin/serverless'), ['package'], { cwd: dir, env: { ...env, TAOGUAN_CATALOG: 'mysql://taoguan:secret@db.internal:3306/taoguan' }, timeout: 170_000 });
  const template = JSON.parse(await readFile(join(dir, '.serverless/cloudformation-template-update-stack.json'), 'utf8'));
  const fns = Object.values(template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>).filter((r) => r.Type === 'AWS::Lambda::Function');
  const handlers = fns.map((f) => [f.Properties.FunctionName, f.Properties.Handler]).filter(([n]) => /tiles|ingest/.test(String(n)));
  assert.deepEqual(handlers.map(([, h]) => h), ['index.handler', 'index.handler']);
  // The prebuilt artifacts are what gets uploaded.
  const keys = fns.map((f) => String((f.Properties.Code as { S3Key?: string }).S3Key));
  for (const zip of ['tiles.zip', 'ingest.zip']) assert.ok(keys.some((k) => k.endsWith(`/${zip}`)), `${zip} in ${keys.join(', ')}`);
  assert.ok(Object.values(template.Resources as Record<string, { Type: string }>).some((r) => r.Type === 'AWS::ApiGatewayV2::Api'));
  // the settings of the command's environment are what the functions get
  const envOf = (f: { Properties: Record<string, unknown> }) => (f.Properties.Environment as { Variables: Record<string, string> }).Variables;
  const ours = fns.filter((f) => /-(tiles|ingest)$/.test(String(f.Properties.FunctionName)));
  assert.equal(ours.length, 2);
  for (const f of ours) {
    assert.equal(envOf(f).TAOGUAN_CATALOG, 'mysql://taoguan:secret@db.internal:3306/taoguan');
    assert.equal(envOf(f).TAOGUAN_ALLOWED_BUCKETS, 'cogs-test');
  }
});

test('the deployment files\' memory sizes, caches and caps agree: a request has room, the one-block COG is refused, legitimate tiles and ingests are not', async () => {
  const MiB = 2 ** 20;
  const yaml = async (file: string) => parse(await readFile(join(ROOT, file), 'utf8'));
  const s = await yaml('s.yaml'), aws = await yaml('serverless.yml');
  const scf = { tiles: (await yaml('tencent/tiles/serverless.yml')).inputs, ingest: (await yaml('tencent/ingest/serverless.yml')).inputs };
  const functions: [string, 'tiles' | 'ingest', number, Record<string, string>][] = [
    ['s.yaml', 'tiles', s.resources.tiles.props.memorySize, s.resources.tiles.props.environmentVariables],
    ['s.yaml', 'ingest', s.resources.ingest.props.memorySize, s.resources.ingest.props.environmentVariables],
    ['serverless.yml', 'tiles', aws.functions.tiles.memorySize ?? aws.provider.memorySize, { ...aws.provider.environment, ...aws.functions.tiles.environment }],
    ['serverless.yml', 'ingest', aws.functions.ingest.memorySize ?? aws.provider.memorySize, { ...aws.provider.environment, ...aws.functions.ingest.environment }],
    ['tencent/tiles/serverless.yml', 'tiles', scf.tiles.memorySize, scf.tiles.environment.variables],
    ['tencent/ingest/serverless.yml', 'ingest', scf.ingest.memorySize, scf.ingest.environment.variables],
  ];
  for (const [file, fn, memoryMb, env] of functions) {
    const at = `${file} ${fn} (${memoryMb} MB)`;
    const config = tilesConfig({ ...env, TAOGUAN_CATALOG: 'sqlite:/tmp/x.db' });
    const derived = cacheBudget(memoryMb);
    const caches = fn === 'tiles' ? (config.tileCacheBytes ?? derived.tileCacheBytes!) + (config.blockCacheBytes ?? derived.blockCacheBytes!) : 0;
    const free = requestMemory(memoryMb, caches)!;
    assert.ok(free >= MIN_REQUEST_MB * MiB, `${at}: ${Math.round(caches / MiB)} MB of caches leave ${Math.round(free / MiB)} MB for a request`);
    if (fn === 'tiles') {
      const caps = { ...tileCaps(free), ...Object.fromEntries(Object.entries(config).filter(([k, v]) => k.startsWith('max') && v !== undefined)) };
      assert.ok(caps.maxDecodedBytes! < 256 * MiB, `${at}: the one-block COG's z0 tile (256 MiB decoded) is refused`);
      // A 1024 px (512 @2x) RGB tile of three Sentinel-2 bands with masks, blocks incompressible: 3 × 16 × (512 KiB + 256 KiB).
      assert.ok(caps.maxDecodedBytes! >= 36 * MiB && caps.maxSourceBytes! >= 36 * MiB, `${at}: a 1024 px RGB tile fits`);
    } else {
      const caps = ingestCaps(free);
      assert.ok(caps.maxDecodedPixels! < 8192 ** 2, `${at}: the one-block COG's statistics (67 M pixels) are refused`);
      assert.ok(caps.maxDecodedPixels! > 2 * 1373 ** 2 && caps.maxDecodedBytes! > 3 * 1373 ** 2, `${at}: a Sentinel-2 band with its mask is ingested`);
    }
  }
});


/** The settings a user exports for the deploy command, as the README shows them. */
const SETTINGS: Record<string, string> = { TAOGUAN_BUCKET: 'cogs-1250000000', TAOGUAN_CATALOG: 'mysql://taoguan:secret@10.0.0.10:3306/taoguan', STAGE: 'dev', REGION: 'ap-guangzhou' };

interface Deployment { file: string; cloud: 'aliyun' | 'aws' | 'tencent'; scheme: string; fn: 'tiles' | 'ingest'; runtime: string; memoryMb: number; env: Record<string, string> }

const at = (o: unknown, path: string): unknown => path.split('.').reduce((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);

/** `${…}` references in the strings of `value`, replaced through `lookup` until none is left. */
function substitute(value: unknown, lookup: (ref: string) => unknown): unknown {
  if (typeof value === 'string') {
    let out = value;
    for (let i = 0; i < 8 && out.includes('${'); i++) out = out.replace(/\$\{([^${}]+)\}/g, (_, ref: string) => String(lookup(ref.trim())));
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, lookup));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, lookup)]));
  return value;
}

/** Every function of every deployment file, as its cloud would get it with SETTINGS. */
async function deployments(): Promise<Deployment[]> {
  const yaml = async (file: string) => parse(await readFile(join(ROOT, file), 'utf8'));
  const s = await yaml('s.yaml');
  const fc = substitute(s, (ref) => {
    const env = /^env\('(\w+)'(?:,\s*'([^']*)')?\)$/.exec(ref);
    if (env) return SETTINGS[env[1]!] ?? env[2] ?? assert.fail(`s.yaml needs ${env[1]}`);
    if (ref === "config('AccountID')") return '1234567890123456';
    if (ref.startsWith('vars.')) return at(s.vars, ref.slice(5));
    return assert.fail(`s.yaml: ${ref} is not a reference this test knows`);
  }) as typeof s;
  const aws = await yaml('serverless.yml');
  const settings = createRequire(import.meta.url)('../deploy/aws-settings.cjs') as Record<string, () => string>;
  const saved = { ...process.env };
  Object.assign(process.env, SETTINGS);
  let lambda: typeof aws;
  try {
    lambda = substitute(aws, (ref) => {
      if (ref.startsWith('self:')) return at(aws, ref.slice(5));
      const file = /^file\(\.\/deploy\/aws-settings\.cjs\):(\w+)$/.exec(ref);
      if (file) return settings[file[1]!]!();
      const opt = /^opt:\w+,\s*'([^']*)'$/.exec(ref);
      if (opt) return opt[1];
      return assert.fail(`serverless.yml: ${ref} is not a reference this test knows`);
    }) as typeof aws;
  } finally {
    for (const k of Object.keys(SETTINGS)) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
  }
  // Tencent: what the deploy script sends to CreateFunction
  const scf = readSpecs(SETTINGS, join(dir, 'dist')).functions;
  return [
    ...(['tiles', 'ingest'] as const).map((fn): Deployment => {
      const p = fc.resources[fn].props;
      return { file: 's.yaml', cloud: 'aliyun', scheme: 'oss', fn, runtime: p.runtime, memoryMb: p.memorySize, env: p.environmentVariables };
    }),
    ...(['tiles', 'ingest'] as const).map((fn): Deployment => {
      const f = lambda.functions[fn];
      return { file: 'serverless.yml', cloud: 'aws', scheme: 's3', fn, runtime: f.runtime ?? lambda.provider.runtime, memoryMb: f.memorySize ?? lambda.provider.memorySize, env: { ...lambda.provider.environment, ...f.environment } };
    }),
    ...scf.map((f): Deployment => {
      const fn = f.FunctionName.endsWith('-tiles') ? 'tiles' : 'ingest';
      return { file: `tencent/${fn}/serverless.yml`, cloud: 'tencent', scheme: 'cos', fn, runtime: f.Runtime, memoryMb: f.MemorySize, env: Object.fromEntries(f.Environment.Variables.map((v) => [v.Key, v.Value])) };
    }),
  ];
}

test('every deployment file names a Node runtime the package supports, spelled as its cloud spells it, and a memory size the cloud offers', async () => {
  const { engines } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  const least = Number(/^>=\s*(\d+)/.exec(engines.node)![1]);
  // FC 3.0: nodejs20; Lambda: nodejs24.x; SCF: Nodejs20.19
  const spelling = { aliyun: /^nodejs(\d+)$/, aws: /^nodejs(\d+)\.x$/, tencent: /^Nodejs(\d+)\.\d+$/ };
  const memory = { aliyun: (mb: number) => mb % 64 === 0 && mb >= 128 && mb <= 32768, aws: (mb: number) => mb >= 128 && mb <= 10240, tencent: (mb: number) => mb % 128 === 0 && mb <= 3072 };
  const all = await deployments();
  assert.equal(all.length, 6);
  for (const d of all) {
    const major = spelling[d.cloud].exec(d.runtime)?.[1];
    assert.ok(major, `${d.file} ${d.fn}: runtime ${d.runtime} is not spelled as ${d.cloud} spells a Node runtime`);
    assert.ok(Number(major) >= least, `${d.file} ${d.fn}: runtime ${d.runtime} is older than engines ${engines.node}`);
    assert.ok(memory[d.cloud](d.memoryMb), `${d.file} ${d.fn}: ${d.memoryMb} MB is not a memory size ${d.cloud} offers`);
  }
});

test('every deployment file sets what the functions check at cold start, nothing they do not read, and the same TAOGUAN_* on every cloud', async () => {
  // read by glibc, Node and the Lambda runtime, not by taoguan
  const PROCESS = new Set(['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_', 'NODE_OPTIONS', 'AWS_LAMBDA_EXEC_WRAPPER']);
  const all = await deployments();
  for (const d of all) {
    const where = `${d.file} ${d.fn}`;
    const read = new Set<string>();
    const env = new Proxy(d.env, { get: (t, k) => (typeof k === 'string' && read.add(k), t[k as string]) });
    // the cold start's own checks: a bad value throws naming its variable
    if (d.fn === 'tiles') tilesConfig(env);
    else ingestConfig(env);
    OBJECT_STORES[d.scheme]!.config(`${d.scheme}://${SETTINGS.TAOGUAN_BUCKET}/cogs/a.tif`, env, {});
    for (const name of Object.keys(d.env)) assert.ok(read.has(name) || PROCESS.has(name), `${where}: ${name} is read by nothing`);
    for (const name of ['TAOGUAN_CATALOG', 'TAOGUAN_ALLOWED_BUCKETS', ...(d.fn === 'ingest' ? ['TAOGUAN_PATTERN'] : [])]) assert.ok(d.env[name], `${where}: ${name} is not set`);
    assert.equal(d.env.TAOGUAN_CATALOG, SETTINGS.TAOGUAN_CATALOG, `${where}: the catalog setting reaches the function`);
    assert.equal(d.env.TAOGUAN_ALLOWED_BUCKETS, SETTINGS.TAOGUAN_BUCKET, `${where}: the bucket setting reaches the function`);
    if (d.fn === 'ingest') assert.equal(d.env.TAOGUAN_PATTERN, `${d.scheme}://${SETTINGS.TAOGUAN_BUCKET}/cogs/{name}.tif`, where);
  }
  for (const fn of ['tiles', 'ingest']) {
    const names = all.filter((d) => d.fn === fn).map((d) => [d.file, Object.keys(d.env).filter((k) => k.startsWith('TAOGUAN_')).sort().join(' ')]);
    for (const [file, set] of names) assert.equal(set, names[0]![1], `${fn}: ${file} sets other TAOGUAN_ variables than ${names[0]![0]}`);
  }
});
