/**
 * The tiles function of any provider: its HTTP events → the API. The configuration is checked when
 * the bundle loads (a cold start with a bad variable fails naming it); the API and catalog are built
 * on the first invocation and kept while the instance lives. The build makes one bundle per provider
 * (dist/<id>/tiles/index.js, `export handler`) from `tilesEntry(provider)`.
 */
import type { Provider } from '../adapters/index.ts';
import { tilesConfig } from './config.ts';
import { setCredentials, tilesHandler } from './runtime.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function tilesEntry(provider: Provider): (event: any, context?: any) => Promise<unknown> {
  // TAOGUAN_BASE_PATH goes to the API alone (it strips it and writes it into links); the adapter strips the stage.
  const serve = tilesHandler(tilesConfig(), (api) => provider.httpHandler(api));
  return async (event, context) => {
    // role keys that come with each invocation (FC) rotate while an instance lives
    if (provider.credentials) setCredentials(provider.credentials(context));
    return (await serve(context))(event, context);
  };
}
