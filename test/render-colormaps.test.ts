import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { colormapNames, colormapPalette, getColormap, greyscalePalette, isColormapName } from '../lib/render/colormaps.ts';
import { RenderInputError } from '../lib/render/errors.ts';
import { parseExplicitColormap, labelExplicit } from '../lib/render/explicit.ts';

const entry = (lut: Uint8Array, k: number) => [...lut.subarray(k * 4, k * 4 + 4)];

// Reference values: matplotlib 3.6.3, (cmap(np.linspace(0, 1, 255)) * 255).astype('uint8'),
// which is how Terracotta builds its colormap files. Samples 0, 127 and 254.
const MATPLOTLIB: Record<string, number[][]> = {
  viridis: [[68, 1, 84, 255], [32, 144, 140, 255], [253, 231, 36, 255]],
  viridis_r: [[253, 231, 36, 255], [32, 143, 140, 255], [68, 1, 84, 255]],
  RdBu: [[103, 0, 31, 255], [246, 246, 246, 255], [5, 48, 97, 255]],
  Greys: [[255, 255, 255, 255], [149, 149, 149, 255], [0, 0, 0, 255]],
  terrain: [[51, 51, 153, 255], [254, 253, 152, 255], [255, 255, 255, 255]],
  jet: [[0, 0, 127, 255], [124, 255, 121, 255], [127, 0, 0, 255]],
  gist_earth: [[0, 0, 0, 255], [93, 160, 75, 255], [253, 250, 250, 255]],
  coolwarm: [[58, 76, 192, 255], [221, 220, 219, 255], [179, 3, 38, 255]],
  Spectral_r: [[94, 79, 162, 255], [254, 254, 189, 255], [158, 1, 66, 255]],
  tab10: [[31, 119, 180, 255], [140, 86, 75, 255], [23, 190, 207, 255]],
  tab10_r: [[23, 190, 207, 255], [148, 103, 189, 255], [31, 119, 180, 255]],
};

describe('hand-written colormaps (colormap-ramps.ts)', () => {
  it('pass through their stops, are reversed as NAME_r, and are case-insensitive like the rest', () => {
    const ndvi = getColormap('NDVI');
    assert.deepEqual(entry(ndvi, 0), [12, 12, 12, 255]);
    assert.deepEqual(entry(ndvi, 127), [0xdf, 0xc2, 0x7d, 255]); // the stop at 0.5
    assert.deepEqual(entry(ndvi, 254), [0, 0x45, 0x29, 255]);
    const reversed = getColormap('ndvi_r');
    for (let k = 0; k < 255; k++) assert.deepEqual(entry(reversed, k), entry(ndvi, 254 - k), `sample ${k}`);
    assert.deepEqual(entry(getColormap('hypsometric'), 254), [255, 255, 255, 255]);
    assert.ok(isColormapName('Hypsometric_R'));
  });

  it('interpolate between stops without steps larger than the ramp allows', () => {
    const lut = getColormap('ndvi');
    for (let k = 1; k < 255; k++) {
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(lut[k * 4 + c] - lut[(k - 1) * 4 + c]) <= 20, `sample ${k} channel ${c}`);
    }
  });
});

describe('named colormaps', () => {
  it('match matplotlib sample for sample at the ends and the middle', () => {
    for (const [name, [first, middle, last]] of Object.entries(MATPLOTLIB)) {
      const lut = getColormap(name);
      assert.equal(lut.length, 255 * 4, name);
      assert.deepEqual([entry(lut, 0), entry(lut, 127), entry(lut, 254)], [first, middle, last], name);
    }
  });

  it('has every map of Terracotta\'s set, each with its _r variant, lower-cased and sorted', () => {
    const names = colormapNames();
    assert.equal(names.length, 170); // 83 of matplotlib's and 2 hand-written ramps, each with _r
    assert.deepEqual(names, [...names].sort());
    for (const base of ['viridis', 'plasma', 'inferno', 'magma', 'cividis', 'twilight', 'turbo', 'greys', 'blues', 'rdbu',
      'spectral', 'coolwarm', 'bwr', 'seismic', 'terrain', 'jet', 'gist_earth', 'ocean', 'hsv', 'set1', 'tab20c', 'cubehelix']) {
      assert.ok(names.includes(base) && names.includes(`${base}_r`), base);
    }
  });

  it('_r is the reversed ramp, as matplotlib samples it', () => {
    for (const base of ['viridis', 'magma', 'rdylbu', 'gist_earth', 'set1']) {
      const lut = getColormap(base), rev = getColormap(`${base}_r`);
      assert.deepEqual(entry(rev, 0), entry(lut, 254), base);
      assert.deepEqual(entry(rev, 254), entry(lut, 0), base);
      for (let k = 0; k < 255; k++) {
        // matplotlib's own _r table differs from an exact reversal by a rounding step (and,
        // for qualitative maps, by which class the one midpoint sample falls in).
        const d = entry(rev, k).map((c, i) => Math.abs(c - entry(lut, 254 - k)[i]));
        if (base !== 'set1' || k !== 127) assert.ok(Math.max(...d) <= 5, `${base}_r[${k}]`);
      }
    }
  });

  it('looks names up case-insensitively, as Terracotta does', () => {
    assert.deepEqual(getColormap('RdBu'), getColormap('rdbu'));
    assert.deepEqual(getColormap('VIRIDIS_R'), getColormap('viridis_r'));
    assert.ok(isColormapName('Greys') && !isColormapName('nope'));
  });

  it('hands out copies, and a shared palette with index 0 transparent', () => {
    const lut = getColormap('viridis');
    lut.fill(0);
    assert.deepEqual(entry(getColormap('viridis'), 0), [68, 1, 84, 255]);
    const palette = colormapPalette('Viridis');
    assert.equal(palette, colormapPalette('viridis'));
    assert.deepEqual(entry(palette, 0), [0, 0, 0, 0]);
    assert.deepEqual(entry(palette, 1), [68, 1, 84, 255]);
    assert.deepEqual(entry(palette, 255), [253, 231, 36, 255]);
  });

  it('greyscale: index i is grey i, index 0 transparent', () => {
    const grey = greyscalePalette();
    assert.deepEqual([entry(grey, 0), entry(grey, 1), entry(grey, 200), entry(grey, 255)],
      [[0, 0, 0, 0], [1, 1, 1, 255], [200, 200, 200, 255], [255, 255, 255, 255]]);
  });

  it('refuses an unknown name with a clear, helpful message', () => {
    assert.throws(() => getColormap('virdis'), (e: unknown) =>
      e instanceof RenderInputError && e.parameter === 'colormap' &&
      /unknown colormap "virdis"/.test(e.message) && /Did you mean "viridis"\?/.test(e.message) &&
      /viridis, plasma/.test(e.message) && /_r/.test(e.message));
    assert.throws(() => colormapPalette('no-such-map'), (e: unknown) =>
      e instanceof RenderInputError && !/Did you mean/.test(e.message) && /170 in all/.test(e.message));
    assert.throws(() => getColormap('explicit'), (e: unknown) =>
      e instanceof RenderInputError && e.parameter === 'explicit_color_map' && /needs an explicit_color_map/.test(e.message));
  });
});

describe('explicit colormaps', () => {
  it('parses RGB, RGBA and hex colours, in the order given', () => {
    const cmap = parseExplicitColormap({ 3: [255, 0, 0], 1: '#00ff00', '-2.5': [0, 0, 255, 128], 7: '0000ff80' });
    // Object key order puts integer-like keys first, ascending: 1, 3, 7, then "-2.5".
    assert.deepEqual([...cmap.values], [1, 3, 7, -2.5]);
    assert.deepEqual([0, 1, 2, 3, 4].map((k) => entry(cmap.palette, k)),
      [[0, 0, 0, 0], [0, 255, 0, 255], [255, 0, 0, 255], [0, 0, 255, 128], [0, 0, 255, 128]]);
    const fromMap = parseExplicitColormap(new Map([[5, [1, 2, 3.9]], [4, [9, 9, 9]]]));
    assert.deepEqual([...fromMap.values], [5, 4]);
    assert.deepEqual(entry(fromMap.palette, 1), [1, 2, 3, 255]);
  });

  it('labels pixels 1.. in map order; unlisted and invalid pixels get 0', () => {
    const cmap = parseExplicitColormap(new Map([[10, [1, 1, 1]], [20, [2, 2, 2]]]));
    const band = Int16Array.of(10, 20, 30, 20, 10);
    assert.deepEqual([...labelExplicit(band, Uint8Array.of(255, 255, 255, 255, 0), cmap)], [1, 2, 0, 2, 0]);
  });

  it('matches float32 samples to keys in float32 precision, as NumPy does', () => {
    const cmap = parseExplicitColormap({ '0.1': [1, 2, 3] });
    assert.deepEqual([...labelExplicit(Float32Array.of(0.1, 0.2, NaN), undefined, cmap)], [1, 0, 0]);
    assert.deepEqual([...labelExplicit(Float64Array.of(0.1, Math.fround(0.1)), undefined, cmap)], [1, 0]);
  });

  it('refuses malformed maps, naming explicit_color_map', () => {
    const bad: unknown[] = [
      {}, [], null, 'x', { a: [1, 2, 3] }, { 1: [1, 2] }, { 1: [1, 2, 3, 4, 5] }, { 1: [0, 0, 256] }, { 1: [-1, 0, 0] },
      { 1: '#12345' }, { 1: 'red' }, { 1: ['1', 2, 3] }, Object.fromEntries(Array.from({ length: 256 }, (_, i) => [i, [0, 0, 0]])),
    ];
    for (const input of bad) {
      assert.throws(() => parseExplicitColormap(input as never), (e: unknown) =>
        e instanceof RenderInputError && e.parameter === 'explicit_color_map', JSON.stringify(input));
    }
  });
});
