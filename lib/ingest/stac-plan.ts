/**
 * Items → the rows a STAC ingest will write, decided before any is written: each selected asset's
 * keys (the mapping) and location (its href resolved). A mapping that does not fit the items (a
 * missing field, a value no key may hold, two assets under the same keys) refuses the whole run;
 * an item without the assets asked for is left out and reported, the others go on.
 */
import type { PlannedObject } from './ingest.ts';
import { isCogAsset, keyValue, parseKeyMapping, resolveHref, StacError } from './stac.ts';
import { walkStac, type FoundItem, type WalkOptions } from './stac-walk.ts';

export interface PlannedItem {
  /** The item as messages name it: collection/id. */
  name: string;
  objects: (PlannedObject & { asset: string })[];
}

export interface StacPlan {
  items: PlannedItem[];
  /** Items left out: `failed` when they lack an asset named by --assets, else they have no GeoTIFF asset. */
  skipped: { name: string; reason: string; failed: boolean }[];
}

export interface StacPlanOptions extends WalkOptions {
  /** --keys: one field per catalog key, e.g. collection,datetime:date,asset. */
  keys: string;
  /** --assets: these asset names, in every item; default every GeoTIFF asset. */
  assets?: string[];
}

/** Reads the documents `root` leads to and plans their rows; nothing is ingested. */
export async function planStac(root: string, catalogKeys: string[], options: StacPlanOptions): Promise<StacPlan> {
  // A bad mapping is refused before any document is fetched.
  parseKeyMapping(options.keys, catalogKeys);
  return planItems(await walkStac(root, options), catalogKeys, options);
}

export function planItems(found: FoundItem[], catalogKeys: string[], options: Pick<StacPlanOptions, 'keys' | 'assets'>): StacPlan {
  const fields = parseKeyMapping(options.keys, catalogKeys);
  const plan: StacPlan = { items: [], skipped: [] };
  const seen = new Map<string, string>();
  const items = new Set<string>();
  for (const { item, base } of found) {
    const name = item.collection ? `${item.collection}/${item.id}` : item.id;
    // A live search may serve an item on two pages when the archive changes between them.
    if (items.has(name)) continue;
    items.add(name);
    const names = Object.keys(item.assets);
    let chosen: string[];
    if (options.assets?.length) {
      const missing = options.assets.filter((a) => !Object.hasOwn(item.assets, a));
      if (missing.length) {
        plan.skipped.push({ name, failed: true, reason: `no asset ${missing.join(', ')} (it has ${names.join(', ') || 'none'})` });
        continue;
      }
      chosen = options.assets;
    } else {
      chosen = names.filter((a) => isCogAsset(item.assets[a]));
      if (chosen.length === 0) {
        plan.skipped.push({ name, failed: false, reason: `no GeoTIFF asset (${names.map((a) => `${a}: ${item.assets[a].type ?? 'no type'}`).join('; ') || 'no assets'})` });
        continue;
      }
    }
    const objects = chosen.map((asset) => {
      const keys = fields.map((f, i) => keyValue(item, asset, f, catalogKeys[i]));
      const location = resolveHref(item.assets[asset].href, base);
      const id = JSON.stringify(keys), what = `item ${name} asset ${asset}`;
      const other = seen.get(id);
      if (other) {
        const hint = fields.some((f) => f.field === 'asset') ? '' : '; map the asset name to a key (asset in --keys) or pick one asset with --assets';
        throw new StacError(`${other} and ${what} both map to keys ${keys.join(', ')}${hint}; nothing was ingested`);
      }
      seen.set(id, what);
      return { location, keys, asset };
    });
    plan.items.push({ name, objects });
  }
  if (plan.items.length === 0) {
    throw new StacError(`none of the ${found.length} item(s) has ${options.assets?.length ? `the asset(s) ${options.assets.join(', ')}` : 'a GeoTIFF asset'}: ${plan.skipped[0]?.name}: ${plan.skipped[0]?.reason}`);
  }
  return plan;
}
