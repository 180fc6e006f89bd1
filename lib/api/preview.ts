/**
 * preview.png: the whole dataset in one image, drawn in the dataset's own CRS (no reprojection), the
 * longer side 512 px unless tile_size gives an exact [width, height]. Why not the covering Web
 * Mercator tile: a small dataset that straddles a low-zoom tile edge would shrink to a few pixels
 * of a mostly empty image. The pixels come from the smallest overview at least as large as the
 * preview, sampled nearest-neighbour, and go through the same stretch / colormap / RGB / band-math
 * rendering as tiles. RGB and compute inputs are each sampled over their own extent, so they should
 * share a grid (bands of one scene do).
 */
import { readWindow, type RasterWindow } from '../raster/window.ts';
import { renderRgb } from '../render/rgb.ts';
import { renderSingleband } from '../render/singleband.ts';
import { resolveStretchRange, type Band } from '../render/stretch.ts';
import { compileCompute, toFloat, type TileInput } from '../tiler.ts';
import { badRequest } from './errors.ts';
import type { TileFormat } from './paths.ts';
import type { CachedTile } from './tile-cache.ts';
import type { FamilyOptions, ResolvedInputs } from './tile-request.ts';

export const DEFAULT_PREVIEW_SIZE = 512;
/** Larger source levels would cost more memory than a function has; a valid COG has overviews. */
const MAX_LEVEL_PIXELS = 16 * 1024 * 1024;

interface Sampled { band: Band; mask: Uint8Array }

export async function renderPreview(options: FamilyOptions, resolved: ResolvedInputs, format: TileFormat, longSide: number): Promise<CachedTile> {
  const full = resolved.inputs[0].dataset.header.levels[0].image;
  const [width, height] = options.tileSize ?? fit(full.width, full.height, longSide);
  if (width < 1 || height < 1) throw badRequest('tile_size: must be positive');
  const sampled = await Promise.all(resolved.inputs.map((input) => sample(input, width, height)));
  const style = options.style;
  const n = width * height;
  if (style.kind === 'singleband') {
    const explicit = style.colormap !== null && typeof style.colormap === 'object';
    const stretch = explicit ? undefined : resolveStretchRange(style.stretch, resolved.inputs[0].stats!);
    return png(renderSingleband({ band: sampled[0].band, mask: sampled[0].mask, width, height, stretch, colormap: style.colormap }));
  }
  if (style.kind === 'rgb') {
    const mask = new Uint8Array(n).fill(255);
    for (const s of sampled) for (let i = 0; i < n; i++) if (s.mask[i] === 0) mask[i] = 0;
    const ranges = resolved.inputs.map((input, c) => resolveStretchRange(style.ranges?.[c], input.stats!)) as [[number, number], [number, number], [number, number]];
    const bytes = renderRgb({ r: sampled[0].band, g: sampled[1].band, b: sampled[2].band, mask, width, height, ranges, format });
    return { bytes, contentType: format === 'jpeg' ? 'image/jpeg' : 'image/png', empty: false };
  }
  const program = compileCompute(style.expression, sampled.length);
  const { values, mask } = program(sampled.map((s) => toFloat(s.band)), sampled.map((s) => s.mask));
  return png(renderSingleband({ band: values, mask, width, height, stretch: resolveStretchRange(style.stretch, { min: NaN, max: NaN, percentiles: [] }), colormap: style.colormap }));
}

const png = (bytes: Uint8Array): CachedTile => ({ bytes, contentType: 'image/png', empty: false });

/** [width, height] with the longer side `long` and the raster's aspect ratio. */
function fit(w: number, h: number, long: number): [number, number] {
  return w >= h ? [long, Math.max(1, Math.round((long * h) / w))] : [Math.max(1, Math.round((long * w) / h)), long];
}

/** The input's band over its whole extent, nearest-sampled to width × height. */
async function sample(input: TileInput, width: number, height: number): Promise<Sampled> {
  const { header, source, etag, blockCache, budget } = input.dataset;
  // levels run from full resolution down: take the smallest that still covers the preview
  let level = 0;
  for (let i = header.levels.length - 1; i >= 0; i--) {
    const im = header.levels[i].image;
    if (im.width >= width && im.height >= height) { level = i; break; }
  }
  const im = header.levels[level].image;
  if (im.width * im.height > MAX_LEVEL_PIXELS) throw badRequest('preview: the dataset has no overview small enough for a preview; rebuild it with overviews (taoguan optimize)');
  const win: RasterWindow = await readWindow(header, source, { x: 0, y: 0, width: im.width, height: im.height }, { level, bands: [input.band ?? 0], etag, cache: blockCache, budget });
  const src = win.bands[0];
  const band = new (src.constructor as new (n: number) => Band)(width * height);
  const mask = new Uint8Array(width * height);
  const cols = Int32Array.from({ length: width }, (_, i) => Math.min(im.width - 1, Math.floor(((i + 0.5) * im.width) / width)));
  for (let j = 0; j < height; j++) {
    const row = Math.min(im.height - 1, Math.floor(((j + 0.5) * im.height) / height)) * im.width;
    for (let i = 0, o = j * width; i < width; i++, o++) {
      band[o] = src[row + cols[i]];
      mask[o] = win.mask[row + cols[i]];
    }
  }
  return { band, mask };
}
