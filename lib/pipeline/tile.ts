/**
 * renderTile: one map tile from one or more COGs, as PNG (or JPEG) bytes — the in-process function
 * the HTTP API, every serverless function and `taoguan tile` call. The steps, each its own module:
 * prepare the style (render/styles: refuse a bad request before any I/O) → plan (plan.ts: pure
 * geometry over the headers) → charge the request's caps → execute (execute.ts: read, decode, warp)
 * → render the style. No HTTP here.
 */
import { emptyPng, prepareStyle } from '../render/index.ts';
import { executePlan, inputPixels } from './execute.ts';
import { planTile } from './plan.ts';
import type { RenderedTile, TileDataset, TileRequest } from './request.ts';

export async function renderTile(req: TileRequest): Promise<RenderedTile> {
  const size = req.tileSize ?? 256;
  const render = prepareStyle(req.style, { width: size, height: size, format: req.format ?? 'png', stats: req.inputs.map((i) => i.stats) });
  // each distinct dataset is planned and read once, with every band its inputs ask of it
  const datasets: TileDataset[] = [...new Set(req.inputs.map((i) => i.dataset))];
  const plan = planTile(
    { tms: req.tms ?? 'WebMercatorQuad', z: req.z, x: req.x, y: req.y, size, resampling: req.resampling ?? 'nearest' },
    datasets.map((d) => d.header),
    req.inputs.map((i) => ({ dataset: datasets.indexOf(i.dataset), band: i.band ?? 0 })),
  );
  if (plan.sources.length === 0) return { bytes: emptyPng(size, size), contentType: 'image/png', empty: true };
  // every source charged before any is fetched: a request over its caps fetches nothing
  for (const s of plan.sources) datasets[s.dataset].budget?.charge(s.cost);
  const warped = await executePlan(plan, datasets, req.signal);
  return { ...render(inputPixels(plan, warped)), empty: false };
}
