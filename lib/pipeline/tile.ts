/**
 * renderTile: one map tile from one or more COGs, as PNG (or JPEG) bytes — the in-process function
 * the HTTP API, every serverless function and `taoguan tile` call. The steps, each its own module:
 * prepare the style (render/styles: refuse a bad request before any I/O) → plan (plan.ts: pure
 * geometry over the headers) → charge the request's caps → execute (execute.ts: read, decode, warp)
 * → the algorithm, if one is asked (algorithm.ts: hillshade, terrain encodings…) → render the style.
 * No HTTP here.
 */
import {
  emptyImage, encodeRgba, loadWebpEncoder, prepareAlgorithm, prepareStyle, RenderInputError,
  type AlgorithmRequest, type ImageFormat, type PreparedAlgorithm, type TileStyle,
} from '../render/index.ts';
import { runAlgorithm, tileFrame } from './algorithm.ts';
import { executePlan, inputPixels } from './execute.ts';
import { planTile } from './plan.ts';
import type { RenderedTile, TileDataset, TileRequest } from './request.ts';

export async function renderTile(req: TileRequest): Promise<RenderedTile> {
  const size = req.tileSize ?? 256;
  const format = req.format ?? 'png';
  const algorithm = req.algorithm && prepareTileAlgorithm(req.algorithm, req.style, format);
  const style = algorithm?.range && req.style.kind === 'singleband' && !req.style.stretch ? { ...req.style, stretch: algorithm.range } : req.style;
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
  const pixels = inputPixels(plan, warped);
  if (!algorithm) return { ...render(pixels), empty: false };
  const out = runAlgorithm(algorithm, pixels[0], tileFrame(plan.tile, buffer));
  if (out.kind === 'rgba') return { ...encodeRgba(out.rgba, size, size, format), empty: false };
  return { ...render([{ band: out.band, mask: out.mask }]), empty: false };
}

/** The algorithm, refused (400) where it cannot apply: on rgb or compute tiles, in JPEG, or with colours for an encoding. */
function prepareTileAlgorithm(request: AlgorithmRequest, style: TileStyle, format: ImageFormat): PreparedAlgorithm {
  const algorithm = prepareAlgorithm(request);
  if (style.kind !== 'singleband') throw new RenderInputError('algorithm', `applies to singleband tiles (one DEM band), not ${style.kind}`);
  if (algorithm.output === 'rgba') {
    if (format === 'jpeg') throw new RenderInputError('format', `${algorithm.name} encodes heights in exact colours: ask for .png or .webp, not JPEG`);
    if (style.colormap) throw new RenderInputError('colormap', `does not apply to algorithm=${algorithm.name}: its colours are the encoded heights`);
    if (style.stretch) throw new RenderInputError('stretch_range', `does not apply to algorithm=${algorithm.name}: its colours are the encoded heights`);
  } else if (style.stretch?.some((b) => typeof b !== 'number')) {
    // the dataset's statistics are of its heights, not of the algorithm's output
    throw new RenderInputError('stretch_range', `with algorithm=${algorithm.name} give two numbers (default [${algorithm.range!.join(', ')}]); null and "pN" would use the DEM's height statistics`);
  }
  return algorithm;
}
