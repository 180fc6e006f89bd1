/**
 * planTile: the whole of one tile as a value, before any byte is read — for each dataset with data
 * under the tile, the overview level, the source window and where every output pixel samples it
 * (lib/warp), the internal blocks that window needs with their byte ranges (lib/raster), and what
 * reading them costs; and for each input band of the style, which of those sources it comes from.
 * Pure: headers in, plan out, so tests can check levels, blocks and ranges without I/O, and a
 * request over its caps is refused before anything is fetched.
 *
 * A plan composes any number of datasets into one tile (RGB and band math read several already);
 * each distinct dataset is planned, read and warped once, with all the bands asked of it.
 */
import { tileMatrixSet, type TmsId } from '../grids/index.ts';
import { planCost, planWindow, type ReadCost, type WindowPlan } from '../raster/index.ts';
import type { CogHeader } from '../tiff/index.ts';
import { planTileWarp, type Resampling, type TileWarpPlan } from '../warp/index.ts';

export interface TileSpec {
  tms: TmsId;
  z: number;
  x: number;
  y: number;
  /** Width and height in pixels. */
  size: number;
  resampling: Resampling;
  /** Pixels read around the tile on every side for kernel algorithms (default 0); the plan is then size + 2·buffer square. */
  buffer?: number;
}

/** An input band of the style: which dataset (an index into the headers planned) and which band of it. */
export interface InputRef {
  dataset: number;
  band: number;
}

/** One dataset that has data under the tile. */
export interface SourcePlan {
  /** Index into the headers planTile was given. */
  dataset: number;
  /** 0-based bands read from it, in the order executePlan returns them. */
  bands: number[];
  /** Level, source window, and each output pixel's source position. */
  warp: TileWarpPlan;
  /** The internal blocks (offsets and byte counts) of warp.window at warp.level. */
  read: WindowPlan;
  cost: ReadCost;
}

export interface TilePlan {
  tile: TileSpec;
  /** Datasets with data under the tile, in the order their first input names them. */
  sources: SourcePlan[];
  /** Per input of the style, in order: its source and band, or null where its dataset has no data here. */
  inputs: ({ source: number; band: number } | null)[];
  /** What every source together costs to read. */
  cost: ReadCost;
}

export function planTile(tile: TileSpec, headers: readonly CogHeader[], inputs: readonly InputRef[]): TilePlan {
  const tms = tileMatrixSet(tile.tms);
  const bandsOf = new Map<number, number[]>();
  for (const { dataset, band } of inputs) {
    const bands = bandsOf.get(dataset) ?? [];
    if (!bands.includes(band)) bands.push(band);
    bandsOf.set(dataset, bands);
  }
  const sources: SourcePlan[] = [];
  const sourceOf = new Map<number, number>();
  for (const [dataset, bands] of bandsOf) {
    const header = headers[dataset];
    const warp = planTileWarp(header, tms, tile.z, tile.x, tile.y, { tileSize: tile.size, resampling: tile.resampling, buffer: tile.buffer });
    if (!warp) continue;
    const read = planWindow(header, warp.level, warp.window, bands);
    sourceOf.set(dataset, sources.length);
    sources.push({ dataset, bands, warp, read, cost: planCost(header, read) });
  }
  const cost = { bytes: 0, pixels: 0, decoded: 0 };
  for (const s of sources) {
    cost.bytes += s.cost.bytes;
    cost.pixels += s.cost.pixels;
    cost.decoded += s.cost.decoded;
  }
  return {
    tile,
    sources,
    inputs: inputs.map(({ dataset, band }) => (sourceOf.has(dataset) ? { source: sourceOf.get(dataset)!, band } : null)),
    cost,
  };
}
