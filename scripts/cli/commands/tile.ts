import { writeFile } from 'node:fs/promises';
import { computeStats } from '../../../lib/raster/index.ts';
import { openSource } from '../../../lib/source/index.ts';
import type { StretchBound } from '../../../lib/render/index.ts';
import { readHeader } from '../../../lib/tiff/index.ts';
import { resolveHeaderCrs } from '../../../lib/crs/index.ts';
import { renderTile, type TileDataset, type TileInput } from '../../../lib/pipeline/index.ts';
import type { TileStyle } from '../../../lib/render/index.ts';
import type { TmsId } from '../../../lib/grids/index.ts';
import type { Resampling } from '../../../lib/warp/index.ts';

interface TileCliOptions {
  output: string;
  band: string;
  colormap?: string;
  stretchRange?: string;
  rgb?: string;
  rgbRanges?: string;
  expression?: string;
  tms: string;
  resampling: string;
  tileSize: string;
  algorithm?: string;
  algorithmParams?: string;
}

/** `[0, 3000]`, `["p2","p98"]`, `p2,p98`, `null,3000` → two bounds. */
export function parseRange(text: string | undefined, what = 'stretch range'): [StretchBound, StretchBound] | undefined {
  if (text === undefined) return undefined;
  const body = text.trim().replace(/^\[|\]$/g, '');
  const parts = body.split(',').map((p) => p.trim().replace(/^"|"$/g, ''));
  if (parts.length !== 2) throw new Error(`${what} "${text}": expected two bounds like 0,3000 or p2,p98`);
  return parts.map((p) => (p === 'null' || p === '' ? null : /^p\d+$/.test(p) ? p : Number(p))) as [StretchBound, StretchBound];
}

function algorithmParams(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`--algorithm-params "${text}": not JSON; expected an object like '{"azimuth":315}'`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`--algorithm-params "${text}": expected a JSON object like '{"azimuth":315}'`);
  return parsed as Record<string, unknown>;
}

export async function tileCommand(location: string, zxy: string, opts: TileCliOptions): Promise<void> {
  const m = /^(\d+)\/(\d+)\/(\d+)$/.exec(zxy);
  if (!m) throw new Error(`tile "${zxy}": expected Z/X/Y, e.g. 12/3370/1552`);
  const [z, x, y] = m.slice(1).map(Number);
  const source = openSource(location);
  const { header: read, info } = await readHeader(source);
  // resolved as ingest resolves it (the EPSG database), so the tile is the one a server would render
  const { header, warnings } = await resolveHeaderCrs(read);
  for (const w of warnings) console.error(`warning: ${w}`);
  const dataset: TileDataset = { header, source, etag: info.etag };
  const bandsOf = (list: string) => list.split(',').map((b) => Number(b) - 1);
  let inputs: TileInput[], style: TileStyle;
  if (opts.expression) {
    const bands = header.levels[0].image.samplesPerPixel;
    inputs = Array.from({ length: bands }, (_, band) => ({ dataset, band }));
    style = { kind: 'compute', expression: opts.expression, stretch: parseRange(opts.stretchRange) ?? [0, 1], colormap: opts.colormap };
  } else if (opts.rgb) {
    inputs = bandsOf(opts.rgb).map((band) => ({ dataset, band }));
    const ranges = opts.rgbRanges?.split(';').map((r) => parseRange(r, 'rgb range') ?? null);
    style = { kind: 'rgb', ranges };
  } else {
    inputs = [{ dataset, band: Number(opts.band) - 1 }];
    style = { kind: 'singleband', stretch: parseRange(opts.stretchRange) ?? null, colormap: opts.colormap };
  }
  if (style.kind !== 'compute') {
    // No catalog here: statistics for null / pN bounds come from an overview of ~1024 px, as ingest computes them.
    for (const input of inputs) input.stats = await computeStats(header, source, { band: input.band, etag: info.etag });
  }
  const format = opts.output.endsWith('.jpg') || opts.output.endsWith('.jpeg') ? 'jpeg' : opts.output.endsWith('.webp') ? 'webp' : 'png';
  const tile = await renderTile({
    tms: opts.tms as TmsId, z, x, y, tileSize: Number(opts.tileSize), resampling: opts.resampling as Resampling, format, inputs, style,
    algorithm: opts.algorithm ? { name: opts.algorithm, params: algorithmParams(opts.algorithmParams) } : undefined,
  });
  await writeFile(opts.output, tile.bytes);
  console.log(`${opts.output}: ${tile.bytes.length} bytes${tile.empty ? ' (transparent: the tile does not touch the raster)' : ''}`);
  await source.close?.();
}
