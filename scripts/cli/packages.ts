/**
 * Every npm package taoguan loads at run time rather than bundles into its entry file, gathered from
 * the registries that own them (catalog stores, object stores, codecs, the ZSTD and WebP encoders). The
 * functions' build turns them into sidecars and copied .wasm files; serve's bundle leaves them
 * external. Neither keeps a list of its own.
 */
import { CATALOG_STORES } from '../../lib/catalog/index.ts';
import { ZSTD_PACKAGE } from '../../lib/optimize/index.ts';
import { CODEC_PACKAGES } from '../../lib/raster/index.ts';
import { WEBP_PACKAGE } from '../../lib/render/index.ts';
import { STORE_PACKAGES } from '../../lib/source/index.ts';
import type { RuntimePackage } from '../../lib/util/index.ts';

export const RUNTIME_PACKAGES: readonly RuntimePackage[] = [
  ...CATALOG_STORES.flatMap((s) => s.packages), ...STORE_PACKAGES, ...CODEC_PACKAGES, ZSTD_PACKAGE, WEBP_PACKAGE,
];
