/**
 * The library as the npm package exports it (`import { createApi, openCatalog } from 'taoguan'`):
 * the few entry points a program needs, from the layers' own index files. Compiled to
 * build/index.js with its .d.ts at pack time (tsconfig.build.json).
 */
export { createApi, createNodeServer, toNodeHandler, signUrl, type Api, type ApiOptions, type AccessOptions, type RequestLog } from './lib/api/index.ts';
export { openCatalog, CachedCatalog, CatalogError, CATALOG_STORES, type Catalog, type OpenOptions as CatalogOpenOptions } from './lib/catalog/index.ts';
export { renderTile, renderPreview, planTile, executePlan, type TileRequest, type RenderedTile } from './lib/pipeline/index.ts';
export { readHeader, validateCog, serializeHeader, deserializeHeader, type CogHeader, type ReadHeaderResult } from './lib/tiff/index.ts';
export { readWindow, type RasterWindow } from './lib/raster/index.ts';
export { openSource, parseLocation, FileSource, HttpSource, S3Source, MemorySource, type Source, type Location } from './lib/source/index.ts';
export { ingest, ingestObject, ingestMany, ingestGroups, planStac, type IngestOptions, type BatchResult, type StacPlan } from './lib/ingest/index.ts';
export { optimize, type OptimizeOptions, type OptimizeResult } from './lib/optimize/index.ts';
export { TaoguanError } from './lib/errors/index.ts';
/** Each cloud's provider (adapters/index.ts) and its handler factories (`aws.httpHandler(api)` …). */
export { PROVIDERS, type Provider } from './adapters/index.ts';
export * as aws from './adapters/aws-lambda.ts';
export * as aliyun from './adapters/aliyun-fc.ts';
export * as tencent from './adapters/tencent-scf.ts';
/** A whole function's handler from the environment (TAOGUAN_*), as the built zips export it. */
export { tilesEntry } from './functions/tiles.ts';
export { ingestEntry } from './functions/ingest.ts';
