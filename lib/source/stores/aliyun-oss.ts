/** Aliyun OSS through its S3-compatible API. */
import { credentialsFrom, first, type ObjectStore } from './store.ts';

export const aliyunOss: ObjectStore = {
  scheme: 'oss', title: 'Aliyun OSS',
  env: 'OSS_REGION (e.g. cn-hangzhou) or OSS_ENDPOINT; ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET (/ ALIBABA_CLOUD_SECURITY_TOKEN)',
  config(where, env, given) {
    // Accept ali-oss's region spelling (oss-cn-hangzhou) as well as the plain one; FC sets FC_REGION.
    const region = (given.region ?? first(env, 'OSS_REGION', 'ALIBABA_CLOUD_REGION', 'FC_REGION'))?.replace(/^oss-/, '');
    const endpoint = given.endpoint ?? env.OSS_ENDPOINT ?? (region && `https://oss-${region}.aliyuncs.com`);
    if (!endpoint) throw new Error(`${where}: set OSS_REGION (e.g. cn-hangzhou) or OSS_ENDPOINT`);
    const credentials =
      credentialsFrom(env, 'ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'ALIBABA_CLOUD_SECURITY_TOKEN') ??
      credentialsFrom(env, 'OSS_ACCESS_KEY_ID', 'OSS_ACCESS_KEY_SECRET', 'OSS_SESSION_TOKEN');
    // OSS serves buckets only as virtual hosts (bucket.oss-….aliyuncs.com).
    return { endpoint, region: region ?? /oss-([a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com/.exec(endpoint)?.[1], forcePathStyle: false, credentials };
  },
};
