/**
 * Operate deployed taoguan functions from a workstation:
 *   invoke  — call the tiles function with an HTTP event for PATH and print the status (and body size)
 *   reingest — list a bucket prefix and invoke the ingest function with synthesized upload events
 *   url     — print the public tile URL template for a dataset
 * on fc (Aliyun, @alicloud/fc2), scf (Tencent, tencentcloud-sdk-nodejs-scf) or lambda (AWS SDK).
 * --dry-run prints each request instead of sending it (no credentials or network needed).
 */
import { parseArgs } from 'node:util';

const HELP = `usage: node --import tsx scripts/tools/invoke.ts COMMAND --cloud fc|scf|lambda [options]

commands:
  invoke PATH            GET PATH (e.g. /keys) through the tiles function; prints status and body
  reingest PREFIX        list PREFIX (oss://bucket/cogs/, cos://bucket-appid/cogs/, s3://bucket/cogs/) and
                         send the ingest function one upload event per object (--key K to name objects instead)
  url KEYS               print the XYZ tile URL of a dataset (KEYS like S2/2024-01-15/B04), needs --endpoint

options:
  --cloud fc|scf|lambda  the provider (required)
  --region R             default: cn-hangzhou (fc), ap-guangzhou (scf), us-east-1 (lambda)
  --function NAME        default: taoguan-tiles / taoguan-ingest
  --service NAME         fc only: the FC 2.0-API service of the function (default: default)
  --account ID           fc only: the Aliyun account ID (or ALIBABA_CLOUD_ACCOUNT_ID)
  --key KEY              reingest: an object key under the prefix's bucket (repeatable; skips listing)
  --batch N              reingest: records per invocation (default 20)
  --endpoint URL         url: the API's public base URL (custom domain / CDN, or the trigger URL)
  --dry-run              print the requests, send nothing
  -h, --help             this text
credentials: ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET, TENCENTCLOUD_SECRETID/_SECRETKEY, or the AWS chain.`;

type Cloud = 'fc' | 'scf' | 'lambda';
const REGIONS: Record<Cloud, string> = { fc: 'cn-hangzhou', scf: 'ap-guangzhou', lambda: 'us-east-1' };

export interface Invocation {
  cloud: Cloud;
  region: string;
  function: string;
  service?: string;
  /** Sent asynchronously (ingest) or awaited (tiles). */
  async: boolean;
  event: unknown;
}

/** The HTTP event each platform's tiles function receives for GET path?query. */
export function httpEvent(cloud: Cloud, path: string): unknown {
  const [p, q = ''] = path.split('?');
  const query = Object.fromEntries(new URLSearchParams(q));
  const headers = { host: 'invoke.local', 'x-forwarded-proto': 'https' };
  if (cloud === 'fc') return { version: 'v1', rawPath: p, headers, queryParameters: query, body: '', isBase64Encoded: false, requestContext: { http: { method: 'GET', path: p } } };
  if (cloud === 'scf') return { httpMethod: 'GET', path: p, headers, queryString: query, body: '', requestContext: { httpMethod: 'GET', path: '/', stage: 'release' } };
  return { version: '2.0', rawPath: p, rawQueryString: q, headers, requestContext: { http: { method: 'GET', path: p }, stage: '$default' } };
}

/** An upload event for each location, shaped as the platform's storage trigger sends it. */
export function uploadEvent(cloud: Cloud, region: string, locations: string[]): unknown {
  const parts = locations.map((l) => /^(?:s3|oss|cos):\/\/([^/]+)\/(.+)$/.exec(l) ?? (() => { throw new Error(`not an object-store location: ${l}`); })());
  if (cloud === 'fc') return { events: parts.map(([, bucket, key]) => ({ eventName: 'ObjectCreated:PutObject', eventSource: 'acs:oss', region, oss: { bucket: { name: bucket }, object: { key } } })) };
  if (cloud === 'scf') {
    return { Records: parts.map(([, bucket, key]) => {
      const [, name, appid] = /^(.*)-(\d+)$/.exec(bucket) ?? [];
      if (!appid) throw new Error(`COS bucket ${bucket} must end in -APPID`);
      return { cos: { cosBucket: { name, appid, region }, cosObject: { key: `/${appid}/${name}/${key}` } }, event: { eventName: 'cos:ObjectCreated:*' } };
    }) };
  }
  // S3 sends keys form-encoded.
  return { Records: parts.map(([, bucket, key]) => ({ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', awsRegion: region, s3: { bucket: { name: bucket }, object: { key: encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/') } } })) };
}

interface Fc2Client {
  invokeFunction(service: string | undefined, fn: string, event: string, headers?: Record<string, string>): Promise<{ data: unknown }>;
}

/** Sends one invocation with the provider's SDK; returns the decoded payload. SDKs load only here. */
async function send(inv: Invocation, account?: string): Promise<unknown> {
  const payload = JSON.stringify(inv.event);
  if (inv.cloud === 'fc') {
    // @alicloud/fc2 ships no types: the little used here.
    const spec = '@alicloud/fc2';
    const { default: FC } = (await import(spec)) as { default: new (account: string | undefined, config: object) => Fc2Client };
    const client = new FC(account ?? process.env.ALIBABA_CLOUD_ACCOUNT_ID, {
      accessKeyID: process.env.ALIBABA_CLOUD_ACCESS_KEY_ID, accessKeySecret: process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET, region: inv.region, timeout: 60_000,
    });
    const res = await client.invokeFunction(inv.service, inv.function, payload, inv.async ? { 'x-fc-invocation-type': 'Async' } : {});
    return res.data;
  }
  if (inv.cloud === 'scf') {
    const { scf } = await import('tencentcloud-sdk-nodejs-scf');
    const client = new scf.v20180416.Client({ credential: { secretId: process.env.TENCENTCLOUD_SECRETID, secretKey: process.env.TENCENTCLOUD_SECRETKEY }, region: inv.region });
    const res = await client.Invoke({ FunctionName: inv.function, InvocationType: inv.async ? 'Event' : 'RequestResponse', ClientContext: payload });
    return res.Result?.RetMsg ? JSON.parse(res.Result.RetMsg) : res.Result;
  }
  const { LambdaClient, InvokeCommand } = await import('@aws-sdk/client-lambda');
  const client = new LambdaClient({ region: inv.region });
  const res = await client.send(new InvokeCommand({ FunctionName: inv.function, InvocationType: inv.async ? 'Event' : 'RequestResponse', Payload: Buffer.from(payload) }));
  client.destroy();
  return res.Payload?.length ? JSON.parse(Buffer.from(res.Payload).toString('utf8')) : { statusCode: res.StatusCode };
}

export async function main(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      cloud: { type: 'string' }, region: { type: 'string' }, function: { type: 'string' }, service: { type: 'string', default: 'default' },
      account: { type: 'string' }, key: { type: 'string', multiple: true }, batch: { type: 'string', default: '20' },
      endpoint: { type: 'string' }, 'dry-run': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, arg] = positionals;
  if (values.help || !command) {
    out(HELP);
    return values.help ? 0 : 2;
  }
  if (command === 'url') {
    if (!values.endpoint || !arg) throw new Error('url needs KEYS and --endpoint URL');
    const base = values.endpoint.replace(/\/+$/, '');
    out(`${base}/singleband/${arg.split('/').map(encodeURIComponent).join('/')}/{z}/{x}/{y}.png`);
    out(`${base}/singleband/${arg.split('/').map(encodeURIComponent).join('/')}/tilejson.json`);
    return 0;
  }
  const cloud = values.cloud as Cloud;
  if (!(cloud in REGIONS)) throw new Error('--cloud must be fc, scf or lambda');
  const region = values.region ?? REGIONS[cloud];
  const base = { cloud, region, service: cloud === 'fc' ? values.service : undefined };
  const invocations: Invocation[] = [];
  if (command === 'invoke') {
    if (!arg?.startsWith('/')) throw new Error('invoke needs a PATH starting with /, e.g. /keys');
    invocations.push({ ...base, function: values.function ?? 'taoguan-tiles', async: false, event: httpEvent(cloud, arg) });
  } else if (command === 'reingest') {
    if (!arg || !/^(s3|oss|cos):\/\/[^/]+/.test(arg)) throw new Error('reingest needs a PREFIX like oss://bucket/cogs/');
    const bucket = /^(\w+:\/\/[^/]+)/.exec(arg)![1];
    let locations = values.key?.map((k) => `${bucket}/${k.replace(/^\/+/, '')}`);
    if (!locations) {
      if (values['dry-run']) out(`would list ${arg} (ListObjectsV2)`);
      const { listObjects } = await import('../../lib/source/index.ts');
      locations = values['dry-run'] ? [`${arg.replace(/\/?$/, '/')}EXAMPLE.tif`] : await listObjects(arg);
    }
    const size = Math.max(1, Number(values.batch) || 20);
    for (let i = 0; i < locations.length; i += size) {
      invocations.push({ ...base, function: values.function ?? 'taoguan-ingest', async: true, event: uploadEvent(cloud, region, locations.slice(i, i + size)) });
    }
  } else {
    throw new Error(`unknown command ${command}; see --help`);
  }
  for (const inv of invocations) {
    if (values['dry-run']) {
      out(JSON.stringify(inv));
      continue;
    }
    const result = await send(inv, values.account);
    out(inv.async ? `queued ${inv.function}` : JSON.stringify(result).slice(0, 2000));
  }
  return 0;
}

if (process.argv[1]?.endsWith('invoke.ts')) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code), (e) => {
    console.error(`error: ${(e as Error).message}`);
    process.exitCode = 1;
  });
}
