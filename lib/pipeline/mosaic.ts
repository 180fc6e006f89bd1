/**
 * renderMosaic: one tile from many datasets per style input — the scenes of a mosaic, taken in a
 * given order and combined pixel by pixel with rio-tiler's pixel selection methods
 * (rio_tiler/mosaic/methods/defaults.py), so results match what TiTiler users know:
 *   first    the first valid value in order; reading stops once every pixel of the tile is filled
 *   highest  / lowest: the largest / smallest valid value
 *   mean     / median: of the valid values, cast back to the scenes' data type like rio-tiler's
 *            enforce_data_type (integers truncate); median of an even count is the middle pair's mean
 *   stdev    population standard deviation (ddof 0) of the valid values, float64
 *   count    how many scenes have a valid value; every pixel is valid (0 where none)
 * Geometry is the ordinary plan (plan.ts stays pure): each member is planned by planTile when it is
 * about to be read, so scenes without data under the tile are never read, and with `first` the
 * scenes after the tile is full are never planned either.
 */
import { emptyImage, loadWebpEncoder, prepareStyle, type Band, type StretchMetadata, type StyleInput } from '../render/index.ts';
import type { WarpedTile } from '../warp/index.ts';
import { executePlan } from './execute.ts';
import { planTile, type InputRef, type SourcePlan, type TileSpec } from './plan.ts';
import type { RenderedTile, TileDataset, TileInput, TileRequest } from './request.ts';

export const PIXEL_SELECTIONS = ['first', 'highest', 'lowest', 'mean', 'median', 'stdev', 'count'] as const;
export type PixelSelection = (typeof PIXEL_SELECTIONS)[number];

/** One input of a style drawn from several datasets (the mosaic's members, in the order they are taken). */
export interface MosaicInput {
  members: TileInput[];
  /** Stretch statistics for null / "pN" bounds (the caller combines its members'). */
  stats?: StretchMetadata;
}

export interface MosaicRequest extends Omit<TileRequest, 'inputs'> {
  inputs: MosaicInput[];
  pixelSelection?: PixelSelection;
  /** Most members `first` reads at once before it looks whether the tile is full (it starts with one). Default 4. */
  concurrency?: number;
}

export interface RenderedMosaic extends RenderedTile {
  /** Sources read, of those with data under the tile: fewer than planned when `first` filled the tile early. */
  read: number;
  planned: number;
}

export async function renderMosaic(req: MosaicRequest): Promise<RenderedMosaic> {
  const size = req.tileSize ?? 256;
  const method = req.pixelSelection ?? 'first';
  const format = req.format ?? 'png';
  const render = prepareStyle(req.style, { width: size, height: size, format, quality: req.quality, stats: req.inputs.map((i) => i.stats) });
  if (format === 'webp') await loadWebpEncoder();
  const datasets: TileDataset[] = [...new Set(req.inputs.flatMap((i) => i.members.map((m) => m.dataset)))];
  const tile: TileSpec = { tms: req.tms ?? 'WebMercatorQuad', z: req.z, x: req.x, y: req.y, size, resampling: req.resampling ?? 'nearest' };
  const members = req.inputs.map((i) => i.members.map((m) => ({ dataset: datasets.indexOf(m.dataset), band: m.band ?? 0 })));
  const reader = new SourceReader(tile, datasets, members.flat(), req.signal);
  const n = size * size;
  const pixels: StyleInput[] = [];
  if (method === 'first') {
    for (const refs of members) pixels.push(await firstValid(refs, reader, n, req.concurrency ?? 4));
  } else {
    // every method but first reads every source: plan and charge them all before fetching any, as renderTile does
    const withData = members.map((refs) => refs.filter((r) => reader.plan(r.dataset) !== null));
    for (const d of new Set(withData.flat().map((r) => r.dataset))) reader.charge(d);
    for (const [i, refs] of withData.entries()) pixels.push(combine(method, await Promise.all(refs.map((r) => reader.band(r))), members[i].length, n));
  }
  if (reader.read === 0) return { ...emptyImage(size, size, format), empty: true, read: 0, planned: reader.planned };
  return { ...render(pixels), empty: false, read: reader.read, planned: reader.planned };
}

/**
 * Each member planned only when it is about to be read, and read once however many inputs ask for it.
 * Planning a source (level, warp grid, blocks) costs about as much CPU as warping it, so `first` over
 * a tile the top scene fills plans that scene alone (scripts/tools/bench/mosaic-tiles.ts, three
 * scenes the top one fills: 5.3–6.8 -> 4.2–5.1 ms CPU per tile, on a loaded 2-core machine).
 */
class SourceReader {
  #plans = new Map<number, SourcePlan | null>();
  #warped = new Map<number, Promise<WarpedTile>>();
  readonly #bands = new Map<number, number[]>();
  readonly #headers: TileDataset['header'][];
  read = 0;
  /** Members with data under the tile among those planned. */
  planned = 0;
  constructor(readonly tile: TileSpec, readonly datasets: readonly TileDataset[], refs: readonly InputRef[], readonly signal?: AbortSignal) {
    this.#headers = datasets.map((d) => d.header);
    // every band any input takes of a dataset is read in the one pass over its blocks
    for (const { dataset, band } of refs) {
      const bands = this.#bands.get(dataset) ?? [];
      if (!bands.includes(band)) bands.push(band);
      this.#bands.set(dataset, bands);
    }
  }

  /** The dataset's plan under the tile, or null where it has no data there. */
  plan(dataset: number): SourcePlan | null {
    let s = this.#plans.get(dataset);
    if (s === undefined) {
      const refs = this.#bands.get(dataset)!.map((band) => ({ dataset, band }));
      s = planTile(this.tile, this.#headers, refs).sources[0] ?? null;
      this.#plans.set(dataset, s);
      if (s) this.planned++;
    }
    return s;
  }

  charge(dataset: number): void {
    const s = this.plan(dataset);
    if (s) this.datasets[dataset].budget?.charge(s.cost);
  }

  async band(ref: InputRef, charge = false): Promise<StyleInput> {
    const s = this.plan(ref.dataset)!;
    let w = this.#warped.get(ref.dataset);
    if (!w) {
      if (charge) this.charge(ref.dataset);
      this.read++;
      w = executePlan({ tile: this.tile, sources: [s], inputs: [], cost: s.cost }, this.datasets, this.signal).then(([t]) => t);
      this.#warped.set(ref.dataset, w);
    }
    const t = await w;
    return { band: t.bands[s.bands.indexOf(ref.band)], mask: t.mask };
  }
}

/**
 * rio-tiler's FirstMethod with exit_when_filled. The first member with data under the tile is read
 * alone (a tile inside the top scene, the common case, plans and reads nothing else), then chunks of
 * 2, 4… up to `chunk` at once: a round trip more only where the first scene leaves gaps.
 */
async function firstValid(members: InputRef[], reader: SourceReader, n: number, chunk: number): Promise<StyleInput> {
  let out: Band | undefined;
  const mask = new Uint8Array(n);
  let filled = 0;
  let next = 0;
  for (let size = 1; next < members.length && filled < n; size = Math.min(chunk, size * 2)) {
    const batch: Promise<StyleInput>[] = [];
    while (batch.length < size && next < members.length) {
      const ref = members[next++];
      if (reader.plan(ref.dataset)) batch.push(reader.band(ref, true));
    }
    // a read left behind once the tile is full must not fail the process as an unhandled rejection
    for (const pending of batch) pending.catch(() => undefined);
    for (const pending of batch) {
      const { band, mask: m } = await pending;
      out ??= new (band.constructor as new (n: number) => Band)(n);
      for (let p = 0; p < n; p++) {
        if (mask[p] !== 0 || m[p] === 0) continue;
        const v = band[p];
        if (v !== v) continue; // NaN is no data whatever the mask says
        out[p] = v;
        mask[p] = 255;
        filled++;
      }
      if (filled === n) break;
    }
  }
  return { band: out ?? new Uint8Array(n), mask };
}

/** Every other method, over the members' bands in order. */
function combine(method: Exclude<PixelSelection, 'first'>, bands: StyleInput[], memberCount: number, n: number): StyleInput {
  const mask = new Uint8Array(n);
  if (method === 'count') {
    const count = memberCount < 256 ? new Uint8Array(n) : new Uint16Array(n);
    for (const { band, mask: m } of bands) for (let p = 0; p < n; p++) if (m[p] !== 0 && band[p] === band[p]) count[p]++;
    return { band: count, mask: mask.fill(255) };
  }
  const type = bandType(bands);
  if (method === 'highest' || method === 'lowest') {
    const out = new type(n);
    const high = method === 'highest';
    for (const { band, mask: m } of bands) {
      for (let p = 0; p < n; p++) {
        const v = band[p];
        if (m[p] === 0 || v !== v) continue;
        if (mask[p] === 0 || (high ? v > out[p] : v < out[p])) {
          out[p] = v;
          mask[p] = 255;
        }
      }
    }
    return { band: out, mask };
  }
  // mean, median and stdev: each pixel's valid values gathered, in member order
  const out = method === 'stdev' ? new Float64Array(n) : new type(n);
  const values = new Float64Array(bands.length);
  for (let p = 0; p < n; p++) {
    let k = 0;
    for (const { band, mask: m } of bands) {
      const v = band[p];
      if (m[p] !== 0 && v === v) values[k++] = v;
    }
    if (k === 0) continue;
    mask[p] = 255;
    out[p] = method === 'mean' ? mean(values, k) : method === 'median' ? median(values, k) : stdev(values, k);
  }
  return { band: out, mask };
}

/** The members' sample type when they share one; float64 when they differ (no value is lost). */
function bandType(bands: StyleInput[]): new (n: number) => Band {
  const types = new Set(bands.map((b) => b.band.constructor));
  return (types.size === 1 ? [...types][0] : Float64Array) as new (n: number) => Band;
}

function mean(v: Float64Array, k: number): number {
  let s = 0;
  for (let i = 0; i < k; i++) s += v[i];
  return s / k;
}

function median(v: Float64Array, k: number): number {
  // insertion sort: k is the number of scenes over one pixel, a handful
  for (let i = 1; i < k; i++) {
    const x = v[i];
    let j = i - 1;
    while (j >= 0 && v[j] > x) { v[j + 1] = v[j]; j--; }
    v[j + 1] = x;
  }
  const h = k >> 1;
  return k % 2 === 1 ? v[h] : (v[h - 1] + v[h]) / 2;
}

function stdev(v: Float64Array, k: number): number {
  const m = mean(v, k);
  let s = 0;
  for (let i = 0; i < k; i++) s += (v[i] - m) * (v[i] - m);
  return Math.sqrt(s / k);
}
