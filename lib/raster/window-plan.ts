import { InputError, TaoguanError } from '../errors/index.ts';
import type { CogHeader, TiffImage } from '../tiff/index.ts';

/** A pixel window at one level, in that level's pixel coordinates. May extend past the image. */
export interface Window {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One internal block (tile or strip) a window needs. */
export interface BlockRef {
  /** Which image: the level's imagery or its mask. */
  image: 'data' | 'mask';
  /** Block column and row. */
  bx: number;
  by: number;
  /** Plane (band) for band-interleaved images, 0 otherwise. */
  plane: number;
  /** Index into the image's offsets/byteCounts. */
  index: number;
  offset: number;
  byteCount: number;
}

export interface WindowPlan {
  level: number;
  /** The requested window. */
  window: Window;
  /** The part of it inside the image (width or height 0 when none). */
  inside: Window;
  /** Sample indices to read from the data blocks (requested bands plus any alpha). */
  samples: number[];
  /** Sample index of the alpha band, when the image has one. */
  alphaSample?: number;
  /**
   * The window's samples kept as the blocks hold them, pixel by pixel in one array (RasterWindow's
   * only band), instead of an array a band: see ReadWindowOptions.interleaved.
   */
  interleaved?: boolean;
  blocks: BlockRef[];
}

export const MAX_WINDOW_PIXELS = 64 * 1024 * 1024;

/** Which blocks a window at a level needs: pure geometry over the header, no I/O. */
export function planWindow(header: CogHeader, level: number, window: Window, bands?: number[]): WindowPlan {
  const lv = header.levels[level];
  if (!lv) throw new InputError(`level ${level} does not exist (this raster has ${header.levels.length}: 0 to ${header.levels.length - 1})`);
  const { x, y, width, height } = window;
  if (![x, y, width, height].every(Number.isInteger) || width <= 0 || height <= 0) {
    throw new InputError(`invalid window ${x},${y} ${width}×${height}: integers with positive size expected`);
  }
  if (width * height > MAX_WINDOW_PIXELS) throw new TaoguanError('limit', `window ${width}×${height} exceeds ${MAX_WINDOW_PIXELS} pixels`);
  const im = lv.image;
  const samples = bands ?? colourSamples(im);
  for (const s of samples) {
    if (!Number.isInteger(s) || s < 0 || s >= im.samplesPerPixel) throw new InputError(`band index ${s} out of range (0 to ${im.samplesPerPixel - 1})`);
  }
  const alphaSample = alphaSampleOf(im);
  const wanted = alphaSample !== undefined && !samples.includes(alphaSample) ? [...samples, alphaSample] : samples;

  const x0 = Math.max(0, x), y0 = Math.max(0, y);
  const x1 = Math.min(im.width, x + width), y1 = Math.min(im.height, y + height);
  const inside = { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
  const blocks: BlockRef[] = [];
  if (inside.width > 0 && inside.height > 0) {
    const planes = im.planarConfiguration === 2 ? [...new Set(wanted)].sort((a, b) => a - b) : [0];
    addBlocks(blocks, 'data', im, inside, planes);
    if (lv.mask) addBlocks(blocks, 'mask', lv.mask, inside, [0]);
  }
  return { level, window, inside, samples, alphaSample, blocks };
}

function addBlocks(out: BlockRef[], kind: BlockRef['image'], im: TiffImage, w: Window, planes: number[]): void {
  const across = Math.ceil(im.width / im.blockWidth);
  const down = Math.ceil(im.height / im.blockHeight);
  const bx0 = Math.floor(w.x / im.blockWidth), bx1 = Math.floor((w.x + w.width - 1) / im.blockWidth);
  const by0 = Math.floor(w.y / im.blockHeight), by1 = Math.floor((w.y + w.height - 1) / im.blockHeight);
  for (const plane of planes) {
    for (let by = by0; by <= by1; by++) {
      for (let bx = bx0; bx <= bx1; bx++) {
        const index = plane * across * down + by * across + bx;
        out.push({ image: kind, bx, by, plane, index, offset: im.offsets[index], byteCount: im.byteCounts[index] });
      }
    }
  }
}

/** The samples a user calls bands: all but an alpha channel. */
export function colourSamples(im: TiffImage): number[] {
  const alpha = alphaSampleOf(im);
  return Array.from({ length: im.samplesPerPixel }, (_, i) => i).filter((i) => i !== alpha);
}

/** ExtraSamples 1 (associated) or 2 (unassociated) marks an alpha channel after the colour samples. */
export function alphaSampleOf(im: TiffImage): number | undefined {
  const colour = im.samplesPerPixel - im.extraSamples.length;
  const i = im.extraSamples.findIndex((e) => e === 1 || e === 2);
  return i >= 0 ? colour + i : undefined;
}
