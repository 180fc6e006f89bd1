import type { CrsInfo } from './header.ts';
import { TiffError } from './reader.ts';

/** GeoKey ids (GeoTIFF 1.1) that name the CRS. */
export const GeoKey = {
  GTModelType: 1024,
  GTRasterType: 1025,
  GTCitation: 1026,
  GeographicType: 2048,
  GeogCitation: 2049,
  ProjectedCSType: 3072,
  PCSCitation: 3073,
} as const;

const USER_DEFINED = 32767;
const RASTER_PIXEL_IS_POINT = 2;

/** Decode GeoKeyDirectory (+ double and ASCII params) into a CrsInfo. */
export function parseGeoKeys(directory: number[], doubles: number[] = [], ascii = ''): CrsInfo {
  if (directory.length < 4) throw new TiffError(`GeoKeyDirectory is too short (${directory.length} values)`);
  const count = directory[3];
  if (directory.length < 4 + count * 4) throw new TiffError(`GeoKeyDirectory claims ${count} keys but holds ${(directory.length - 4) / 4}`);
  const geoKeys: CrsInfo['geoKeys'] = {};
  for (let i = 0; i < count; i++) {
    const [id, location, n, value] = directory.slice(4 + i * 4, 8 + i * 4);
    if (location === 0) {
      geoKeys[id] = value;
    } else if (location === 34736) {
      const v = doubles.slice(value, value + n);
      if (v.length !== n) throw new TiffError(`GeoKey ${id} points past GeoDoubleParams`);
      geoKeys[id] = n === 1 ? v[0] : v;
    } else if (location === 34737) {
      // GeoASCIIParams holds '|'-terminated strings
      geoKeys[id] = ascii.slice(value, value + n).replace(/\|$/, '');
    } else if (location === 34735) {
      geoKeys[id] = directory.slice(value, value + n);
    }
  }
  const model = geoKeys[GeoKey.GTModelType];
  const modelType = model === 1 ? 'projected' : model === 2 ? 'geographic' : model === 3 ? 'geocentric' : 'unknown';
  const projected = geoKeys[GeoKey.ProjectedCSType];
  const geographic = geoKeys[GeoKey.GeographicType];
  let epsg: number | undefined;
  if (modelType === 'projected' && typeof projected === 'number' && projected > 0 && projected !== USER_DEFINED) epsg = projected;
  else if (modelType === 'geographic' && typeof geographic === 'number' && geographic > 0 && geographic !== USER_DEFINED) epsg = geographic;
  const citation = [GeoKey.PCSCitation, GeoKey.GTCitation, GeoKey.GeogCitation]
    .map((k) => geoKeys[k])
    .find((v): v is string => typeof v === 'string' && v.length > 0);
  const rasterType = typeof geoKeys[GeoKey.GTRasterType] === 'number' ? (geoKeys[GeoKey.GTRasterType] as number) : 1;
  return { epsg, modelType, rasterType, citation, geoKeys };
}

type GeoTransform = [number, number, number, number, number, number];

/**
 * GDAL's geotransform from ModelTransformation, or ModelTiepoint + ModelPixelScale. PixelIsPoint
 * rasters are shifted half a pixel, as GDAL does by default, so both readers agree on bounds.
 */
export function geotransformOf(
  scale: number[] | undefined,
  tiepoint: number[] | undefined,
  transformation: number[] | undefined,
  rasterType: number,
): GeoTransform | null {
  let gt: GeoTransform | null = null;
  if (transformation && transformation.length >= 16) {
    const m = transformation;
    gt = [m[3], m[0], m[1], m[7], m[4], m[5]];
  } else if (tiepoint && tiepoint.length >= 6 && scale && scale.length >= 2) {
    const [i, j, , x, y] = tiepoint;
    const [sx, sy] = scale;
    gt = [x - i * sx, sx, 0, y + j * sy, 0, -sy];
  }
  if (!gt) return null;
  if (!gt.every(Number.isFinite)) throw new TiffError(`geotransform has non-finite values: ${gt.join(', ')}`);
  if (rasterType === RASTER_PIXEL_IS_POINT) {
    gt[0] -= 0.5 * gt[1] + 0.5 * gt[2];
    gt[3] -= 0.5 * gt[4] + 0.5 * gt[5];
  }
  return gt;
}
