import { SingleBar } from 'cli-progress';
import { ingestMany, ingestObject, planIngest } from '../../../lib/ingest/index.ts';
import { allowedPrefixes, type LocationPolicy } from '../../../lib/source/index.ts';
import { withCatalog } from './catalog.ts';

interface IngestCliOptions {
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

export async function ingestCommand(pattern: string, opts: IngestCliOptions): Promise<void> {
  const policy = await policyOf(opts);
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
    const abort = new AbortController();
    const stop = () => {
      // Rows are written whole, one upsert each: stopping between them leaves a consistent catalog.
      console.error('\ninterrupted: finishing the datasets in flight, starting no more');
      abort.abort();
    };
    process.once('SIGINT', stop);
    const bar = new SingleBar({
      format: 'ingest [{bar}] {value}/{total} {percentage}% | eta {eta_formatted} | {file}',
      stream: process.stderr, hideCursor: true,
    });
    const showBar = opts.progress !== false && process.stderr.isTTY;
    if (showBar) bar.start(planned.length, 0, { file: '' });
    const result = await ingestMany(catalog, planned, {
      exact: opts.exact, force: opts.force, policy, concurrency: opts.concurrency, signal: abort.signal, onWarning,
      onProgress: (done, _total, file) => showBar && bar.update(done, { file: file.split('/').pop() }),
    });
    if (showBar) bar.stop();
    process.off('SIGINT', stop);
    const { inserted, updated, unchanged } = result.counts;
    console.log(`${planned.length} object(s): ${inserted} inserted, ${updated} updated, ${unchanged} unchanged, ${result.failures.length} failed`);
    for (const f of result.failures) console.error(`  failed: ${f.message}`);
    if (result.failures.length || abort.signal.aborted) process.exitCode = 1;
  });
}
