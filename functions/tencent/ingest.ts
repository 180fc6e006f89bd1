/** Tencent SCF ingest function: COS trigger events → catalog. Role keys: TENCENTCLOUD_* in the environment. */
import { cosRecords, type CosEvent } from '../../adapters/tencent-scf.ts';
import { ingestConfig } from '../config.ts';
import { runIngest } from '../runtime.ts';

const config = ingestConfig();

export const handler = async (event: CosEvent) => runIngest(cosRecords(event), config);
