/**
 * Shaded relief as gdaldem draws it (Horn's gradient, its default): grey 1..255, the sun at
 * `azimuth` degrees clockwise from north and `altitude` degrees above the horizon.
 */
import type { Algorithm } from './algorithm.ts';
import { hornGradient, Z_FACTOR } from './algorithm.ts';

export const hillshade: Algorithm = {
  title: 'Hillshade',
  description: 'Shaded relief of a DEM (gdaldem hillshade, Horn): grey levels 1–255.',
  params: {
    azimuth: { default: 315, min: 0, max: 360, description: 'Direction of the light, degrees clockwise from north (gdaldem\'s default 315: from the north-west).' },
    altitude: { default: 45, min: 0, max: 90, description: 'Height of the light above the horizon, degrees.', aliases: ['angle_altitude'] },
    z_factor: Z_FACTOR,
  },
  buffer: 1,
  output: 'band',
  range: [1, 255],
  run(input, p, frame) {
    const band = new Float32Array(frame.width * frame.height);
    const az = (p.azimuth * Math.PI) / 180, alt = (p.altitude * Math.PI) / 180, zf = p.z_factor;
    const sinAlt = Math.sin(alt), cosAlt = Math.cos(alt), sinAz = Math.sin(az), cosAz = Math.cos(az);
    const mask = hornGradient(input, frame, (o, dzdx, dzdy) => {
      const gx = zf * dzdx, gy = zf * dzdy;
      // the light's direction (east, north, up) dotted with the surface normal (-gx, -gy, 1)
      const cang = (sinAlt - cosAlt * (sinAz * gx + cosAz * gy)) / Math.sqrt(1 + gx * gx + gy * gy);
      band[o] = cang <= 0 ? 1 : 1 + 254 * cang;
    });
    return { kind: 'band', band, mask };
  },
};
