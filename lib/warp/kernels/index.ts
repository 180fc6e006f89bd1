/**
 * The warp kernels, by the name requests use (`resampling=`): GDAL's kernels (alg/gdalwarpkernel.cpp)
 * in plain loops over typed arrays, one file each. Adding one is a file exporting a Kernel and a line
 * here; its name then appears in the API's schema, the CLI and optimize --warp-resampling. An unknown
 * name is an InputError, never a silent fallback.
 */
import { InputError } from '../../errors/index.ts';
import { takeArray, type TypedArray } from '../../raster/index.ts';
import type { WarpPlan } from '../plan.ts';
import { average } from './average.ts';
import { bilinear } from './bilinear.ts';
import type { Kernel, SourceWindow, WarpedTile } from './kernel.ts';
import { nearest } from './nearest.ts';

export type { Kernel, SourceWindow, WarpedTile } from './kernel.ts';

export const KERNELS = { nearest, bilinear, average } as const satisfies Record<string, Kernel>;

export type Resampling = keyof typeof KERNELS;
export const RESAMPLINGS = Object.keys(KERNELS) as readonly Resampling[];

/** The kernel named `name`, or an InputError listing the known ones. */
export function kernelOf(name: string): Kernel {
  const kernel = (KERNELS as Record<string, Kernel | undefined>)[name];
  if (!kernel || !Object.hasOwn(KERNELS, name)) throw new InputError(`resampling "${name}" is not one of ${RESAMPLINGS.join(', ')}`);
  return kernel;
}

/**
 * Run a warp plan over the source window, chunk by chunk, with the plan's kernel. Integer results
 * are rounded half up and clamped, as GDAL stores them.
 */
export function warpWindow(plan: WarpPlan, src: SourceWindow): WarpedTile {
  const { window } = plan;
  if (src.width !== window.width || src.height !== window.height || src.mask.length !== src.width * src.height) {
    throw new RangeError(`source window is ${src.width}×${src.height}, the plan needs ${window.width}×${window.height}`);
  }
  const { width: w, height: h } = plan;
  const bands = src.bands.map((b) => takeArray(b.constructor as new (n: number) => TypedArray, w * h));
  const out: WarpedTile = { width: w, height: h, bands, mask: takeArray(Uint8Array, w * h) };
  const kernel = kernelOf(plan.resampling);
  for (const chunk of plan.chunks) kernel.warp(plan, chunk, src, out);
  return out;
}

