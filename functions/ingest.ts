/**
 * The ingest function of any provider: its storage trigger's events → the catalog. The context
 * carries the function's memory (the caps on one object are sized from it) and, on FC, the role's keys.
 */
import type { Provider } from '../adapters/index.ts';
import { ingestConfig } from './config.ts';
import { runIngest, setCredentials } from './runtime.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function ingestEntry(provider: Provider): (event: any, context?: any) => Promise<unknown> {
  const config = ingestConfig();
  return async (event, context) => {
    if (provider.credentials) setCredentials(provider.credentials(context));
    return runIngest(provider.records(event), config, context);
  };
}
