export { readWindow, readPlan, assembleWindow, assembleDecoded, decodeBlockRef, type BlockLoader, type RasterWindow, type ReadWindowOptions } from './window.ts';
export { planWindow, colourSamples, alphaSampleOf, type Window, type WindowPlan, type BlockRef } from './window-plan.ts';
export { typedArrayFor, viewAs, nodataAs, bytesPerSample, type TypedArray } from './typed.ts';
export { BlockCache, type BlockCacheStats } from './block-cache.ts';
export { ReadBudget, ReadLimitError, DEFAULT_READ_LIMITS, checkReadLimits, planCost, type ReadCost, type ReadLimits } from './budget.ts';
export { capOf, costOf } from './budget.ts';
export { CorruptBlockError, blockParamsOf } from './window.ts';
export { computeStats, statsLevel } from './stats.ts';
export { CODECS, CODEC_PACKAGES, compressionName, decodeBlock, useCodecLoader, type BlockParams } from './decode/index.ts';
