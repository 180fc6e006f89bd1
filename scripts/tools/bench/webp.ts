import { pathToFileURL } from 'node:url';
import { syntheticBand, type Texture } from '../../../test/support/synthetic.ts';
import { msPer } from './render.ts';
import {
  colormapPalette, encodePalettePng, encodeRgbaPng, encodeWebp, loadWebpEncoder, paletteToRgba, prepareAlgorithm, stretchToIndices,
} from '../../../lib/render/index.ts';

/**
 * WebP against PNG, and the terrain algorithms' CPU: the figures the WebP encoder and its settings
 * were chosen by (lib/render/webp.ts). Decoded samples in, bytes out; no I/O, no warp. Tiles are
 * the render bench's synthetic uint16 bands (test/support/synthetic.ts); the DEM is such a band
 * read as metres. A benchmark, not a test: `node --import tsx scripts/tools/bench/webp.ts`.
 */

interface Row { case: string; ms: number; bytes: number }

function rgbaOf(bands: Uint16Array[], mask: Uint8Array, size: number): Uint8Array {
  const ch = bands.map((b) => stretchToIndices(b, mask, 200, 2200));
  const rgba = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) if (ch[0][i] && ch[1][i] && ch[2][i]) rgba.set([ch[0][i], ch[1][i], ch[2][i], 255], i * 4);
  return rgba;
}

export async function benchWebp(options: { textures?: Texture[]; sizes?: number[] } = {}): Promise<Record<string, unknown>> {
  const textures = options.textures ?? (['mild', 'noisy', 'clean'] as Texture[]);
  const sizes = options.sizes ?? [256, 512];
  const t0 = performance.now();
  await loadWebpEncoder();
  const loadMs = performance.now() - t0;
  const rows: Row[] = [];
  const add = (name: string, fn: () => Uint8Array) => {
    let out = fn();
    rows.push({ case: name, ms: msPer(() => (out = fn())), bytes: out.length });
  };
  console.log(`WebP (libwebp ${'@jsquash/webp'} WASM; loaded in ${loadMs.toFixed(0)} ms) vs PNG — ms per tile and bytes`);
  for (const size of sizes) {
    for (const texture of textures) {
      const { band, mask } = syntheticBand(size, texture);
      const indices = stretchToIndices(band, mask, 200, 2200);
      const palette = colormapPalette('viridis');
      add(`singleband ${size}² ${texture}: palette PNG`, () => encodePalettePng(indices, size, size, palette));
      for (const method of [0, 1, 4]) add(`singleband ${size}² ${texture}: WebP lossless m${method}`, () => encodeWebp(paletteToRgba(indices, palette), size, size, { lossless: true, method }));
      const rgba = rgbaOf([0, 40, 80].map((phase) => syntheticBand(size, texture, phase).band), mask, size);
      add(`rgb ${size}² ${texture}: RGBA PNG`, () => encodeRgbaPng(rgba, size, size));
      for (const method of [0, 2, 4]) add(`rgb ${size}² ${texture}: WebP q75 m${method}`, () => encodeWebp(rgba, size, size, { lossless: false, quality: 75, method }));
    }
    // terrain: the DEM is a synthetic band in metres, 30 m pixels
    const { band, mask } = syntheticBand(size + 2, 'mild');
    const dem = { band: Float32Array.from(band), mask };
    const res = new Float64Array(size + 2).fill(30);
    const frame = (buffer: number) => ({ width: size, height: size, buffer, xres: res, yres: res });
    for (const name of ['hillshade', 'slope', 'terrainrgb', 'terrarium']) {
      const algorithm = prepareAlgorithm({ name });
      const input = algorithm.buffer ? dem : (() => { const s = syntheticBand(size, 'mild'); return { band: Float32Array.from(s.band), mask: s.mask }; })();
      const ms = msPer(() => algorithm.run(input, frame(algorithm.buffer)));
      rows.push({ case: `${name} ${size}²: algorithm only`, ms, bytes: 0 });
      const out = algorithm.run(input, frame(algorithm.buffer));
      if (out.kind === 'rgba') {
        add(`${name} ${size}²: RGBA PNG`, () => encodeRgbaPng(out.rgba, size, size));
        add(`${name} ${size}²: WebP lossless m0`, () => encodeWebp(out.rgba, size, size, { lossless: true }));
      }
    }
  }
  for (const r of rows) console.log(`  ${r.case.padEnd(46)} ${r.ms.toFixed(2).padStart(7)} ms ${r.bytes ? String(r.bytes).padStart(8) + ' B' : ''}`);
  return { loadMs, rows };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchWebp();
