/**
 * `npm run deploy:tencent`: the Tencent SCF functions from the built zips (`npm run build`), with
 * nothing but npm packages: the SCF API (2018-04-16) through tencentcloud-sdk-nodejs-scf. The
 * Serverless Components CLI that tencent/*\/serverless.yml were written for is no longer installable
 * from npm; those files stay the one description of the functions (memory, timeout, runtime, role,
 * environment, VPC, events), and this reads them.
 *
 * Idempotent: a function that exists gets UpdateFunctionCode + UpdateFunctionConfiguration, a new
 * one CreateFunction; each trigger is created only when ListTriggers does not already show it.
 * `--dry-run` prints the calls it would make: it reads the current state when it has credentials,
 * and otherwise assumes nothing exists yet (so it runs without an account).
 */
import { existsSync, readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const SCF_FILES = ['tencent/tiles/serverless.yml', 'tencent/ingest/serverless.yml'];

export interface TriggerSpec { Type: 'apigw' | 'cos'; TriggerName: string; TriggerDesc: string }

export interface FunctionSpec {
  FunctionName: string;
  Handler: string;
  Runtime: string;
  MemorySize: number;
  Timeout: number;
  Role?: string;
  Description: string;
  Environment: { Variables: { Key: string; Value: string }[] };
  VpcConfig?: { VpcId: string; SubnetId: string };
  /** The built zip (dist/tencent/<name>.zip). */
  zip: string;
  triggers: TriggerSpec[];
}

/** A value that must not be deployed: a placeholder from the docs. */
const PLACEHOLDER = /CHANGE-ME|xxxx/;

/** `${env:NAME}` from the environment; a missing or placeholder one is an error naming it. */
function substitute(text: string, env: NodeJS.ProcessEnv, file: string): string {
  const missing = new Set<string>();
  const out = text.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const value = env[name]?.trim();
    if (!value) missing.add(name);
    else if (PLACEHOLDER.test(value)) throw new Error(`${name}=${value} is a placeholder from the docs (${file})`);
    return value ?? '';
  });
  if (missing.size) throw new Error(`${[...missing].join(', ')} not set: ${file} needs ${missing.size > 1 ? 'them' : 'it'} (see tencent/.env.example; export them for this command)`);
  return out;
}

/** The functions as tencent/*\/serverless.yml describe them, settings from `env`, zips from `dist`. */
export function readSpecs(env: NodeJS.ProcessEnv = process.env, dist = join(ROOT, 'dist')): { region: string; functions: FunctionSpec[] } {
  let region = '';
  const functions = SCF_FILES.map((file) => {
    const path = join(ROOT, file);
    const { inputs } = parse(substitute(readFileSync(path, 'utf8'), env, file)) as { inputs: Record<string, unknown> & Record<string, never> };
    // SCF fills in what CreateFunction omits (Runtime: Python2.7, 128 MB, 3 s): never deploy by default
    for (const key of ['name', 'handler', 'runtime', 'memorySize', 'timeout', 'region']) {
      if (inputs[key] === undefined || inputs[key] === '') throw new Error(`${file}: inputs.${key} is not set`);
    }
    region ||= String(inputs.region);
    const variables = (inputs.environment as { variables?: Record<string, string> } | undefined)?.variables ?? {};
    const vpc = inputs.vpcConfig as { vpcId: string; subnetId: string } | undefined;
    const src = resolve(dirname(path), (inputs.src as { src: string }).src);
    const triggers = ((inputs.events ?? []) as Record<string, { parameters: Record<string, unknown> }>[]).flatMap((event): TriggerSpec[] => {
      if (event.apigw) {
        const p = event.apigw.parameters as { environment?: string; endpoints?: { method?: string; function?: { isIntegratedResponse?: boolean } }[] };
        const endpoint = p.endpoints?.[0];
        // SCF's CreateTrigger for API Gateway (trigger description, document 583/39901): a new service, one API, released.
        return [{
          Type: 'apigw', TriggerName: 'SCF_API_SERVICE',
          TriggerDesc: JSON.stringify({
            api: { authRequired: 'FALSE', requestConfig: { method: endpoint?.method ?? 'ANY' }, isIntegratedResponse: endpoint?.function?.isIntegratedResponse ? 'TRUE' : 'FALSE' },
            service: { serviceName: 'SCF_API_SERVICE' },
            release: { environmentName: p.environment ?? 'release' },
          }),
        }];
      }
      if (event.cos) {
        const p = event.cos.parameters as { bucket: string; events: string; filter?: { prefix?: string; suffix?: string } };
        // TriggerName is the bucket's XML API domain; one trigger per event type
        return [{ Type: 'cos', TriggerName: p.bucket, TriggerDesc: JSON.stringify({ event: p.events, filter: { Prefix: p.filter?.prefix ?? '', Suffix: p.filter?.suffix ?? '' } }) }];
      }
      throw new Error(`${file}: event ${Object.keys(event).join()} is not one this deploy knows (apigw, cos)`);
    });
    return {
      FunctionName: String(inputs.name),
      Handler: String(inputs.handler),
      Runtime: String(inputs.runtime),
      MemorySize: Number(inputs.memorySize),
      Timeout: Number(inputs.timeout),
      Role: inputs.role ? String(inputs.role) : undefined,
      Description: `taoguan ${basename(src)}`,
      Environment: { Variables: Object.entries(variables).map(([Key, Value]) => ({ Key, Value: String(Value) })) },
      VpcConfig: vpc ? { VpcId: vpc.vpcId, SubnetId: vpc.subnetId } : undefined,
      zip: join(dist, 'tencent', `${basename(src)}.zip`),
      triggers,
    };
  });
  return { region, functions };
}

/** One SCF API action: its parameters in, its Response out (errors thrown with the API's code). */
export type ScfCall = (action: string, params: Record<string, unknown>) => Promise<Record<string, unknown>>;

export interface SdkOptions { region: string; secretId: string; secretKey: string; token?: string; endpoint?: string }

/**
 * The SDK's client: signed (TC3-HMAC-SHA256) POSTs to scf.tencentcloudapi.com. With `endpoint`
 * (an http:// address, for tests), the very same requests — addressed and signed for
 * scf.tencentcloudapi.com — are delivered there instead, over plain HTTP.
 */
export async function sdkCall(o: SdkOptions): Promise<ScfCall> {
  const { scf } = await import('tencentcloud-sdk-nodejs-scf');
  const url = o.endpoint ? new URL(o.endpoint) : undefined;
  if (url && url.protocol !== 'http:') throw new Error(`--endpoint ${o.endpoint}: expected http://HOST:PORT`);
  const agent = url ? new (class extends HttpAgent {
    override createConnection(): Socket {
      return connect(Number(url.port || 80), url.hostname);
    }
  })() : undefined;
  const client = new scf.v20180416.Client({
    credential: { secretId: o.secretId, secretKey: o.secretKey, token: o.token },
    region: o.region,
    profile: { httpProfile: agent ? { protocol: 'http://', agent } : {} },
  });
  return async (action, params) => {
    const method = (client as unknown as Record<string, (p: unknown) => Promise<Record<string, unknown>>>)[action];
    if (typeof method !== 'function') throw new Error(`the SCF SDK has no action ${action}`);
    return method.call(client, params);
  };
}

export interface DeployOptions {
  dryRun?: boolean;
  namespace?: string;
  log?: (line: string) => void;
  /** Between polls of a function's status while it is created or updated. */
  pollMs?: number;
}

const missing = (e: unknown) => String((e as { code?: string }).code ?? '').startsWith('ResourceNotFound');

/** How a call is printed: parameters as sent, a zip as its size. */
function describe(action: string, params: Record<string, unknown>): string {
  return `${action} ${JSON.stringify(params, (k, v) => (k === 'ZipFile' && typeof v === 'string' ? `<zip, ${(v.length * 0.75 / 1024).toFixed(0)} KB base64>` : v))}`;
}

/** Create or update every function and its triggers; returns the write calls made (or, dry, planned). */
export async function deploy(functions: FunctionSpec[], call: ScfCall | undefined, o: DeployOptions = {}): Promise<string[]> {
  const Namespace = o.namespace ?? 'default';
  const log = o.log ?? console.log;
  const writes: string[] = [];
  const write = async (action: string, params: Record<string, unknown>) => {
    writes.push(action);
    log(`${o.dryRun ? 'would call' : 'calling'} ${describe(action, params)}`);
    if (!o.dryRun) await call!(action, params);
  };
  const read = async (action: string, params: Record<string, unknown>) => (call ? call(action, params) : undefined);
  /** Until the function is Active (SCF refuses changes while it is Creating or Updating). */
  const settled = async (FunctionName: string) => {
    if (o.dryRun) return;
    for (let i = 0; i < 120; i++) {
      const f = await call!('GetFunction', { FunctionName, Namespace });
      if (f.Status === 'Active') return;
      if (/Failed$/.test(String(f.Status))) throw new Error(`${FunctionName}: ${f.Status} ${f.StatusDesc ?? ''}`.trim());
      await new Promise((r) => setTimeout(r, o.pollMs ?? 1000));
    }
    throw new Error(`${FunctionName}: still not Active after 120 polls`);
  };

  for (const f of functions) {
    const { zip, triggers, Handler, ...config } = f;
    const ZipFile = readFileSync(zip).toString('base64');
    // without credentials (a dry run), nothing is known to exist
    const exists = call ? await call('GetFunction', { FunctionName: f.FunctionName, Namespace }).then(() => true, (e) => {
      if (missing(e)) return false;
      throw e;
    }) : false;
    if (!exists) {
      await write('CreateFunction', { ...config, Handler, Namespace, Code: { ZipFile } });
    } else {
      await write('UpdateFunctionCode', { FunctionName: f.FunctionName, Namespace, Handler, ZipFile });
      await settled(f.FunctionName);
      await write('UpdateFunctionConfiguration', { ...config, Namespace });
    }
    await settled(f.FunctionName);
    const listed = exists ? await read('ListTriggers', { FunctionName: f.FunctionName, Namespace, Limit: 100 }) : undefined;
    const present = ((listed?.Triggers ?? []) as { Type?: string; TriggerName?: string; TriggerDesc?: string }[]);
    for (const t of triggers) {
      const event = t.Type === 'cos' ? (JSON.parse(t.TriggerDesc) as { event: string }).event : undefined;
      const there = present.some((p) => p.Type === t.Type && (t.Type === 'apigw' || (p.TriggerName === t.TriggerName && String(p.TriggerDesc ?? '').includes(event!))));
      if (there) log(`${f.FunctionName}: ${t.Type} trigger ${t.TriggerName}${event ? ` ${event}` : ''} already there`);
      else await write('CreateTrigger', { FunctionName: f.FunctionName, Namespace, ...t, Enable: 'OPEN' });
    }
  }
  return writes;
}

const HELP = `usage: npm run deploy:tencent -- [--dry-run] [--only tiles|ingest] [--namespace NS] [--dist DIR]

Creates or updates the SCF functions of tencent/*/serverless.yml from the zips of \`npm run build\`,
with their API Gateway and COS triggers. Settings from the environment or tencent/.env (see tencent/.env.example):
STAGE, REGION, TAOGUAN_BUCKET, TAOGUAN_CATALOG; credentials TENCENTCLOUD_SECRETID,
TENCENTCLOUD_SECRETKEY (and TENCENTCLOUD_SESSIONTOKEN for temporary keys).
  --dry-run     print the calls, change nothing (reads the current state only with credentials)
  --endpoint U  deliver the (same, signed) requests to this http:// address instead: for tests`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: {
    'dry-run': { type: 'boolean' }, only: { type: 'string' }, namespace: { type: 'string' }, dist: { type: 'string' },
    endpoint: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  } });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  try {
    // tencent/.env, as the Components CLI read it; the environment wins
    const dotenv = join(ROOT, 'tencent/.env');
    if (existsSync(dotenv)) process.loadEnvFile(dotenv);
    const { region, functions } = readSpecs(process.env, values.dist ? resolve(values.dist) : undefined);
    const chosen = values.only ? functions.filter((f) => f.FunctionName.endsWith(`-${values.only}`)) : functions;
    if (!chosen.length) throw new Error(`--only ${values.only}: expected tiles or ingest`);
    const secretId = process.env.TENCENTCLOUD_SECRETID, secretKey = process.env.TENCENTCLOUD_SECRETKEY;
    if (!values['dry-run'] && !(secretId && secretKey)) throw new Error('TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY are not set (a CAM key allowed the SCF actions; --dry-run needs none)');
    const call = secretId && secretKey
      ? await sdkCall({ region, secretId, secretKey, token: process.env.TENCENTCLOUD_SESSIONTOKEN, endpoint: values.endpoint })
      : undefined;
    if (values['dry-run'] && !call) console.log('(no credentials: assuming none of the functions exists yet)');
    const writes = await deploy(chosen, call, { dryRun: values['dry-run'], namespace: values.namespace });
    console.log(`${values['dry-run'] ? 'dry run' : 'done'}: ${writes.length} change(s) in ${region}`);
  } catch (e) {
    console.error(`deploy tencent: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
