import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { constants, deflateSync } from 'node:zlib';
import UPNG from 'upng-js';
import { emptyPng, encodePalettePng, encodeRgbaPng, filterRows, Filter } from '../lib/render/png.ts';
import { decodePng } from '../lib/render/png-decode.ts';
import { colormapPalette } from '../lib/render/colormaps.ts';
import { stretchToIndices } from '../lib/render/stretch.ts';
import { syntheticBand } from './support/synthetic.ts';

/** upng-js's decoder, an implementation independent of ours, as RGBA. */
function upngRgba(png: Uint8Array): Uint8Array {
  const image = UPNG.decode(png.buffer.slice(png.byteOffset, png.byteOffset + png.byteLength) as ArrayBuffer);
  return new Uint8Array(UPNG.toRGBA8(image)[0]);
}

function chunkTypes(png: Uint8Array): string[] {
  const types: string[] = [];
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  for (let o = 8; o < png.length; o += view.getUint32(o) + 12) types.push(String.fromCharCode(...png.subarray(o + 4, o + 8)));
  return types;
}

function expandPalette(indices: Uint8Array, palette: Uint8Array): Uint8Array {
  const rgba = new Uint8Array(indices.length * 4);
  indices.forEach((k, i) => rgba.set(palette.subarray(k * 4, k * 4 + 4), i * 4));
  return rgba;
}

describe('palette PNG', () => {
  for (const texture of ['mild', 'noisy', 'clean', 'upsampled'] as const) {
    it(`round-trips a ${texture} viridis tile through both decoders`, () => {
      const { band, mask } = syntheticBand(256, texture);
      const indices = stretchToIndices(band, mask, 200, 2200);
      const palette = colormapPalette('viridis');
      for (const effort of ['fast', 'small'] as const) {
        const png = encodePalettePng(indices, 256, 256, palette, { effort });
        const decoded = decodePng(png);
        assert.equal(decoded.colorType, 3);
        assert.deepEqual(decoded.indices, indices);
        assert.deepEqual(decoded.rgba, expandPalette(indices, palette));
        assert.deepEqual(upngRgba(png), decoded.rgba, effort);
      }
    });
  }

  it('the IDAT is deflateSync(rows filtered Up, Z_RLE) at every size, and an encoded tile keeps its bytes when the next one is encoded', () => {
    const idatOf = (png: Uint8Array) => {
      const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
      for (let o = 8; o < png.length; o += view.getUint32(o) + 12) {
        if (String.fromCharCode(...png.subarray(o + 4, o + 8)) === 'IDAT') return png.subarray(o + 8, o + 8 + view.getUint32(o));
      }
      throw new Error('no IDAT');
    };
    const palette = colormapPalette('viridis');
    const encoded: [Uint8Array, Uint8Array][] = [];
    // 1100 × 1000 is past the rows kept between calls
    for (const [w, h] of [[256, 256], [3, 1], [1100, 1000], [512, 512], [256, 256]]) {
      const { band, mask } = syntheticBand(Math.max(w, h), 'mild', w);
      const indices = stretchToIndices(band.subarray(0, w * h), mask.subarray(0, w * h), 1000, 3000);
      const png = encodePalettePng(indices, w, h, palette);
      assert.deepEqual(idatOf(png), new Uint8Array(deflateSync(filterRows(indices, w, h, 1, Filter.Up), { strategy: constants.Z_RLE })), `${w}×${h}`);
      encoded.push([png, Uint8Array.from(png)]);
    }
    for (const [png, copy] of encoded) assert.deepEqual(png, copy);
  });

  it('makes index 0 transparent through tRNS and cuts PLTE after the highest index used', () => {
    const png = encodePalettePng(Uint8Array.of(0, 1, 2, 3), 2, 2, colormapPalette('viridis'));
    assert.deepEqual(chunkTypes(png), ['IHDR', 'PLTE', 'tRNS', 'IDAT', 'IEND']);
    const { palette, rgba } = decodePng(png);
    assert.equal(palette!.length, 4 * 4);
    assert.deepEqual([...rgba.subarray(0, 8)], [0, 0, 0, 0, 68, 1, 84, 255]);
  });

  it('writes no tRNS for an opaque palette', () => {
    const opaque = new Uint8Array(8).fill(255);
    assert.deepEqual(chunkTypes(encodePalettePng(Uint8Array.of(0, 1), 2, 1, opaque)), ['IHDR', 'PLTE', 'IDAT', 'IEND']);
  });

  it('refuses indices past the palette and sizes that do not add up', () => {
    assert.throws(() => encodePalettePng(Uint8Array.of(0, 5), 2, 1, new Uint8Array(8)), /past the palette/);
    assert.throws(() => encodePalettePng(new Uint8Array(5), 2, 2, new Uint8Array(8)), RangeError);
    assert.throws(() => encodePalettePng(new Uint8Array(0), 0, 0, new Uint8Array(8)), /bad PNG size/);
  });
});

describe('RGBA PNG', () => {
  for (const texture of ['mild', 'noisy', 'clean', 'upsampled'] as const) {
    it(`round-trips a ${texture} composite through both decoders`, () => {
      const { mask } = syntheticBand(128, texture);
      const channels = [0, 40, 80].map((phase) => stretchToIndices(syntheticBand(128, texture, phase).band, mask, 200, 2200));
      const rgba = new Uint8Array(128 * 128 * 4);
      for (let i = 0; i < 128 * 128; i++) if (mask[i]) rgba.set([channels[0][i], channels[1][i], channels[2][i], 255], i * 4);
      for (const effort of ['fast', 'small'] as const) {
        const png = encodeRgbaPng(rgba, 128, 128, { effort });
        const decoded = decodePng(png);
        assert.equal(decoded.colorType, 6);
        assert.deepEqual(decoded.rgba, rgba);
        assert.deepEqual(upngRgba(png), rgba, effort);
      }
    });
  }

  it('handles odd sizes and a single pixel', () => {
    for (const [w, h] of [[1, 1], [3, 7], [17, 2]]) {
      const rgba = Uint8Array.from({ length: w * h * 4 }, (_, i) => (i * 37) & 255);
      assert.deepEqual(decodePng(encodeRgbaPng(rgba, w, h)).rgba, rgba);
    }
  });
});

describe('emptyPng and decodePng', () => {
  it('emptyPng is a fully transparent tile of the size asked for', () => {
    const { width, height, rgba } = decodePng(emptyPng(512, 256));
    assert.equal(width, 512);
    assert.equal(height, 256);
    assert.ok(rgba.every((v) => v === 0));
    assert.ok(emptyPng(256, 256).length < 200);
  });

  it('decodePng reads upng-js output (sub-byte palettes included) and rejects corrupt data', () => {
    const rgba = Uint8Array.from({ length: 16 * 16 * 4 }, (_, i) => (i % 4 === 3 ? 255 : ((i >> 6) & 1) * 200));
    const png = new Uint8Array(UPNG.encode([rgba.buffer], 16, 16, 0));
    assert.deepEqual(decodePng(png).rgba, rgba);
    const broken = Uint8Array.from(png);
    broken[40] ^= 0xff;
    assert.throws(() => decodePng(broken), /CRC|PNG|data/);
    assert.throws(() => decodePng(new Uint8Array(16)), /not a PNG/);
  });
});
