/** Aliyun FC 3.0 ingest function: OSS trigger events → catalog, read with the function role's keys. */
import { fcCredentials, ossRecords, type FcContext, type OssEvent } from '../../adapters/aliyun-fc.ts';
import { ingestConfig } from '../config.ts';
import { runIngest, setCredentials } from '../runtime.ts';

const config = ingestConfig();

export const handler = async (event: Buffer | string | OssEvent, context?: FcContext) => {
  setCredentials(fcCredentials(context));
  return runIngest(ossRecords(event), config, context);
};
