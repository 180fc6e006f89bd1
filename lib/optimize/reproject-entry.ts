/**
 * The reprojection code (reproject.ts with lib/warp, lib/crs and proj4) loads only when an input is
 * reprojected or a target CRS is checked: ~45 ms of module loading, which every `taoguan optimize`
 * start paid before (compiled package, this 2-core box: lib/optimize 89 → ~45 ms to import).
 */
import type { Target, WarpResampling } from './reproject.ts';

/** The target CRS of --t-srs (an EPSG code), or an error naming what is wrong with it. */
export async function resolveTarget(srs: string): Promise<Target> {
  return (await import('./reproject.ts')).resolveTarget(srs);
}

/** The warp kernels optimize can reproject with (gdalwarp's names). */
export async function warpResamplings(): Promise<readonly WarpResampling[]> {
  return (await import('./reproject.ts')).WARP_RESAMPLINGS;
}
