/**
 * What a caller hands the pipeline: the datasets (a header from the catalog and a way to read its
 * bytes), the input bands a style draws, the tile, and the style. Plain values and interfaces; the
 * HTTP API, the functions and `taoguan tile` all build these.
 */
import type { TmsId } from '../grids/index.ts';
import type { BlockLoader, ReadBudget } from '../raster/index.ts';
import type { AlgorithmRequest, ImageFormat, RenderedImage, TileStyle } from '../render/index.ts';
import type { StretchMetadata } from '../render/index.ts';
import type { Source } from '../source/index.ts';
import type { CogHeader } from '../tiff/index.ts';
import type { Resampling } from '../warp/index.ts';

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

export interface TileRequest {
  tms?: TmsId;
  z: number;
  x: number;
  y: number;
  tileSize?: number;
  resampling?: Resampling;
  format?: ImageFormat;
  /** 1–100 for lossy output (rgb .jpg / .webp). */
  quality?: number;
  /** singleband: one input; rgb: three (r, g, b); compute: v1…vN in order. */
  inputs: TileInput[];
  style: TileStyle;
  /** A render/algorithms step between the band and the image (singleband only): hillshade, slope, terrainrgb, terrarium. */
  algorithm?: AlgorithmRequest;
  signal?: AbortSignal;
}

export interface RenderedTile extends RenderedImage {
  /** True when no input had data here: the bytes are a transparent tile. */
  empty: boolean;
}
