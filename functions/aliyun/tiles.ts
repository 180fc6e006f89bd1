/** Aliyun FC 3.0 tiles function: HTTP-trigger (or API Gateway → FC) event, a Buffer of JSON → the API. */
import { fcCredentials, httpHandler, type FcContext, type FcHttpEvent } from '../../adapters/aliyun-fc.ts';
import { tilesConfig } from '../config.ts';
import { setCredentials, tilesHandler } from '../runtime.ts';

const serve = tilesHandler(tilesConfig(), (api) => httpHandler(api));

export const handler = async (event: Buffer | string | FcHttpEvent, context?: FcContext) => {
  // The function role's temporary keys come with each invocation, not in the environment.
  setCredentials(fcCredentials(context));
  return (await serve(context))(event, context);
};
