/** AWS Lambda tiles function: API Gateway REST/HTTP API, Function URL or ALB event → the API. */
import { httpHandler, type LambdaHttpEvent } from '../../adapters/aws-lambda.ts';
import { tilesConfig } from '../config.ts';
import { tilesApi } from '../runtime.ts';

// TAOGUAN_BASE_PATH goes to the API alone (it strips it and writes it into links); the adapter strips the stage.
const config = tilesConfig();

export const handler = async (event: LambdaHttpEvent, context?: unknown) =>
  httpHandler(await tilesApi(config, context))(event, context);
