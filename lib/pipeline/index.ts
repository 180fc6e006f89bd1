/**
 * lib/pipeline — one tile, or one preview, from request to image bytes: plan (pure) → execute (I/O,
 * decode, warp) → style. The single path every caller takes.
 */
export { executePlan, inputPixels, type DatasetIO } from './execute.ts';
export { planTile, type InputRef, type SourcePlan, type TilePlan, type TileSpec } from './plan.ts';
export { DEFAULT_PREVIEW_SIZE, renderPreview, type PreviewRequest } from './preview.ts';
export type { RenderedTile, TileDataset, TileInput, TileRequest } from './request.ts';
export { renderTile } from './tile.ts';
export { PIXEL_SELECTIONS, renderMosaic, type MosaicInput, type MosaicRequest, type PixelSelection, type RenderedMosaic } from './mosaic.ts';
