/** Slope in degrees (gdaldem slope, Horn's gradient): 0 flat … 90 vertical. */
import type { Algorithm } from './algorithm.ts';
import { hornGradient, Z_FACTOR } from './algorithm.ts';

export const slope: Algorithm = {
  title: 'Slope',
  description: 'Slope of a DEM in degrees (gdaldem slope, Horn), stretched over [0, 90] unless stretch_range says otherwise.',
  params: {
    z_factor: Z_FACTOR,
  },
  buffer: 1,
  output: 'band',
  range: [0, 90],
  run(input, p, frame) {
    const band = new Float32Array(frame.width * frame.height);
    const zf = p.z_factor, toDegrees = 180 / Math.PI;
    const mask = hornGradient(input, frame, (o, dzdx, dzdy) => {
      band[o] = Math.atan(zf * Math.sqrt(dzdx * dzdx + dzdy * dzdy)) * toDegrees;
    });
    return { kind: 'band', band, mask };
  },
};
