import * as zlib from 'node:zlib';

/**
 * A small PNG decoder so tests (and debugging tools) can check rendered tiles pixel by pixel.
 * Not on any request path. Handles what PNG encoders commonly write for tiles — non-interlaced
 * greyscale, RGB, palette (depths 1-8), grey+alpha and RGBA (depth 8), tRNS — and nothing else.
 */
export interface DecodedPng {
  width: number;
  height: number;
  colorType: number;
  bitDepth: number;
  /** width × height × 4, alpha applied from tRNS where present. */
  rgba: Uint8Array;
  /** For palette images: the index of each pixel, and the palette as RGBA (tRNS applied). */
  indices?: Uint8Array;
  palette?: Uint8Array;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

export function decodePng(bytes: Uint8Array): DecodedPng {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== 0x89504e47 || view.getUint32(4) !== 0x0d0a1a0a) throw new Error('not a PNG');
  let width = 0, height = 0, bitDepth = 0, colorType = -1;
  let plte: Uint8Array | undefined, trns: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  for (let o = 8; o < bytes.length;) {
    const length = view.getUint32(o);
    const type = String.fromCharCode(...bytes.subarray(o + 4, o + 8));
    const body = bytes.subarray(o + 8, o + 8 + length);
    if (o + 12 + length > bytes.length) throw new Error(`chunk ${type} is truncated`);
    if (typeof zlib.crc32 === 'function' && zlib.crc32(bytes.subarray(o + 4, o + 8 + length)) !== view.getUint32(o + 8 + length)) {
      throw new Error(`chunk ${type} has a bad CRC`);
    }
    if (type === 'IHDR') {
      width = view.getUint32(o + 8);
      height = view.getUint32(o + 12);
      bitDepth = body[8];
      colorType = body[9];
      if (body[12] !== 0) throw new Error('interlaced PNGs are not supported');
    } else if (type === 'PLTE') plte = body;
    else if (type === 'tRNS') trns = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    o += length + 12;
  }
  const channels = CHANNELS[colorType];
  if (channels === undefined) throw new Error(`colour type ${colorType} is not a PNG colour type`);
  if (bitDepth !== 8 && !(bitDepth < 8 && (colorType === 0 || colorType === 3))) {
    throw new Error(`bit depth ${bitDepth} with colour type ${colorType} is not supported`);
  }
  const bitsPerPixel = channels * bitDepth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const raw = unfilter(zlib.inflateSync(Buffer.concat(idat)), stride, height, Math.max(1, bitsPerPixel >> 3));
  const samples = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width * channels; x++) {
      const bit = x * bitDepth;
      const byte = raw[y * stride + (bit >> 3)];
      samples[y * width * channels + x] = bitDepth === 8 ? byte : (byte >> (8 - bitDepth - (bit & 7))) & ((1 << bitDepth) - 1);
    }
  }
  return toRgba(samples, width, height, colorType, bitDepth, plte, trns);
}

function unfilter(data: Uint8Array, stride: number, height: number, bpp: number): Uint8Array {
  if (data.length < height * (stride + 1)) throw new Error('image data is truncated');
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = data[y * (stride + 1)], src = y * (stride + 1) + 1, o = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[o + x - bpp] : 0, b = y > 0 ? out[o - stride + x] : 0;
      const c = x >= bpp && y > 0 ? out[o - stride + x - bpp] : 0;
      let predicted = 0;
      if (filter === 1) predicted = a;
      else if (filter === 2) predicted = b;
      else if (filter === 3) predicted = (a + b) >> 1;
      else if (filter === 4) {
        const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
        predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`bad filter type ${filter} on row ${y}`);
      out[o + x] = data[src + x] + predicted;
    }
  }
  return out;
}

function toRgba(s: Uint8Array, width: number, height: number, colorType: number, bitDepth: number, plte?: Uint8Array, trns?: Uint8Array): DecodedPng {
  const n = width * height;
  const rgba = new Uint8Array(n * 4);
  const result: DecodedPng = { width, height, colorType, bitDepth, rgba };
  if (colorType === 3) {
    if (!plte) throw new Error('palette image without PLTE');
    const palette = new Uint8Array((plte.length / 3) * 4);
    for (let k = 0; k < plte.length / 3; k++) {
      palette.set(plte.subarray(k * 3, k * 3 + 3), k * 4);
      palette[k * 4 + 3] = trns && k < trns.length ? trns[k] : 255;
    }
    for (let i = 0; i < n; i++) {
      if (s[i] * 4 >= palette.length) throw new Error(`index ${s[i]} is past the palette`);
      rgba.set(palette.subarray(s[i] * 4, s[i] * 4 + 4), i * 4);
    }
    return { ...result, indices: s, palette };
  }
  const scale = 255 / ((1 << bitDepth) - 1);
  const trnsView = trns ? new DataView(trns.buffer, trns.byteOffset, trns.byteLength) : undefined;
  for (let i = 0; i < n; i++) {
    let r: number, g: number, b: number, a = 255;
    if (colorType === 0 || colorType === 4) {
      r = g = b = s[i * (colorType === 0 ? 1 : 2)] * scale;
      if (colorType === 4) a = s[i * 2 + 1];
      else if (trnsView && s[i] === trnsView.getUint16(0)) a = 0;
    } else {
      const c = colorType === 2 ? 3 : 4;
      [r, g, b] = [s[i * c], s[i * c + 1], s[i * c + 2]];
      if (colorType === 6) a = s[i * 4 + 3];
      else if (trnsView && r === trnsView.getUint16(0) && g === trnsView.getUint16(2) && b === trnsView.getUint16(4)) a = 0;
    }
    rgba.set([r, g, b, a], i * 4);
  }
  return result;
}
