/** Synthetic rasters for tests and the bench: a textured uint16 band, and a sparse striped GeoTIFF of any size. */
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';

export type Texture = 'noisy' | 'mild' | 'clean' | 'upsampled';
const TEXTURES: Record<Texture, { noise: number; block: number }> = {
  noisy: { noise: 60, block: 1 }, // high-frequency detail, e.g. fields and towns at native resolution
  mild: { noise: 20, block: 1 },
  clean: { noise: 0, block: 1 }, // smooth gradients only, the worst case for run-length coding
  upsampled: { noise: 20, block: 4 }, // nearest-neighbour overzoom: 4×4 blocks
};

/** A uint16 reflectance-like band: smooth terrain-ish waves plus noise, with a nodata corner (~10%). */
export function syntheticBand(size: number, texture: Texture = 'mild', phase = 0): { band: Uint16Array; mask: Uint8Array } {
  const { noise, block } = TEXTURES[texture];
  const band = new Uint16Array(size * size);
  const mask = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sx = x - (x % block), sy = y - (y % block); // every pixel of a block samples its corner
      const v = 1200 + 700 * Math.sin((sx + phase) / 37) * Math.cos(sy / 53) + 300 * Math.sin((sx + sy) / 17);
      band[y * size + x] = Math.max(0, Math.round(v + noise * gaussish(sx, sy, phase)));
      mask[y * size + x] = x + y < size * 0.45 ? 0 : 255;
    }
  }
  return { band, mask };
}

/** Deterministic noise in about [-1.5, 1.5], bell-shaped (a sum of three hashed uniforms). */
function gaussish(x: number, y: number, seed: number): number {
  let sum = 0;
  for (let k = 0; k < 3; k++) {
    let h = Math.imul(x + 374761393 * k, 668265263) ^ Math.imul(y + seed, 2246822519);
    h = Math.imul(h ^ (h >>> 15), 3266489917);
    sum += ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
  }
  return sum - 1.5;
}

/** The best of five batches: this box is shared, and the best batch is the least disturbed. */
export interface SparseTiffOptions {
  rowsPerStrip?: number;
  /** Bits per sample: 8, 16, 32 or 64. */
  bits?: number;
  /** TIFF SampleFormat: 1 unsigned integer, 2 signed, 3 floating point. */
  sampleFormat?: number;
}

/**
 * A striped, uncompressed single-band GeoTIFF (uint16 unless told) of width × height whose pixels are
 * all holes: the header and strip table are written, then the file is extended with ftruncate, so it
 * takes no disk. BigTIFF, so it may pass 4 GB. Returns where the pixels start (row y at start + y ×
 * width × bytes per sample), for a caller that writes a few real rows.
 */
export function makeSparseTiff(path: string, width: number, height: number, options: SparseTiffOptions = {}): number {
  const { rowsPerStrip = 16, bits = 16, sampleFormat = 1 } = options;
  const strips = Math.ceil(height / rowsPerStrip);
  const entries = 10;
  const ifd = 16;
  const arrays = ifd + 8 + entries * 20 + 8;
  const data = arrays + strips * 16;
  const buf = Buffer.alloc(data);
  buf.write('II', 0, 'latin1');
  buf.writeUInt16LE(43, 2); buf.writeUInt16LE(8, 4); buf.writeBigUInt64LE(BigInt(ifd), 8);
  buf.writeBigUInt64LE(BigInt(entries), ifd);
  const rowBytes = width * bits / 8;
  const tags: [number, number, number, number][] = [ // tag, type, count, value (or offset)
    [256, 4, 1, width], [257, 4, 1, height], [258, 3, 1, bits], [259, 3, 1, 1], [262, 3, 1, 1],
    [273, 16, strips, arrays], [277, 3, 1, 1], [278, 4, 1, rowsPerStrip], [279, 16, strips, arrays + strips * 8], [339, 3, 1, sampleFormat],
  ];
  tags.forEach(([tag, type, count, value], i) => {
    const e = ifd + 8 + i * 20;
    buf.writeUInt16LE(tag, e); buf.writeUInt16LE(type, e + 2); buf.writeBigUInt64LE(BigInt(count), e + 4);
    if (type === 3) buf.writeUInt16LE(value, e + 12); else buf.writeBigUInt64LE(BigInt(value), e + 12);
  });
  for (let s = 0; s < strips; s++) {
    const rows = Math.min(rowsPerStrip, height - s * rowsPerStrip);
    buf.writeBigUInt64LE(BigInt(data + s * rowsPerStrip * rowBytes), arrays + s * 8);
    buf.writeBigUInt64LE(BigInt(rows * rowBytes), arrays + strips * 8 + s * 8);
  }
  const fd = openSync(path, 'w');
  writeSync(fd, buf);
  ftruncateSync(fd, data + rowBytes * height);
  closeSync(fd);
  return data;
}

