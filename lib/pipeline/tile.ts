/**
 * renderTile: one map tile from one or more COGs, as PNG (or JPEG) bytes — the in-process function
 * the HTTP API, every serverless function and `taoguan tile` call. The steps, each its own module:
 * prepare the style (render/styles: refuse a bad request before any I/O) → plan (plan.ts: pure
 * geometry over the headers) → charge the request's caps → execute (execute.ts: read, decode, warp)
 * → the algorithm, if one is asked (algorithm.ts: hillshade, terrain encodings…) → render the style.
 * No HTTP here.
 */
import { emptyImage, encodeRgba, loadWebpEncoder, prepareStyle } from '../render/index.ts';
import { giveBack } from '../raster/index.ts';
import { releaseWarpPlan } from '../warp/index.ts';
import { algorithmStyle, checkAlgorithm, runAlgorithm, tileFrame } from './algorithm.ts';
import { executePlan, inputPixels } from './execute.ts';
import { planTile } from './plan.ts';
import type { RenderedTile, TileDataset, TileRequest } from './request.ts';

export async function renderTile(req: TileRequest): Promise<RenderedTile> {
  const size = req.tileSize ?? 256;
  const format = req.format ?? 'png';
  const algorithm = req.algorithm && checkAlgorithm(req.algorithm, req.style, format);
  const style = algorithmStyle(algorithm, req.style);
  const render = prepareStyle(style, { width: size, height: size, format, quality: req.quality, stats: req.inputs.map((i) => i.stats) });
  if (format === 'webp') await loadWebpEncoder();
  // each distinct dataset is planned and read once, with every band its inputs ask of it
  const datasets: TileDataset[] = [...new Set(req.inputs.map((i) => i.dataset))];
  const buffer = algorithm?.buffer ?? 0;
  const plan = planTile(
    { tms: req.tms ?? 'WebMercatorQuad', z: req.z, x: req.x, y: req.y, size, resampling: req.resampling ?? 'nearest', buffer },
    datasets.map((d) => d.header),
    req.inputs.map((i) => ({ dataset: datasets.indexOf(i.dataset), band: i.band ?? 0 })),
  );
  if (plan.sources.length === 0) return { ...emptyImage(size, size, format), empty: true };
  // every source charged before any is fetched: a request over its caps fetches nothing
  for (const s of plan.sources) datasets[s.dataset].budget?.charge(s.cost);
  const warped = await executePlan(plan, datasets, req.signal);
  // every source is warped: the next tile's plan may have their coordinate arrays
  for (const s of plan.sources) releaseWarpPlan(s.warp);
  const pixels = inputPixels(plan, warped);
  if (!algorithm) {
    const image = render(pixels);
    // the image is new bytes; nothing holds the warped pixels now
    for (const w of warped) giveBack([...w.bands, w.mask]);
    return { ...image, empty: false };
  }
  const out = runAlgorithm(algorithm, pixels[0], tileFrame(plan.tile, buffer));
  if (out.kind === 'rgba') return { ...encodeRgba(out.rgba, size, size, format), empty: false };
  return { ...render([{ band: out.band, mask: out.mask }]), empty: false };
}
