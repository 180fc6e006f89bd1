/** Tencent Cloud COS through its S3-compatible API; bucket names end in the APPID. */
import { credentialsFrom, first, type ObjectStore } from './store.ts';

export const tencentCos: ObjectStore = {
  scheme: 'cos', title: 'Tencent Cloud COS',
  env: 'COS_REGION (e.g. ap-guangzhou) or COS_ENDPOINT; TENCENTCLOUD_SECRETID / TENCENTCLOUD_SECRETKEY (/ TENCENTCLOUD_SESSIONTOKEN)',
  checkBucket(bucket) {
    if (!/-\d+$/.test(bucket)) throw new Error(`cos://${bucket}/…: COS bucket names end in the APPID, e.g. cos://data-1250000000/key`);
  },
  config(where, env, given) {
    const region = given.region ?? first(env, 'COS_REGION', 'TENCENTCLOUD_REGION');
    const endpoint = given.endpoint ?? env.COS_ENDPOINT ?? (region && `https://cos.${region}.myqcloud.com`);
    if (!endpoint) throw new Error(`${where}: set COS_REGION (e.g. ap-guangzhou) or COS_ENDPOINT`);
    const credentials = credentialsFrom(env, 'TENCENTCLOUD_SECRETID', 'TENCENTCLOUD_SECRETKEY', 'TENCENTCLOUD_SESSIONTOKEN');
    return { endpoint, region: region ?? /cos\.([a-z0-9-]+)\.myqcloud\.com/.exec(endpoint)?.[1], forcePathStyle: false, credentials };
  },
};
