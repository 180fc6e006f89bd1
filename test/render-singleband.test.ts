import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import jpeg from 'jpeg-js';
import { getColormap } from '../lib/render/colormaps.ts';
import { RenderInputError } from '../lib/render/errors.ts';
import { colormapLegend } from '../lib/render/legend.ts';
import { decodePng } from '../lib/render/png-decode.ts';
import { renderRgb } from '../lib/render/rgb.ts';
import { renderSingleband } from '../lib/render/singleband.ts';
import { syntheticBand } from './support/synthetic.ts';

const px = (rgba: Uint8Array, i: number) => [...rgba.subarray(i * 4, i * 4 + 4)];
const lutAt = (name: string, k: number) => [...getColormap(name).subarray(k * 4, k * 4 + 4)];

describe('renderSingleband', () => {
  // One row: below lo, lo, mid, hi, above hi, NaN, masked, -Infinity.
  const band = Float32Array.of(-10, 0, 50, 100, 1e6, NaN, 50, -Infinity);
  const mask = Uint8Array.of(255, 255, 255, 255, 255, 255, 0, 255);
  const tile = (colormap?: string) => decodePng(renderSingleband({ band, mask, width: 8, height: 1, stretch: [0, 100], colormap }));

  it('draws a viridis palette PNG: clipped ends, transparent invalid pixels', () => {
    const { rgba, indices, colorType } = tile('viridis');
    assert.equal(colorType, 3);
    assert.deepEqual([...indices!], [1, 1, 128, 255, 255, 0, 0, 0]);
    assert.deepEqual(px(rgba, 0), lutAt('viridis', 0));
    assert.deepEqual(px(rgba, 1), [68, 1, 84, 255]);
    assert.deepEqual(px(rgba, 2), lutAt('viridis', 127));
    assert.deepEqual(px(rgba, 3), [253, 231, 36, 255]);
    assert.deepEqual(px(rgba, 4), px(rgba, 3));
    for (const i of [5, 6, 7]) assert.equal(rgba[i * 4 + 3], 0, `pixel ${i} is transparent`);
  });

  it('reverses with _r', () => {
    const { rgba } = tile('viridis_r');
    assert.deepEqual(px(rgba, 1), [253, 231, 36, 255]);
    assert.deepEqual(px(rgba, 3), [68, 1, 84, 255]);
  });

  it('draws greyscale without a colormap, still a palette PNG with index 0 transparent', () => {
    const { rgba, colorType } = tile();
    assert.equal(colorType, 3);
    assert.deepEqual([px(rgba, 1), px(rgba, 2), px(rgba, 3)], [[1, 1, 1, 255], [128, 128, 128, 255], [255, 255, 255, 255]]);
    assert.equal(rgba[6 * 4 + 3], 0);
  });

  it('never uses index 0 for valid data on a realistic 512 px tile', () => {
    const { band: b, mask: m } = syntheticBand(512, 'noisy');
    const { indices, width, height } = decodePng(renderSingleband({ band: b, mask: m, width: 512, height: 512, stretch: [900, 1500], colormap: 'terrain' }));
    assert.deepEqual([width, height], [512, 512]);
    for (let i = 0; i < m.length; i++) if ((indices![i] === 0) !== (m[i] === 0)) assert.fail(`pixel ${i}: index ${indices![i]}, mask ${m[i]}`);
  });

  it('handles lo == hi without dividing by zero', () => {
    const { indices } = decodePng(renderSingleband({ band: Uint16Array.of(9, 10, 11), width: 3, height: 1, stretch: [10, 10], colormap: 'jet' }));
    assert.deepEqual([...indices!], [1, 1, 255]);
  });

  it('colours an explicit map by value; other values and invalid pixels are transparent', () => {
    const values = Int32Array.of(1, 2, 3, 4, 1);
    const explicit = { 1: [255, 0, 0], 2: '#00ff00', 3: [0, 0, 255, 100] };
    const { rgba } = decodePng(renderSingleband({ band: values, mask: Uint8Array.of(255, 255, 255, 255, 0), width: 5, height: 1, colormap: explicit }));
    assert.deepEqual([0, 1, 2, 3, 4].map((i) => px(rgba, i)), [[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 100], [0, 0, 0, 0], [0, 0, 0, 0]]);
  });

  it('refuses an unknown colormap and a band of the wrong size', () => {
    assert.throws(() => renderSingleband({ band: Float32Array.of(1), width: 1, height: 1, stretch: [0, 1], colormap: 'viridiss' }),
      (e: unknown) => e instanceof RenderInputError && /Did you mean "viridis"/.test(e.message));
    assert.throws(() => renderSingleband({ band: Float32Array.of(1, 2), width: 1, height: 1, stretch: [0, 1] }), RangeError);
  });
});

describe('renderRgb', () => {
  const r = Float64Array.of(0, 100, 50, 50, NaN);
  const g = Float64Array.of(0, 100, 50, 50, 1);
  const b = Uint16Array.of(10, 20, 15, 15, 15);
  const ranges = [[0, 100], [0, 100], [10, 20]] as const;

  it('stretches each channel to 1..255 as Terracotta does; invalid pixels alpha 0', () => {
    const { rgba, colorType } = decodePng(renderRgb({ r, g, b, mask: Uint8Array.of(255, 255, 255, 0, 255), width: 5, height: 1, ranges }));
    assert.equal(colorType, 6);
    assert.deepEqual([0, 1, 2, 3, 4].map((i) => px(rgba, i)), [[1, 1, 1, 255], [255, 255, 255, 255], [128, 128, 128, 255], [0, 0, 0, 0], [0, 0, 0, 0]]);
  });

  it('refuses an inverted channel range, naming the channel', () => {
    assert.throws(() => renderRgb({ r, g, b, width: 5, height: 1, ranges: [[0, 1], [5, 1], [0, 1]] }),
      (e: unknown) => e instanceof RenderInputError && e.parameter === 'g_range');
  });

  it('encodes JPEG on request, invalid pixels black', () => {
    const n = 16 * 16;
    const band = Float32Array.from({ length: n }, (_, i) => (i % 16) * 10);
    const mask = Uint8Array.from({ length: n }, (_, i) => (i < 16 ? 0 : 255));
    const bytes = renderRgb({ r: band, g: band, b: band, mask, width: 16, height: 16, ranges: [[0, 150], [0, 150], [0, 150]], format: 'jpeg', jpegQuality: 95 });
    assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xd8]);
    const decoded = jpeg.decode(bytes, { useTArray: true });
    assert.deepEqual([decoded.width, decoded.height], [16, 16]);
    assert.ok(decoded.data[4 * 5] < 12, 'the masked first row is black');
    assert.ok(Math.abs(decoded.data[4 * (8 * 16 + 15)] - 255) < 12, 'the brightest column is near white');
  });
});

describe('colormapLegend (GET /colormap)', () => {
  // Expected: Terracotta's handlers/colormap.py run with NumPy and matplotlib's viridis.
  it('matches Terracotta value for value', () => {
    assert.deepEqual(colormapLegend({ stretchRange: [0, 1], colormap: 'viridis', numValues: 5 }), [
      { value: 0, rgba: [68, 1, 84, 255] }, { value: 0.25, rgba: [59, 81, 138, 255] }, { value: 0.5, rgba: [32, 144, 140, 255] },
      { value: 0.75, rgba: [94, 201, 97, 255] }, { value: 1, rgba: [253, 231, 36, 255] },
    ]);
    assert.deepEqual(colormapLegend({ stretchRange: [-3.5, 12.25], colormap: 'viridis', numValues: 7 }).map((e) => [e.value, e.rgba[0]]),
      [[-3.5, 68], [-0.875, 68], [1.75, 48], [4.375, 32], [7, 53], [9.625, 144], [12.25, 253]]);
    assert.deepEqual(colormapLegend({ stretchRange: [10, 10], colormap: 'viridis', numValues: 3 }).map((e) => e.rgba),
      [[68, 1, 84, 255], [68, 1, 84, 255], [68, 1, 84, 255]]);
  });

  it('defaults to 255 values over a greyscale ramp 1..255', () => {
    const legend = colormapLegend({ stretchRange: [0, 254] });
    assert.equal(legend.length, 255);
    assert.deepEqual(legend[0], { value: 0, rgba: [1, 1, 1, 255] });
    assert.deepEqual(legend[254], { value: 254, rgba: [255, 255, 255, 255] });
    assert.deepEqual(colormapLegend({ stretchRange: [3, 9], numValues: 1 }), [{ value: 3, rgba: [1, 1, 1, 255] }]);
  });

  it('refuses a bad num_values or colormap', () => {
    for (const n of [0, -1, 1.5, 1e6, NaN]) {
      assert.throws(() => colormapLegend({ stretchRange: [0, 1], numValues: n }), (e: unknown) => e instanceof RenderInputError && e.parameter === 'num_values');
    }
    assert.throws(() => colormapLegend({ stretchRange: [0, 1], colormap: 'nope' }), /unknown colormap/);
  });
});
