/**
 * renderTile: one map tile from one or more COGs, as PNG (or JPEG) bytes — the in-process function
 * the HTTP API, every serverless function and `taoguan tile` call. Plan (pure geometry, lib/tiles) →
 * read only the blocks the plan needs (lib/raster) → warp → render (lib/render). No HTTP here.
 */
import { InputError } from './errors.ts';
import type { ReadBudget } from './raster/budget.ts';
import { planWindow } from './raster/plan.ts';
import { readPlan, type BlockLoader } from './raster/window.ts';
import { compileExpression, parseExpression, type CompiledExpression } from './render/expression.ts';
import { RenderInputError } from './render/errors.ts';
import { emptyPng } from './render/png.ts';
import { renderRgb } from './render/rgb.ts';
import { renderSingleband } from './render/singleband.ts';
import { resolveStretchRange, type StretchBound, type StretchMetadata } from './render/stretch.ts';
import type { ExplicitColormapInput } from './render/explicit.ts';
import type { Source } from './source/source.ts';
import type { CogHeader } from './tiff/header.ts';
import { tileMatrixSet, type TmsId } from './tiles/tms.ts';
import { planTile, warpWindow, type Resampling, type WarpedTile } from './tiles/warp.ts';

/** A dataset ready to render: its header (from the catalog) and a way to read its bytes. */
export interface TileDataset {
  header: CogHeader;
  source: Source;
  /** The ETag the header was read with: a replaced object fails instead of rendering stale blocks. */
  etag?: string;
  /** Decoded blocks shared between tiles (lib/raster/block-cache.ts); none: fetch and decode each time. */
  blockCache?: BlockLoader;
  /** The request's caps on source bytes and decoded pixels, shared by all its datasets (raster/budget.ts). */
  budget?: ReadBudget;
}

/** One input band: a dataset and a 0-based band index in it (default 0). */
export interface TileInput {
  dataset: TileDataset;
  band?: number;
  /** That band's min / max / percentiles, for null and "pN" stretch bounds. */
  stats?: StretchMetadata;
}

export type TileStyle =
  | { kind: 'singleband'; stretch?: readonly [StretchBound, StretchBound] | null; colormap?: string | ExplicitColormapInput | null }
  | { kind: 'rgb'; ranges?: readonly (readonly [StretchBound, StretchBound] | null | undefined)[] }
  | { kind: 'compute'; expression: string; stretch: readonly [StretchBound, StretchBound]; colormap?: string | null };

export interface TileRequest {
  tms?: TmsId;
  z: number;
  x: number;
  y: number;
  tileSize?: number;
  resampling?: Resampling;
  format?: 'png' | 'jpeg';
  /** singleband: one input; rgb: three (r, g, b); compute: v1…vN in order. */
  inputs: TileInput[];
  style: TileStyle;
  signal?: AbortSignal;
}

export interface RenderedTile {
  bytes: Uint8Array;
  contentType: 'image/png' | 'image/jpeg';
  /** True when no input had data here: the bytes are a transparent tile. */
  empty: boolean;
}

export async function renderTile(req: TileRequest): Promise<RenderedTile> {
  const size = req.tileSize ?? 256;
  const expected = req.style.kind === 'singleband' ? 1 : req.style.kind === 'rgb' ? 3 : undefined;
  if (expected !== undefined && req.inputs.length !== expected) throw new InputError(`${req.style.kind} takes ${expected} input(s), got ${req.inputs.length}`);
  if (req.format === 'jpeg' && req.style.kind !== 'rgb') throw new RenderInputError('format', 'JPEG output is for rgb tiles; singleband and compute tiles need PNG transparency');
  const program = req.style.kind === 'compute' ? compileCompute(req.style.expression, req.inputs.length) : undefined;
  const tms = tileMatrixSet(req.tms ?? 'WebMercatorQuad');
  const warped = await warpInputs(req, tms, size);
  if (warped.every((w) => w === undefined)) return { bytes: emptyPng(size, size), contentType: 'image/png', empty: true };

  const style = req.style;
  if (style.kind === 'singleband') {
    const w = warped[0]!;
    const explicit = style.colormap !== null && typeof style.colormap === 'object';
    const stretch = explicit ? undefined : resolveStretchRange(style.stretch, statsOf(req.inputs[0], style.stretch));
    return png(renderSingleband({ band: w.bands[0], mask: w.mask, width: size, height: size, stretch, colormap: style.colormap }));
  }
  if (style.kind === 'rgb') {
    const mask = new Uint8Array(size * size).fill(255);
    for (const w of warped) andMask(mask, w);
    const bands = warped.map((w) => w?.bands[0] ?? new Float32Array(size * size));
    const ranges = req.inputs.map((inp, c) => resolveStretchRange(style.ranges?.[c], statsOf(inp, style.ranges?.[c]))) as [[number, number], [number, number], [number, number]];
    const bytes = renderRgb({ r: bands[0], g: bands[1], b: bands[2], mask, width: size, height: size, ranges, format: req.format });
    return { bytes, contentType: req.format === 'jpeg' ? 'image/jpeg' : 'image/png', empty: false };
  }
  const inputs = warped.map((w) => (w ? toFloat(w.bands[0]) : new Float32Array(size * size)));
  const masks = warped.map((w) => w?.mask ?? new Uint8Array(size * size));
  const { values, mask } = program!(inputs, masks);
  const stretch = resolveStretchRange(style.stretch, { min: NaN, max: NaN, percentiles: [] });
  if (!stretch.every(Number.isFinite)) throw new RenderInputError('stretch_range', 'compute needs explicit numeric bounds, e.g. [-1, 1]');
  return png(renderSingleband({ band: values, mask, width: size, height: size, stretch, colormap: style.colormap }));
}

const png = (bytes: Uint8Array): RenderedTile => ({ bytes, contentType: 'image/png', empty: false });

/**
 * Plan, read and warp each distinct dataset once, with all the bands asked of it: an RGB of three
 * bands of one COG fetches and decodes its blocks once, not three times.
 */
async function warpInputs(req: TileRequest, tms: ReturnType<typeof tileMatrixSet>, size: number): Promise<(WarpedTile | undefined)[]> {
  const groups = new Map<TileDataset, number[]>();
  for (const { dataset, band = 0 } of req.inputs) {
    const bands = groups.get(dataset) ?? [];
    if (!bands.includes(band)) bands.push(band);
    groups.set(dataset, bands);
  }
  // Plan and charge every dataset before fetching any: a request over its caps fetches nothing.
  const plans = [...groups].map(([dataset, bands]) => {
    const tile = planTile(dataset.header, tms, req.z, req.x, req.y, { tileSize: size, resampling: req.resampling });
    const window = tile && planWindow(dataset.header, tile.level, tile.window, bands);
    if (window) dataset.budget?.charge(dataset.header, window);
    return { dataset, tile, window };
  });
  const done = new Map<TileDataset, WarpedTile | undefined>();
  await Promise.all(plans.map(async ({ dataset, tile, window }) => {
    if (!tile || !window) return done.set(dataset, undefined);
    const win = await readPlan(dataset.header, dataset.source, window, { signal: req.signal, etag: dataset.etag, cache: dataset.blockCache });
    done.set(dataset, warpWindow(tile, win));
  }));
  return req.inputs.map(({ dataset, band = 0 }) => {
    const w = done.get(dataset);
    return w && { ...w, bands: [w.bands[groups.get(dataset)!.indexOf(band)]] };
  });
}

/**
 * The band-math program for `expression` over v1…vn; a bad expression is a RenderInputError (400).
 * Compiled per render: it costs ~5 µs, too little to be worth a cache.
 */
export function compileCompute(expression: string, n: number): CompiledExpression {
  const variables = Array.from({ length: n }, (_, i) => `v${i + 1}`);
  try {
    return compileExpression(parseExpression(expression, { variables }), { variables });
  } catch (e) {
    throw new RenderInputError('expression', (e as Error).message);
  }
}

function statsOf(input: TileInput, range: readonly [StretchBound, StretchBound] | null | undefined): StretchMetadata {
  const needs = !range || range.some((b) => b === null || b === undefined || typeof b === 'string');
  if (needs && !input.stats) throw new RenderInputError('stretch_range', 'null and "pN" bounds need the dataset\'s statistics; give numbers, or ingest the dataset');
  return input.stats ?? { min: NaN, max: NaN, percentiles: [] };
}

function andMask(mask: Uint8Array, w: WarpedTile | undefined): void {
  if (!w) { mask.fill(0); return; }
  for (let i = 0; i < mask.length; i++) if (w.mask[i] === 0) mask[i] = 0;
}

/** Float32 holds every ≤16-bit integer exactly; 32-bit integers and doubles go as Float64. */
export function toFloat(a: ArrayLike<number>): Float32Array | Float64Array {
  if (a instanceof Float32Array || a instanceof Float64Array) return a;
  return a instanceof Int32Array || a instanceof Uint32Array ? Float64Array.from(a) : Float32Array.from(a);
}
