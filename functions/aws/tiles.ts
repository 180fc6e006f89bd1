/** AWS Lambda tiles function: API Gateway REST/HTTP API, Function URL or ALB event → the API. */
import { httpHandler, type LambdaHttpEvent } from '../../adapters/aws-lambda.ts';
import { tilesConfig } from '../config.ts';
import { tilesHandler } from '../runtime.ts';

// TAOGUAN_BASE_PATH goes to the API alone (it strips it and writes it into links); the adapter strips the stage.
const serve = tilesHandler(tilesConfig(), (api) => httpHandler(api));

export const handler = async (event: LambdaHttpEvent, context?: unknown) => (await serve(context))(event, context);
