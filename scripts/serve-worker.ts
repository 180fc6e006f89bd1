/**
 * Entry point of one `taoguan serve` worker process, run from an esbuild bundle of itself (see
 * scripts/commands/serve-bundle.ts): its options arrive as JSON in TAOGUAN_SERVE_OPTIONS.
 */
import { startServer, type ServeOptions } from './commands/serve.ts';

const opts = JSON.parse(process.env.TAOGUAN_SERVE_OPTIONS ?? '{}') as ServeOptions;
startServer(opts, (url) => process.send?.({ listening: url })).catch((e: unknown) => {
  console.error(`taoguan serve: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
