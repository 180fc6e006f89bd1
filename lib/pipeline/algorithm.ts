/**
 * The algorithm step of a singleband tile (render/algorithms): the ground size of the buffered
 * tile's pixels, and the algorithm run on its band. Hillshade and slope need metres on the ground:
 * a Web Mercator pixel spans res·cos(latitude) metres and a geographic one res·111 km (times
 * cos(latitude) across), so a hill looks as steep at 60°N as at the equator. Previews, drawn in
 * the dataset's own CRS, measure their pixels on the ground through its projection.
 */
import { tileTransform, tileMatrixSet, WEB_MERCATOR_HALF } from '../grids/index.ts';
import { toWgs84 } from '../crs/index.ts';
import {
  prepareAlgorithm, RenderInputError,
  type AlgorithmFrame, type AlgorithmOutput, type AlgorithmRequest, type ImageFormat, type PreparedAlgorithm, type StyleInput, type TileStyle,
} from '../render/index.ts';
import type { CogHeader } from '../tiff/index.ts';
import type { TileSpec } from './plan.ts';

const EARTH_RADIUS = 6378137;
const METRES_PER_DEGREE = (Math.PI * EARTH_RADIUS) / 180;

/** The frame of a tile whose band was read `buffer` pixels larger on every side. */
export function tileFrame(tile: TileSpec, buffer: number): AlgorithmFrame {
  const tms = tileMatrixSet(tile.tms);
  const [, res, , top, , negRes] = tileTransform(tms, tile.z, tile.x, tile.y, tile.size);
  const rows = tile.size + 2 * buffer;
  const xres = new Float64Array(rows), yres = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const northing = top + (r - buffer + 0.5) * negRes;
    if (tms.epsg === 3857) {
      const cos = Math.cos(Math.atan(Math.sinh((northing / WEB_MERCATOR_HALF) * Math.PI)));
      xres[r] = res * cos;
      yres[r] = -negRes * cos;
    } else {
      // any geographic grid: degrees on a sphere of the WGS84 semi-major axis
      xres[r] = res * METRES_PER_DEGREE * Math.cos((northing * Math.PI) / 180);
      yres[r] = -negRes * METRES_PER_DEGREE;
    }
  }
  return { width: tile.size, height: tile.size, buffer, xres, yres };
}

/** The algorithm over the tile's one input; no data under the tile gives no data out. */
export function runAlgorithm(algorithm: PreparedAlgorithm, input: StyleInput | undefined, frame: AlgorithmFrame): AlgorithmOutput {
  const n = frame.width * frame.height;
  if (!input) return algorithm.output === 'rgba' ? { kind: 'rgba', rgba: new Uint8Array(n * 4) } : { kind: 'band', band: new Float32Array(n), mask: new Uint8Array(n) };
  return algorithm.run(input, frame);
}

/** A previewed raster's frame: its preview pixels measured on the ground, row by row, down the middle column. */
export function previewFrame(header: CogHeader, width: number, height: number, buffer: number): AlgorithmFrame {
  const gt = header.geotransform;
  if (!gt) throw new RenderInputError('algorithm', 'the raster has no geotransform: its pixels cannot be measured');
  const full = header.levels[0].image;
  const sx = (gt[1] * full.width) / width, sy = (gt[5] * full.height) / height;
  const lonLat = toWgs84(header.crs);
  const x = gt[0] + (gt[1] * full.width) / 2;
  const rows = height + 2 * buffer;
  const xres = new Float64Array(rows), yres = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const y = gt[3] + (r - buffer + 0.5) * sy;
    const p = lonLat([x, y]);
    xres[r] = metres(p, lonLat([x + sx, y]));
    yres[r] = metres(p, lonLat([x, y + sy]));
  }
  return { width, height, buffer, xres, yres };
}

/** Great-circle distance on the sphere of the WGS84 semi-major axis. */
function metres([lon1, lat1]: [number, number], [lon2, lat2]: [number, number]): number {
  const rad = Math.PI / 180;
  const h = Math.sin(((lat2 - lat1) * rad) / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
  return 2 * EARTH_RADIUS * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The request's style, stretched over the algorithm's own range (hillshade's grey, slope's degrees) when it gives none. */
export function algorithmStyle(algorithm: PreparedAlgorithm | undefined, style: TileStyle): TileStyle {
  return algorithm?.range && style.kind === 'singleband' && !style.stretch ? { ...style, stretch: algorithm.range } : style;
}

/** The algorithm, refused (400) where it cannot apply: on rgb or compute, in JPEG, with colours for an encoding, or stretched by the DEM's statistics. */
export function checkAlgorithm(request: AlgorithmRequest, style: TileStyle, format: ImageFormat): PreparedAlgorithm {
  const algorithm = prepareAlgorithm(request);
  if (style.kind !== 'singleband') throw new RenderInputError('algorithm', `applies to singleband tiles (one DEM band), not ${style.kind}`);
  if (algorithm.output === 'rgba') {
    if (format === 'jpeg') throw new RenderInputError('format', `${algorithm.name} encodes heights in exact colours: ask for .png or .webp, not JPEG`);
    if (style.colormap) throw new RenderInputError('colormap', `does not apply to algorithm=${algorithm.name}: its colours are the encoded heights`);
    if (style.stretch) throw new RenderInputError('stretch_range', `does not apply to algorithm=${algorithm.name}: its colours are the encoded heights`);
  } else if (style.stretch?.some((b) => typeof b !== 'number')) {
    // the dataset's statistics are of its heights, not of the algorithm's output
    throw new RenderInputError('stretch_range', `with algorithm=${algorithm.name} give two numbers (default [${algorithm.range!.join(', ')}]); null and "pN" would use the DEM's height statistics`);
  }
  return algorithm;
}
