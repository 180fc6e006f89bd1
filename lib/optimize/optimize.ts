/**
 * optimize(): any GeoTIFF → a COG in GDAL's layout. Full-resolution rows are read a few MB at a time
 * and streamed through the pyramid; each level's encoded blocks go to a temporary file beside the
 * output, because the layout puts the smallest overview first and every IFD before the data, and
 * none of it is known until the last row is read. The header is written last, then the level files.
 */
import { existsSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { alphaSampleOf } from '../raster/index.ts';
import { readWindow } from '../raster/index.ts';
import { bytesPerSample, nodataAs, typedArrayFor, type TypedArray } from '../raster/index.ts';
import { openSource } from '../source/index.ts';
import type { CogHeader, DType } from '../tiff/index.ts';
import { readHeader } from '../tiff/index.ts';
import { COMPRESSION_TAG, DEFAULT_ZLEVEL, type Codec } from './encode.ts';
import { buildHeader, pyramid, type OutputPlan } from './layout.ts';
import { pooledBlocks } from './block-loader.ts';
import { EncodePool } from './pool.ts';
import { Pyramid } from './pyramid.ts';
import type { Resampling } from './overview-resample.ts';
// reproject.ts (with lib/warp, lib/crs and proj4) loads only for an input that is reprojected
import type { ReprojectOptions, Reprojection } from './reproject.ts';
import { readSourceTags, type SourceTags } from './source-tags.ts';
import { ZSTD_LEVELS } from './zstd.ts';

export interface OptimizeOptions {
  /** Tile width and height: 512 (default, as GDAL's COG driver) or 256. */
  tileSize?: 256 | 512;
  compression?: Codec;
  /** Deflate's level, 1–9: 1 codes runs only, 2–9 are zlib's; default DEFAULT_ZLEVEL, 1 (see encode.ts). */
  zlevel?: number;
  /** zstd level, 1–22; default 9 (GDAL's ZSTD_LEVEL). */
  zstdLevel?: number;
  /** Overview resampling; default average, or nearest for palette images. */
  resampling?: Resampling;
  /** Replace an existing output (default: refuse). */
  overwrite?: boolean;
  /** Always write BigTIFF (it is chosen automatically past 4 GiB). */
  bigTiff?: boolean;
  /** Encoder threads (default 2), or a pool shared between files. */
  workers?: number | EncodePool;
  /** Bytes of input rows read at a time (default 4 MiB; always whole block rows). */
  readBytes?: number;
  /** Warp to another CRS first (gdalwarp's default grid; see reproject.ts); true = EPSG:3857, nearest. */
  reproject?: boolean | ReprojectOptions;
  /** Fraction of the input read so far, 0..1. */
  onProgress?: (fraction: number) => void;
}

export interface OptimizeResult {
  input: string;
  output: string;
  width: number;
  height: number;
  /** Overviews written (levels besides full resolution). */
  overviews: number;
  bytes: number;
  bigTiff: boolean;
  /** What may be inexact (a datum shift approximated when reprojecting). */
  warnings: string[];
}

export async function optimize(input: string, output: string, options: OptimizeOptions = {}): Promise<OptimizeResult> {
  if (existsSync(output) && !options.overwrite) throw new Error(`${output} already exists (--overwrite replaces it, --skip-existing skips it)`);
  const source = openSource(input);
  const pool = options.workers instanceof EncodePool ? options.workers : new EncodePool(options.workers ?? 2);
  const temps: string[] = [];
  const files: FileHandle[] = [];
  try {
    const { header } = await readHeader(source);
    const tags = await readSourceTags(source, header);
    const reproject = options.reproject ? await import('./reproject.ts') : undefined;
    const warp = reproject ? await reproject.planReprojection(header, options.reproject === true ? {} : options.reproject as ReprojectOptions) : undefined;
    // reprojected: the source's georeferencing gives way to the target's
    const copied = warp && reproject ? [...tags.copied.filter((t) => !reproject.GEO_TAGS.has(t.tag)), ...reproject.targetGeoTags(warp)] : tags.copied;
    const plan = planOutput(header, { ...tags, copied }, options, warp);
    const method = options.resampling ?? (plan.photometric === 3 ? 'nearest' : 'average');
    for (let k = 0; k < plan.levels.length; k++) {
      temps.push(`${output}.L${k}.tmp`);
      files.push(await open(temps[k], 'w+'));
    }
    const full = header.levels[0].image;
    const interleaved = !warp && interleavable(header, method);
    const pyr = new Pyramid({
      plan, pool, files, codec: options.compression ?? 'deflate', interleaved,
      zlevel: options.compression === 'zstd' ? options.zstdLevel ?? ZSTD_LEVELS.default : options.zlevel ?? DEFAULT_ZLEVEL,
      reduce: {
        // as the pixels hold it (a float32 rounding, say), which is what readWindow and GDAL compare
        method, integer: full.sampleFormat !== 3, nodata: nodataAs(header.dtype, header.nodata),
        alpha: alphaSampleOf(full),
      },
    }, arrayType(header.dtype));
    const { width, height } = plan.levels[0];
    const bands = Array.from({ length: full.samplesPerPixel }, (_, i) => i);
    // reprojected: one output tile row at a time, warped block by block
    const blocks = pooledBlocks(pool);
    const rows = warp ? plan.tileSize : readRows(full.blockHeight, width * full.samplesPerPixel * plan.bitsPerSample / 8, options.readBytes);
    // Interleaved windows are assembled into the arrays of those already pushed (the pyramid copies
    // what it keeps) rather than into new ones, a few MB each whose pages the kernel must find: on
    // the 4096² RGB bench input, 2.10 → 1.96 s median without this, 2.07 → 1.90 with it (see below).
    const spare: TypedArray[] = [];
    const read = warp && reproject
      ? reproject.warpedRowReader(header, source, warp, plan.tileSize, bands, fillValue(header.nodata))
      : (y: number) => readWindow(header, source, { x: 0, y, width, height: Math.min(rows, height - y) }, { bands, cache: blocks, interleaved, into: spare.pop() });
    // Read the next rows while these are cut and downsampled: I/O and decoding overlap the CPU work.
    const ahead: ReturnType<typeof read>[] = [];
    let nextY = 0;
    const readAhead = () => {
      for (; ahead.length < READ_AHEAD && nextY < height; nextY += rows) {
        const win = read(nextY);
        win.catch(() => {}); // awaited in its turn; a failure surfaces there
        ahead.push(win);
      }
    };
    readAhead();
    for (let y = 0; y < height; y += rows) {
      const win = await ahead.shift()!;
      readAhead();
      await pyr.push(0, { y0: y, rows: win.height, width, bands: win.bands, mask: plan.hasMask ? win.mask : undefined, spp: interleaved ? full.samplesPerPixel : undefined });
      if (interleaved) spare.push(win.bands[0]);
      options.onProgress?.(Math.min(1, (y + rows) / height));
    }
    const data = await pyr.finish();
    const layout = buildHeader(plan, data, options.bigTiff);
    const partial = `${output}.partial`;
    temps.push(partial);
    const out = await open(partial, 'w');
    try {
      await out.write(layout.bytes, 0, layout.bytes.length, 0);
      for (let k = plan.levels.length - 1; k >= 0; k--) await copyInto(files[k], data[k].size, out, layout.levelBase[k]);
    } finally {
      await out.close();
    }
    await rename(partial, output);
    return { input, output, width, height, overviews: plan.levels.length - 1, bytes: layout.size, bigTiff: layout.bigTiff, warnings: warp?.warnings ?? [] };
  } finally {
    await Promise.all(files.map((f) => f.close().catch(() => {})));
    await Promise.all(temps.map((t) => rm(t, { force: true })));
    if (!(options.workers instanceof EncodePool)) await pool.close();
    await source.close?.();
  }
}

/**
 * Whether the pyramid keeps an image's samples interleaved, as its blocks hold them and as the COG
 * stores them: 8-bit images of several samples in chunky blocks (RGB imagery), averaged, with nothing
 * but a mask to say which pixels count. Split into bands, the 4096² RGB bench input's reading thread
 * (what that input waits on) spent ~0.23 s of its ~1.2 s splitting pixels into bands and joining them
 * again into tiles. Interleaved, against that code over 8 alternating runs of the compiled package:
 * 2.10 → 1.96 s median wall time, the same bytes.
 */
function interleavable(header: CogHeader, method: Resampling): boolean {
  const im = header.levels[0].image;
  return im.bitsPerSample === 8 && im.samplesPerPixel > 1 && im.planarConfiguration === 1 && method === 'average'
    && header.nodata === null && alphaSampleOf(im) === undefined;
}

/**
 * Reads in flight while the rows before them are cut and downsampled. Two, not one: with deflate's
 * runs-only default the reading thread outpaces the decode worker on the float DEM (LZW and the
 * floating-point predictor), and a second read keeps the worker fed: 1.29–1.45 → 1.16–1.26 s, for
 * ~10 MB more RSS (three: within the noise of two, another ~8 MB).
 */
const READ_AHEAD = 2;

/** Bytes of input rows read at once (READ_AHEAD + 1 times that held): small next to the strips. */
const READ_BYTES = 4 * 1024 * 1024;

/**
 * Rows per read: whole input blocks (a block read twice is decoded twice), as many as fit READ_BYTES,
 * but at least one block row, which the TIFF parser already bounds in size.
 */
function readRows(blockHeight: number, rowBytes: number, budget = READ_BYTES): number {
  const fit = Math.floor(budget / rowBytes / blockHeight) * blockHeight;
  return Math.max(blockHeight, fit);
}

function arrayType(dtype: DType) {
  return typedArrayFor(dtype, 0).constructor as new (n: number) => TypedArray;
}

/** What a pixel without data holds: the nodata value when there is one, else 0 (as GDAL fills). */
function fillValue(nodata: number | null): number {
  return nodata ?? 0;
}

function planOutput(header: CogHeader, tags: SourceTags, options: OptimizeOptions, warp?: Reprojection): OutputPlan {
  const full = header.levels[0].image;
  const tileSize = options.tileSize ?? 512;
  if (tileSize !== 256 && tileSize !== 512) throw new Error(`tile size ${tileSize}: expected 256 or 512`);
  const codec = options.compression ?? 'deflate';
  const isFloat = full.sampleFormat === 3;
  const palette = full.photometric === 3;
  if (palette && !tags.copied.some((t) => t.tag === 320)) throw new Error('palette image without a ColorMap');
  if (palette && warp && warp.resampling !== 'nearest') throw new Error(`a palette image is reprojected with nearest only, not ${warp.resampling}`);
  const hasMask = header.levels[0].mask !== undefined;
  // reprojected without nodata or alpha: a mask marks the area outside the input (see reproject.ts)
  const addMask = warp !== undefined && header.nodata === null && alphaSampleOf(full) === undefined;
  const { width, height } = warp ? warp.grid : full;
  return {
    tileSize,
    samplesPerPixel: full.samplesPerPixel,
    bitsPerSample: bytesPerSample(header.dtype) * 8,
    sampleFormat: full.sampleFormat,
    // JPEG's YCbCr is decoded to RGB by the reader, and deflate stores RGB.
    photometric: full.photometric === 6 ? 2 : full.photometric,
    extraSamples: full.extraSamples,
    // GDAL's PREDICTOR=YES: floating point for floats, horizontal differencing for integers.
    predictor: codec === 'none' ? 1 : isFloat ? 3 : 2,
    compression: COMPRESSION_TAG[codec],
    hasMask: hasMask || addMask,
    levels: pyramid(width, height, tileSize),
    nodata: tags.nodata,
    copied: tags.copied,
  };
}

/**
 * Append a level's temporary file at `position` in the output: 1 MiB pieces, four at once (libuv's
 * four threads). Node has no copy_file_range, so every byte goes through memory twice, and one 8 MiB
 * piece at a time left that serial: on this 2-core box, 210 MB (the 10980² band's level 0) took
 * 250–540 ms so, 66–80 ms this way.
 */
async function copyInto(from: FileHandle, size: number, to: FileHandle, position: number): Promise<void> {
  const PIECE = 1024 * 1024;
  let next = 0;
  const lane = async () => {
    const buf = Buffer.allocUnsafe(PIECE);
    while (next < size) {
      const at = next;
      next += PIECE;
      const want = Math.min(PIECE, size - at);
      const { bytesRead } = await from.read(buf, 0, want, at);
      if (bytesRead !== want) throw new Error('temporary level file ended early');
      await to.write(buf, 0, bytesRead, position + at);
    }
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
}
