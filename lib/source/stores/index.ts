/**
 * The S3-compatible object stores, by URI scheme: one file each saying how its client is configured
 * from the environment. Reading, listing and writing are the same S3 API for all of them
 * (../s3.ts, ../list.ts, ../upload.ts). Adding a store is a file and a line here; locations,
 * listings, uploads, the functions' allow-lists and the help then know its scheme.
 */
import type { RuntimePackage } from '../../util/index.ts';
import { aliyunOss } from './aliyun-oss.ts';
import { awsS3 } from './aws-s3.ts';
import type { ObjectStore } from './store.ts';
import { tencentCos } from './tencent-cos.ts';

export type { ObjectStore } from './store.ts';

export const OBJECT_STORES: Readonly<Record<string, ObjectStore>> = { s3: awsS3, oss: aliyunOss, cos: tencentCos };

export const objectStore = (scheme: string): ObjectStore | undefined => (Object.hasOwn(OBJECT_STORES, scheme) ? OBJECT_STORES[scheme] : undefined);

/** "s3|oss|cos", for patterns that match any object-store location. */
export const STORE_SCHEMES = Object.keys(OBJECT_STORES).join('|');

/** The S3 SDK every object store is reached through, loaded on first use. */
export const STORE_PACKAGES: RuntimePackage[] = [{ spec: '@aws-sdk/client-s3', sidecar: '@aws-sdk/client-s3/index.js' }];
