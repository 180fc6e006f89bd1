import { ingestMany, ingestObject, planIngest } from '../../../lib/ingest/index.ts';
import { allowedPrefixes, type LocationPolicy } from '../../../lib/source/index.ts';
import { runBatch } from './batch.ts';
import { withCatalog } from './catalog.ts';
import { ingestStacCommand, type StacCliOptions } from './ingest-stac.ts';

interface IngestCliOptions extends StacCliOptions {
  /** A STAC item, item collection or collection to ingest the assets of. */
  stac?: string;
  catalog?: string;
  key?: string[];
  regex?: string;
  exact?: boolean;
  force?: boolean;
  /** Checked by the CLI's option parser. */
  concurrency: number;
  progress?: boolean;
  /** Only read under these prefixes; local files by where their links lead. */
  allowedPrefix?: string[];
}

async function policyOf(opts: IngestCliOptions): Promise<LocationPolicy | undefined> {
  if (!opts.allowedPrefix?.length) return undefined;
  return { prefixes: await allowedPrefixes(opts.allowedPrefix).catch((e: Error) => { throw new Error(`--allowed-prefix ${e.message}`); }) };
}

export async function ingestCommand(pattern: string | undefined, opts: IngestCliOptions): Promise<void> {
  const policy = await policyOf(opts);
  if (opts.stac !== undefined) {
    if (pattern !== undefined) throw new Error(`give either a PATTERN or --stac, not both (got ${pattern} and --stac ${opts.stac})`);
    if (opts.key?.length || opts.regex) throw new Error(`--stac takes its key values from the items (--keys), not ${opts.key?.length ? '--key' : '--regex'}`);
    return ingestStacCommand(opts.stac, opts, policy);
  }
  if (pattern === undefined) throw new Error('give a PATTERN (or one location with --key), or --stac with a STAC item, item collection or collection');
  const stacOnly = (['keys', 'assets', 'maxItems', 'dryRun'] as const).find((o) => opts[o] !== undefined);
  if (stacOnly) throw new Error(`--${stacOnly.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies to --stac ingests only`);
  const onWarning = (location: string, message: string) => console.error(`warning: ${location}: ${message}`);
  await withCatalog(opts.catalog, async (catalog) => {
    const keyNames = (await catalog.keys()).map((k) => k.name);
    if (opts.key?.length) {
      // One object with explicit keys: the CLI twin of Terracotta's driver.insert(keys, path).
      const given = Object.fromEntries(opts.key.map((kv) => {
        const eq = kv.indexOf('=');
        if (eq <= 0) throw new Error(`--key ${kv}: expected NAME=VALUE`);
        return [kv.slice(0, eq), kv.slice(eq + 1)];
      }));
      const unknown = Object.keys(given).filter((k) => !keyNames.includes(k));
      if (unknown.length) throw new Error(`unknown key(s) ${unknown.join(', ')}; the catalog's keys are ${keyNames.join(', ')}`);
      const missing = keyNames.filter((k) => !(k in given));
      if (missing.length) throw new Error(`missing --key for ${missing.join(', ')}`);
      const result = await ingestObject(catalog, pattern, keyNames.map((k) => given[k]), { exact: opts.exact, force: opts.force, policy, onWarning });
      console.log(`${result}: ${pattern}`);
      return;
    }
    const planned = await planIngest(keyNames, pattern, { regex: opts.regex, onSkip: (location, reason) => console.error(`skipped ${location}: ${reason}`) });
    await runBatch(planned.length, 'object(s)', opts.progress, (signal, onProgress) =>
      ingestMany(catalog, planned, { exact: opts.exact, force: opts.force, policy, concurrency: opts.concurrency, signal, onWarning, onProgress }));
  });
}
