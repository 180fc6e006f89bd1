/**
 * Hand-written colormaps: a ramp of colour stops, interpolated linearly in sRGB into the same 255
 * samples the generated (matplotlib) maps have. Each gets a reversed `NAME_r` like the others.
 * Adding one is one entry here; a name may not shadow a generated map.
 */
export interface Ramp {
  name: string;
  /** [position 0..1, '#rrggbb'], positions ascending, the first at 0 and the last at 1. */
  stops: readonly (readonly [number, string])[];
  /** Who uses it, for the docs. */
  about: string;
}

export const RAMPS: readonly Ramp[] = [
  {
    name: 'ndvi',
    about: 'vegetation index, -1..1 stretched: water and bare soil brown, sparse vegetation yellow, dense green',
    stops: [[0, '#0c0c0c'], [0.4, '#8c510a'], [0.5, '#dfc27d'], [0.6, '#f6e8c3'], [0.7, '#91cf60'], [0.85, '#1a9850'], [1, '#004529']],
  },
  {
    name: 'hypsometric',
    about: 'elevation tints for land: lowland green through upland buff and brown to snow',
    stops: [[0, '#006837'], [0.2, '#31a354'], [0.4, '#c2e699'], [0.55, '#fee391'], [0.7, '#d8a15c'], [0.85, '#8c6a4a'], [1, '#ffffff']],
  },
];

/** The 255 RGB samples of a ramp into `out` (RGBA, alpha 255) from byte `offset`. */
export function fillRamp(ramp: Ramp, reversed: boolean, out: Uint8Array, offset: number): void {
  const rgb = ramp.stops.map(([at, hex]) => [at, parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)]);
  for (let k = 0; k < 255; k++) {
    const t = reversed ? 1 - k / 254 : k / 254;
    let i = 1;
    while (i < rgb.length - 1 && rgb[i][0] < t) i++;
    const [a, b] = [rgb[i - 1], rgb[i]];
    const f = b[0] === a[0] ? 0 : Math.min(1, Math.max(0, (t - a[0]) / (b[0] - a[0])));
    const o = offset + k * 4;
    for (let c = 1; c <= 3; c++) out[o + c - 1] = Math.round(a[c] + (b[c] - a[c]) * f);
    out[o + 3] = 255;
  }
}
