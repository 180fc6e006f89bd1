import { TiffError } from '../../tiff/index.ts';

/**
 * 1-bit samples (GDAL's internal mask IFDs: one bit per pixel, MSB first, each row padded to a whole
 * byte) expanded to one byte per pixel: 0 for a clear bit, 255 for a set one (GDAL's mask values).
 */
export function expandBits(bytes: Uint8Array, width: number, height: number): Uint8Array {
  const rowBytes = Math.ceil(width / 8);
  if (bytes.length < rowBytes * height) {
    throw new TiffError(`1-bit block: ${bytes.length} bytes is less than ${height} rows of ${rowBytes} bytes (${width} pixels)`);
  }
  const out = new Uint8Array(width * height);
  const whole = width >> 3;
  for (let y = 0; y < height; y++) {
    const src = y * rowBytes;
    let o = y * width;
    for (let k = 0; k < whole; k++) {
      const b = bytes[src + k];
      if (b === 0) { o += 8; continue; }
      if (b === 0xff) { out.fill(255, o, o + 8); o += 8; continue; }
      out[o++] = b & 0x80 ? 255 : 0;
      out[o++] = b & 0x40 ? 255 : 0;
      out[o++] = b & 0x20 ? 255 : 0;
      out[o++] = b & 0x10 ? 255 : 0;
      out[o++] = b & 0x08 ? 255 : 0;
      out[o++] = b & 0x04 ? 255 : 0;
      out[o++] = b & 0x02 ? 255 : 0;
      out[o++] = b & 0x01 ? 255 : 0;
    }
    for (let x = whole * 8; x < width; x++) {
      out[o++] = (bytes[src + (x >> 3)] >> (7 - (x & 7))) & 1 ? 255 : 0;
    }
  }
  return out;
}
