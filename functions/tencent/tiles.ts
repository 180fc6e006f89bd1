/** Tencent SCF tiles function: API Gateway trigger (integration response) → the API. Role keys: from the environment. */
import { httpHandler, type ScfApiGatewayEvent } from '../../adapters/tencent-scf.ts';
import { tilesConfig } from '../config.ts';
import { tilesApi } from '../runtime.ts';

const config = tilesConfig();

export const handler = async (event: ScfApiGatewayEvent, context?: unknown) =>
  httpHandler(await tilesApi(config, context))(event, context);
