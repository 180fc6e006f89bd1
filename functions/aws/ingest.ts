/** AWS Lambda ingest function: S3 notifications → catalog. Credentials: the standard AWS chain (the role). */
import { s3Records, type S3Event } from '../../adapters/aws-lambda.ts';
import { ingestConfig } from '../config.ts';
import { runIngest } from '../runtime.ts';

const config = ingestConfig();

// The context carries the function's memory (its caps on one object are sized from it).
export const handler = async (event: S3Event, context?: unknown) => runIngest(s3Records(event), config, context);
