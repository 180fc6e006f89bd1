/**
 * From a tile-family request (singleband, rgb, compute) to what renderTile needs: the validated
 * options, the dataset records (for the ETag), the inputs and the style. Shared by tiles, previews,
 * TileJSON and WMTS, so every route of a family takes exactly the same parameters.
 */
import type { DatasetRecord } from '../catalog/index.ts';
import type { PixelSelection, TileInput } from '../pipeline/index.ts';
import { compileCompute, prepareAlgorithm, RenderInputError, type AlgorithmRequest, type TileStyle } from '../render/index.ts';
import type { TmsId } from '../grids/index.ts';
import type { Resampling } from '../warp/index.ts';
import { type ApiContext, type RequestStats, stretchStats } from './context.ts';
import { badRequest } from './errors.ts';
import { ComputeQuery, MAX_OPERANDS, parseQuery, RgbQuery, SinglebandQuery } from './schemas.ts';

export type Family = 'singleband' | 'rgb' | 'compute';
export const FAMILIES: readonly Family[] = ['singleband', 'rgb', 'compute'];

/** The options of a family's request, checked before any catalog or object I/O. */
export interface FamilyOptions {
  family: Family;
  tms: TmsId;
  resampling: Resampling;
  /** [width, height] asked with tile_size, before an @2x suffix doubles it. */
  tileSize?: [number, number];
  style: TileStyle;
  /** singleband only: hillshade, slope, terrainrgb, terrarium (checked by the pipeline before any I/O). */
  algorithm?: AlgorithmRequest;
  /** Lossy quality for rgb .webp / .jpg. */
  quality?: number;
  /** Last-key values of the datasets after the path's keys: none for singleband, r/g/b, or v1…vN. */
  lastKeys: string[];
  /** Mosaics: how datasets combine, and the key they are taken in order of. */
  pixelSelection?: PixelSelection;
  sort?: string;
}

export function familyOptions(family: Family, query: URLSearchParams): FamilyOptions {
  if (family === 'singleband') {
    const q = parseQuery(SinglebandQuery, query);
    if (q.colormap === 'explicit' && !q.explicit_color_map) throw badRequest('explicit_color_map: is required with colormap=explicit');
    if (q.explicit_color_map && q.colormap !== 'explicit') throw badRequest('explicit_color_map: can only be given with colormap=explicit');
    const colormap = q.colormap === 'explicit' ? q.explicit_color_map! : (q.colormap ?? null);
    if (q.algorithm_params && !q.algorithm) throw badRequest('algorithm_params: can only be given with algorithm=…');
    const algorithm = q.algorithm ? { name: q.algorithm, params: q.algorithm_params } : undefined;
    if (algorithm) prepareAlgorithm(algorithm);
    return { family, ...common(q), algorithm, style: { kind: 'singleband', stretch: q.stretch_range ?? null, colormap }, lastKeys: [] };
  }
  if (family === 'rgb') {
    const q = parseQuery(RgbQuery, query);
    return { family, ...common(q), style: { kind: 'rgb', ranges: [q.r_range, q.g_range, q.b_range] }, lastKeys: [q.r, q.g, q.b] };
  }
  const q = parseQuery(ComputeQuery, query);
  const operands: string[] = [];
  for (let i = 1; i <= MAX_OPERANDS; i++) {
    const v = (q as Record<string, unknown>)[`v${i}`] as string | undefined;
    if (v === undefined) continue;
    if (operands.length !== i - 1) throw badRequest(`v${operands.length + 1}: is missing; operands are v1…vN without gaps`);
    operands.push(v);
  }
  if (operands.length === 0) throw badRequest('v1: at least one operand is required (the last key value of a dataset)');
  checkExpression(q.expression, operands.length);
  return { family, ...common(q), style: { kind: 'compute', expression: q.expression, stretch: q.stretch_range, colormap: q.colormap ?? null }, lastKeys: operands };
}

function common(q: { tms: TmsId; resampling: string; tile_size?: [number, number]; quality?: number; pixel_selection?: PixelSelection; sort?: string }): Pick<FamilyOptions, 'tms' | 'resampling' | 'tileSize' | 'quality' | 'pixelSelection' | 'sort'> {
  return { tms: q.tms, resampling: q.resampling as Resampling, tileSize: q.tile_size, quality: q.quality, pixelSelection: q.pixel_selection, sort: q.sort };
}

/** The square output size in pixels, refused above the server's cap. */
export function outputSize(options: FamilyOptions, scale: 1 | 2, maxTileSize: number, fallback = 256): number {
  const [w, h] = options.tileSize ?? [fallback, fallback];
  if (w !== h) throw badRequest(`tile_size: tiles are square; got [${w}, ${h}]`);
  const size = w * scale;
  if (!Number.isInteger(size) || size < 1) throw badRequest(`tile_size: must be a positive number of pixels, got ${w}`);
  if (size > maxTileSize) throw badRequest(`tile_size: ${size} px${scale === 2 ? ' (with @2x)' : ''} is above this server's limit of ${maxTileSize} px`);
  return size;
}

/** Key counts: singleband paths carry every key, rgb and compute all but the last. */
export function pathKeyCount(family: Family, keyCount: number): number {
  return family === 'singleband' ? keyCount : keyCount - 1;
}

export interface ResolvedInputs {
  /** Distinct records read, in input order: what the ETag is derived from. */
  records: DatasetRecord[];
  /** The render inputs, made on first use: a 304, a cached tile, TileJSON and WMTS never need them. */
  readonly inputs: TileInput[];
}

/** Look the datasets up (404 when one is missing); the render inputs follow when asked for. */
export async function resolveInputs(ctx: ApiContext, options: FamilyOptions, pathKeys: string[], stats: RequestStats): Promise<ResolvedInputs> {
  const keyLists = options.family === 'singleband' ? [pathKeys] : options.lastKeys.map((last) => [...pathKeys, last]);
  const found = await Promise.all(keyLists.map((keys) => ctx.record(keys, stats)));
  const records = [...new Set(found)];
  let inputs: TileInput[] | undefined;
  return {
    records,
    get inputs() {
      if (!inputs) {
        // One TileDataset per distinct object, so an RGB of one COG's bands reads its blocks once.
        const datasets = new Map(records.map((record) => [record, ctx.tileDataset(record, stats)]));
        inputs = found.map((record) => ({ dataset: datasets.get(record)!, band: 0, stats: stretchStats(record) }));
      }
      return inputs;
    },
  };
}

/**
 * The expression compiled once before any I/O, so a syntax error is a 400 at once; an unescaped `+`
 * reaches us as a space (form encoding), so a syntax error with a space in it gets that hint.
 */
function checkExpression(expression: string, operands: number): void {
  try {
    compileCompute(expression, operands);
  } catch (e) {
    if (!(e instanceof RenderInputError) || !/\S\s+\S/.test(expression.trim())) throw e;
    throw new RenderInputError('expression', `${e.message.replace(/^expression: /, '')} — a "+" in a URL query means a space: write it as %2B (e.g. v1%2Bv2)`);
  }
}
