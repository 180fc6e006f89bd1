/**
 * renderPreview: the whole dataset in one image, drawn in the dataset's own CRS (no reprojection),
 * the longer side `longSide` px unless `size` gives an exact [width, height]. Why not the covering
 * Web Mercator tile: a small dataset that straddles a low-zoom tile edge would shrink to a few pixels
 * of a mostly empty image. The pixels come from the smallest overview at least as large as the
 * preview, sampled nearest-neighbour, and go through the same styles as tiles. RGB and compute inputs
 * are each sampled over their own extent, so they should share a grid (bands of one scene do).
 */
import { InputError } from '../errors/index.ts';
import { readWindow } from '../raster/index.ts';
import { encodeRgba, loadWebpEncoder, prepareStyle, type AlgorithmRequest, type Band, type ImageFormat, type StyleInput, type TileStyle } from '../render/index.ts';
import { algorithmStyle, checkAlgorithm, previewFrame, runAlgorithm } from './algorithm.ts';
import type { RenderedTile, TileInput } from './request.ts';

export const DEFAULT_PREVIEW_SIZE = 512;
/** Larger source levels would cost more memory than a function has; a valid COG has overviews. */
const MAX_LEVEL_PIXELS = 16 * 1024 * 1024;

export interface PreviewRequest {
  inputs: TileInput[];
  style: TileStyle;
  format?: ImageFormat;
  quality?: number;
  /** As for tiles (singleband): kernel algorithms see the raster's edge pixels repeated beyond it. */
  algorithm?: AlgorithmRequest;
  /** Exact [width, height]; otherwise the first input's aspect ratio with the longer side `longSide`. */
  size?: [number, number];
  longSide?: number;
}

export async function renderPreview(req: PreviewRequest): Promise<RenderedTile> {
  const full = req.inputs[0].dataset.header.levels[0].image;
  const [width, height] = req.size ?? fit(full.width, full.height, req.longSide ?? DEFAULT_PREVIEW_SIZE);
  if (width < 1 || height < 1) throw new InputError('tile_size: must be positive');
  const format = req.format ?? 'png';
  const algorithm = req.algorithm && checkAlgorithm(req.algorithm, req.style, format);
  const render = prepareStyle(algorithmStyle(algorithm, req.style), { width, height, format, quality: req.quality, stats: req.inputs.map((i) => i.stats) });
  if (format === 'webp') await loadWebpEncoder();
  const buffer = algorithm?.buffer ?? 0;
  const sampled = await Promise.all(req.inputs.map((input) => sample(input, width, height, buffer)));
  if (!algorithm) return { ...render(sampled), empty: false };
  const out = runAlgorithm(algorithm, sampled[0], previewFrame(req.inputs[0].dataset.header, width, height, buffer));
  if (out.kind === 'rgba') return { ...encodeRgba(out.rgba, width, height, format), empty: false };
  return { ...render([{ band: out.band, mask: out.mask }]), empty: false };
}

/** [width, height] with the longer side `long` and the raster's aspect ratio. */
function fit(w: number, h: number, long: number): [number, number] {
  return w >= h ? [long, Math.max(1, Math.round((long * h) / w))] : [Math.max(1, Math.round((long * w) / h)), long];
}

/** The input's band over its whole extent, nearest-sampled to width × height, plus `buffer` edge pixels repeated on every side. */
async function sample(input: TileInput, width: number, height: number, buffer = 0): Promise<StyleInput> {
  const { header, source, etag, blockCache, budget } = input.dataset;
  // levels run from full resolution down: take the smallest that still covers the preview
  let level = 0;
  for (let i = header.levels.length - 1; i >= 0; i--) {
    const im = header.levels[i].image;
    if (im.width >= width && im.height >= height) { level = i; break; }
  }
  const im = header.levels[level].image;
  if (im.width * im.height > MAX_LEVEL_PIXELS) throw new InputError('preview: the dataset has no overview small enough for a preview; rebuild it with overviews (taoguan optimize)');
  const win = await readWindow(header, source, { x: 0, y: 0, width: im.width, height: im.height }, { level, bands: [input.band ?? 0], etag, cache: blockCache, budget });
  const src = win.bands[0];
  const w = width + 2 * buffer, h = height + 2 * buffer;
  const band = new (src.constructor as new (n: number) => Band)(w * h);
  const mask = new Uint8Array(w * h);
  const at = (i: number, n: number, size: number) => Math.max(0, Math.min(n - 1, Math.floor(((i - buffer + 0.5) * n) / size)));
  const cols = Int32Array.from({ length: w }, (_, i) => at(i, im.width, width));
  for (let j = 0; j < h; j++) {
    const row = at(j, im.height, height) * im.width;
    for (let i = 0, o = j * w; i < w; i++, o++) {
      band[o] = src[row + cols[i]];
      mask[o] = win.mask[row + cols[i]];
    }
  }
  return { band, mask };
}
