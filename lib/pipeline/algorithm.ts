/**
 * The algorithm step of a singleband tile (render/algorithms): the ground size of the buffered
 * tile's pixels, and the algorithm run on its band. Hillshade and slope need metres on the ground:
 * a Web Mercator pixel spans res·cos(latitude) metres and a geographic one res·111 km (times
 * cos(latitude) across), so a hill looks as steep at 60°N as at the equator.
 */
import { tileTransform, tileMatrixSet, WEB_MERCATOR_HALF } from '../grids/index.ts';
import type { AlgorithmFrame, AlgorithmOutput, PreparedAlgorithm, StyleInput } from '../render/index.ts';
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
