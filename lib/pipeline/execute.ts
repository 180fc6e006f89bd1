/**
 * executePlan: the I/O and CPU half of a tile — for each source of a plan, fetch the blocks it names
 * (or take them decoded from the block cache), assemble the window and warp it; then hand each input
 * of the style its band and mask. Sources are read concurrently.
 */
import { giveBack, readPlan, type BlockLoader } from '../raster/index.ts';
import type { StyleInput } from '../render/index.ts';
import type { Source } from '../source/index.ts';
import type { CogHeader } from '../tiff/index.ts';
import { warpWindow, type WarpedTile } from '../warp/index.ts';
import type { TilePlan } from './plan.ts';

/** How a planned dataset is read: what planTile was given the header of, by the same index. */
export interface DatasetIO {
  header: CogHeader;
  source: Source;
  /** Reads are pinned to it (If-Match): a replaced object fails instead of mixing versions. */
  etag?: string;
  blockCache?: BlockLoader;
}

/** One warped tile per source of the plan, each with the source's bands in plan order. */
export async function executePlan(plan: TilePlan, datasets: readonly DatasetIO[], signal?: AbortSignal): Promise<WarpedTile[]> {
  return Promise.all(plan.sources.map(async (s) => {
    const { header, source, etag, blockCache } = datasets[s.dataset];
    const window = await readPlan(header, source, s.read, { signal, etag, cache: blockCache });
    const warped = warpWindow(s.warp, window);
    // the window's arrays are read by the warp alone: the next tile may have them
    giveBack([...window.bands, window.mask]);
    return warped;
  }));
}

/** Each input's band and mask from the warped sources (undefined where its dataset has no data here). */
export function inputPixels(plan: TilePlan, warped: readonly WarpedTile[]): (StyleInput | undefined)[] {
  return plan.inputs.map((input) => {
    if (!input) return undefined;
    const w = warped[input.source];
    return { band: w.bands[plan.sources[input.source].bands.indexOf(input.band)], mask: w.mask };
  });
}
