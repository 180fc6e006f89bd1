import { DEFAULT_MAX_ITEMS, guardFor, ingestGroups, planStac } from '../../../lib/ingest/index.ts';
import type { LocationPolicy } from '../../../lib/source/index.ts';
import { runBatch } from './batch.ts';
import { withCatalog } from './catalog.ts';

export interface StacCliOptions {
  catalog?: string;
  keys?: string;
  assets?: string;
  maxItems?: number;
  dryRun?: boolean;
  exact?: boolean;
  force?: boolean;
  concurrency: number;
  progress?: boolean;
}

/** `taoguan ingest --stac ITEM|ITEMCOLLECTION|COLLECTION --keys …`: each item whole or not at all. */
export async function ingestStacCommand(root: string, opts: StacCliOptions, policy: LocationPolicy | undefined): Promise<void> {
  if (!opts.keys) throw new Error('--stac needs --keys: one item field per catalog key, e.g. --keys collection,datetime:date,asset');
  const assets = opts.assets?.split(',').map((a) => a.trim()).filter(Boolean);
  if (opts.assets !== undefined && !assets?.length) throw new Error(`--assets ${JSON.stringify(opts.assets)}: no asset names`);
  const source = { guard: guardFor(root) };
  const onWarning = (location: string, message: string) => console.error(`warning: ${location}: ${message}`);
  await withCatalog(opts.catalog, async (catalog) => {
    const keyNames = (await catalog.keys()).map((k) => k.name);
    const plan = await planStac(root, keyNames, { keys: opts.keys as string, assets, maxItems: opts.maxItems ?? DEFAULT_MAX_ITEMS, source, policy });
    for (const s of plan.skipped) console.error(`${s.failed ? 'failed' : 'skipped'}: ${s.name}: ${s.reason}`);
    const failedInPlan = plan.skipped.filter((s) => s.failed).length;
    if (opts.dryRun) {
      for (const item of plan.items) for (const o of item.objects) console.log(`${o.keys.join('/')}\t${o.location}`);
      const rows = plan.items.reduce((n, i) => n + i.objects.length, 0);
      console.error(`dry run: ${rows} dataset(s) from ${plan.items.length} item(s); nothing was read or written`);
      if (failedInPlan) process.exitCode = 1;
      return;
    }
    await runBatch(plan.items.length, 'item(s)', opts.progress, (signal, onProgress) =>
      ingestGroups(catalog, plan.items, { exact: opts.exact, force: opts.force, policy, source, concurrency: opts.concurrency, signal, onWarning, onProgress }));
    if (failedInPlan) process.exitCode = 1;
  });
}
