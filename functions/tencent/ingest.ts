/** Tencent SCF ingest function: COS trigger events → catalog. Role keys: TENCENTCLOUD_* in the environment. */
import { cosRecords, type CosEvent } from '../../adapters/tencent-scf.ts';
import { ingestConfig } from '../config.ts';
import { runIngest } from '../runtime.ts';

const config = ingestConfig();

// The context carries the function's memory (its caps on one object are sized from it).
export const handler = async (event: CosEvent, context?: unknown) => runIngest(cosRecords(event), config, context);
