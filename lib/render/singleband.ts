import { colormapPalette, greyscalePalette } from './colormaps.ts';
import { isExplicitColormap, labelExplicit, parseExplicitColormap, type ExplicitColormap, type ExplicitColormapInput } from './explicit.ts';
import { encodePalettePng, type PngEncodeOptions } from './png.ts';
import { stretchToIndices, type Band } from './stretch.ts';

export interface SinglebandRender {
  band: Band;
  /** 255 (any non-zero) valid, 0 invalid; omitted: every finite sample is valid. */
  mask?: Uint8Array;
  width: number;
  height: number;
  /** Resolved bounds (see resolveStretchRange); required unless the colormap is explicit, which ignores them as in Terracotta. */
  stretch?: readonly [number, number];
  /** A colormap name, an explicit value → colour map (parsed or not), or none for greyscale. */
  colormap?: string | ExplicitColormap | ExplicitColormapInput | null;
  png?: PngEncodeOptions;
}

/**
 * One singleband tile as Terracotta draws it: an 8-bit palette PNG whose index 0 is transparent
 * and marks exactly the invalid pixels (mask 0, NaN, ±Infinity; for an explicit map, also values
 * it does not list). Valid data are stretched onto 1..255, so they never land on index 0.
 */
export function renderSingleband(r: SinglebandRender): Uint8Array {
  const { indices, palette } = singlebandPalette(r);
  return encodePalettePng(indices, r.width, r.height, palette, r.png);
}

/**
 * The palette indices and palette renderSingleband encodes (for other formats than PNG); a stretch
 * writes its indices into `out` when given (width × height bytes).
 */
export function singlebandPalette(r: Omit<SinglebandRender, 'png'>, out?: Uint8Array): { indices: Uint8Array; palette: Uint8Array } {
  const { width, height } = r;
  if (r.band.length !== width * height) throw new RangeError(`band has ${r.band.length} samples for ${width}×${height}`);
  const cmap = r.colormap;
  if (cmap !== undefined && cmap !== null && typeof cmap !== 'string') {
    const explicit = isExplicitColormap(cmap) ? cmap : parseExplicitColormap(cmap);
    return { indices: labelExplicit(r.band, r.mask, explicit), palette: explicit.palette };
  }
  // Resolved before the pixel loop so an unknown name fails without wasted work.
  const palette = cmap ? colormapPalette(cmap) : greyscalePalette();
  if (!r.stretch) throw new TypeError('renderSingleband needs resolved stretch bounds');
  return { indices: stretchToIndices(r.band, r.mask, r.stretch[0], r.stretch[1], out), palette };
}
