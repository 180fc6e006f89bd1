import { inflateSync } from 'node:zlib';
import { nearest } from '../util/index.ts';
import { COLORMAP_DATA, COLORMAP_NAMES, COLORMAP_SAMPLES } from './colormap-data.ts';
import { fillRamp, RAMPS } from './colormap-ramps.ts';
import { RenderInputError } from './errors.ts';

/**
 * Named colormaps, one registry of two kinds: matplotlib's, generated and sampled as Terracotta
 * samples them (colormap-data.ts, from scripts/tools/gen/colormaps.py), and hand-written ramps
 * (colormap-ramps.ts). Names are case-insensitive, as in Terracotta (`RdBu` = `rdbu`).
 *
 * A LUT has 255 entries because a palette PNG has 256 and index 0 is kept for transparency:
 * LUT entry k is palette index k + 1, which is what a stretch to 1..255 produces.
 */

const SAMPLES = COLORMAP_SAMPLES;

/** Writes a map's 255 RGBA samples into `out` from byte `offset`. */
type Fill = (out: Uint8Array, offset: number) => void;

const COLORMAPS = new Map<string, Fill>([
  ...COLORMAP_NAMES.map((name, i): [string, Fill] => [name, (out, offset) => decodeInto(i, out, offset)]),
  ...RAMPS.flatMap((ramp): [string, Fill][] => [
    [ramp.name, (out, offset) => fillRamp(ramp, false, out, offset)],
    [`${ramp.name}_r`, (out, offset) => fillRamp(ramp, true, out, offset)],
  ]),
]);
if (COLORMAPS.size !== COLORMAP_NAMES.length + 2 * RAMPS.length) throw new Error('a hand-written colormap shadows another map\'s name');
const ALL_NAMES = [...COLORMAPS.keys()];
const palettes = new Map<string, Uint8Array>();
let packed: Uint8Array | undefined;
let grey: Uint8Array | undefined;

/** Every colormap name (lower case, `_r` variants included), sorted. */
export function colormapNames(): string[] {
  return [...ALL_NAMES].sort();
}

export function isColormapName(name: string): boolean {
  return COLORMAPS.has(name.toLowerCase());
}

/** A fresh 255×RGBA LUT (1020 bytes) for `name`; throws RenderInputError for an unknown name. */
export function getColormap(name: string): Uint8Array {
  const lut = new Uint8Array(SAMPLES * 4);
  fillOf(name)(lut, 0);
  return lut;
}

/**
 * The 256-entry RGBA palette for a named map: index 0 transparent black, 1..255 the LUT.
 * Cached and shared between tiles: callers must not write to it.
 */
export function colormapPalette(name: string): Uint8Array {
  const key = name.toLowerCase();
  let palette = palettes.get(key);
  if (!palette) {
    palette = new Uint8Array(256 * 4);
    fillOf(name)(palette, 4);
    palettes.set(key, palette);
  }
  return palette;
}

/** Terracotta's colormap-less output: index i is grey level i, index 0 transparent. Shared; read-only. */
export function greyscalePalette(): Uint8Array {
  if (!grey) {
    grey = new Uint8Array(256 * 4);
    for (let i = 1; i < 256; i++) grey.set([i, i, i, 255], i * 4);
  }
  return grey;
}

function fillOf(name: string): Fill {
  if (String(name).toLowerCase() === 'explicit') {
    throw new RenderInputError('explicit_color_map', 'colormap=explicit needs an explicit_color_map, e.g. {"1": [255, 0, 0], "2": "#00ff00"}');
  }
  const fill = COLORMAPS.get(String(name).toLowerCase());
  if (!fill) throw new RenderInputError('colormap', unknownMessage(String(name)));
  return fill;
}

function decodeInto(map: number, out: Uint8Array, offset: number): void {
  // The data are inflated once, on the first colormap asked for (~127 KB, well under 1 ms).
  packed ??= new Uint8Array(inflateSync(Buffer.from(COLORMAP_DATA, 'base64')));
  const base = map * SAMPLES * 3;
  let r = 0, g = 0, b = 0;
  for (let k = 0; k < SAMPLES; k++) {
    r = (r + packed[base + k]) & 255;
    g = (g + packed[base + SAMPLES + k]) & 255;
    b = (b + packed[base + 2 * SAMPLES + k]) & 255;
    const o = offset + k * 4;
    out[o] = r;
    out[o + 1] = g;
    out[o + 2] = b;
    out[o + 3] = 255;
  }
}

const POPULAR = ['viridis', 'plasma', 'inferno', 'magma', 'cividis', 'greys', 'rdbu', 'spectral', 'terrain', 'jet'];

function unknownMessage(name: string): string {
  const wanted = name.toLowerCase();
  const { name: best, distance: bestDistance } = nearest(wanted, ALL_NAMES);
  const guess = bestDistance <= Math.max(2, wanted.length / 3) ? ` Did you mean "${best}"?` : '';
  return `unknown colormap "${name}".${guess} Valid names include ${POPULAR.join(', ')} ` +
    `(${ALL_NAMES.length} in all, each also reversed as NAME_r; case-insensitive), or "explicit" with an explicit_color_map.`;
}
