/** Tencent SCF tiles function: API Gateway trigger (integration response) → the API. Role keys: from the environment. */
import { httpHandler, type ScfApiGatewayEvent } from '../../adapters/tencent-scf.ts';
import { tilesConfig } from '../config.ts';
import { tilesHandler } from '../runtime.ts';

const serve = tilesHandler(tilesConfig(), (api) => httpHandler(api));

export const handler = async (event: ScfApiGatewayEvent, context?: unknown) => (await serve(context))(event, context);
