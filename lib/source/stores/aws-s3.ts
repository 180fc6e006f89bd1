/** AWS S3, and any S3-compatible store (MinIO, Ceph…) through TAOGUAN_S3_ENDPOINT. */
import { first, type ObjectStore } from './store.ts';

export const awsS3: ObjectStore = {
  scheme: 's3', title: 'AWS S3 (or an S3-compatible store)',
  env: 'AWS_REGION, the AWS credential chain; TAOGUAN_S3_ENDPOINT (or AWS_ENDPOINT_URL) and TAOGUAN_S3_PATH_STYLE=1 for other S3-compatible stores',
  config(_where, env) {
    const endpoint = first(env, 'TAOGUAN_S3_ENDPOINT', 'AWS_ENDPOINT_URL');
    return { endpoint, region: first(env, 'AWS_REGION', 'AWS_DEFAULT_REGION'), forcePathStyle: env.TAOGUAN_S3_PATH_STYLE === '1', followRegionRedirects: !endpoint };
  },
};
