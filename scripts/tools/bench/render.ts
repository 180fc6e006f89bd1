import { pathToFileURL } from 'node:url';
import UPNG from 'upng-js';
import { syntheticBand, type Texture } from '../../../test/support/synthetic.ts';
import { colormapPalette } from '../../../lib/render/index.ts';
import { renderRgb } from '../../../lib/render/index.ts';
import { renderSingleband } from '../../../lib/render/index.ts';
import { stretchToIndices } from '../../../lib/render/index.ts';

/**
 * Render-stage benchmark: decoded samples in, PNG/JPEG bytes out (no reprojection, no I/O).
 * Compares this encoder with upng-js's defaults (UPNG.encode on the RGBA image, which
 * palettises ≤256 colours and tries five filters for truecolour). A benchmark, not a test.
 */

export function msPer(fn: () => unknown, batchMs = 60): number {
  fn();
  let best = Infinity;
  for (let batch = 0; batch < 5; batch++) {
    let runs = 0;
    const t0 = performance.now();
    for (; performance.now() - t0 < batchMs || runs < 2; runs++) fn();
    best = Math.min(best, (performance.now() - t0) / runs);
  }
  return best;
}

function upngSingleband(band: Uint16Array, mask: Uint8Array, size: number): ArrayBuffer {
  const indices = stretchToIndices(band, mask, 200, 2200);
  const palette = colormapPalette('viridis');
  const rgba = new Uint8Array(size * size * 4);
  for (let i = 0; i < indices.length; i++) rgba.set(palette.subarray(indices[i] * 4, indices[i] * 4 + 4), i * 4);
  return UPNG.encode([rgba.buffer], size, size, 0);
}

function upngRgb(bands: Uint16Array[], mask: Uint8Array, size: number): ArrayBuffer {
  const ch = bands.map((b) => stretchToIndices(b, mask, 200, 2200));
  const rgba = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) {
    if (ch[0][i] && ch[1][i] && ch[2][i]) rgba.set([ch[0][i], ch[1][i], ch[2][i], 255], i * 4);
  }
  return UPNG.encode([rgba.buffer], size, size, 0);
}

interface Row { case: string; ms: number; bytes: number; upngMs?: number; upngBytes?: number }

/** Prints and returns ms per tile and bytes, this encoder vs upng-js, per size, kind and texture. */
export async function benchRender(options: { textures?: Texture[]; sizes?: number[] } = {}): Promise<Record<string, unknown>> {
  const textures = options.textures ?? (['mild', 'noisy', 'clean', 'upsampled'] as Texture[]);
  const sizes = options.sizes ?? [256, 512];
  const rows: Row[] = [];
  console.log('Render — decoded uint16 samples → bytes (stretch + colormap + encode), ms per tile');
  for (const size of sizes) {
    for (const texture of textures) {
      const { band, mask } = syntheticBand(size, texture);
      const single = { band, mask, width: size, height: size, stretch: [200, 2200] as const, colormap: 'viridis' };
      let png = renderSingleband(single);
      let upng = upngSingleband(band, mask, size);
      rows.push({
        case: `singleband viridis ${size}² ${texture}`,
        ms: msPer(() => (png = renderSingleband(single))), bytes: png.length,
        upngMs: msPer(() => (upng = upngSingleband(band, mask, size))), upngBytes: upng.byteLength,
      });
      const bands = [0, 40, 80].map((phase) => syntheticBand(size, texture, phase).band);
      const rgb = { r: bands[0], g: bands[1], b: bands[2], mask, width: size, height: size, ranges: [[200, 2200], [200, 2200], [200, 2200]] as const };
      let out = renderRgb(rgb);
      rows.push({
        case: `rgb PNG ${size}² ${texture}`,
        ms: msPer(() => (out = renderRgb(rgb))), bytes: out.length,
        upngMs: msPer(() => (upng = upngRgb(bands, mask, size))), upngBytes: upng.byteLength,
      });
      const small = { ...rgb, png: { effort: 'small' as const } };
      rows.push({ case: `rgb PNG ${size}² ${texture} effort=small`, ms: msPer(() => (out = renderRgb(small))), bytes: out.length });
      const jpeg = { ...rgb, format: 'jpeg' as const };
      rows.push({ case: `rgb JPEG q85 ${size}² ${texture}`, ms: msPer(() => (out = renderRgb(jpeg))), bytes: out.length });
    }
  }
  for (const r of rows) {
    const vs = r.upngMs === undefined ? '' :
      `   upng-js ${r.upngMs.toFixed(2).padStart(7)} ms ${String(r.upngBytes).padStart(7)} B  (${(r.upngMs / r.ms).toFixed(1)}× time, ${((100 * r.bytes) / r.upngBytes!).toFixed(0)}% bytes)`;
    console.log(`  ${r.case.padEnd(40)} ${r.ms.toFixed(2).padStart(6)} ms ${String(r.bytes).padStart(7)} B${vs}`);
  }
  return { rows };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchRender();
