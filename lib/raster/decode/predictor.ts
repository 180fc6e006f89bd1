import { TiffError } from '../../tiff/index.ts';

/**
 * TIFF predictors, undone in place on decompressed block bytes, plus the byte swap that big-endian
 * files need. Everything here works on HOST (little-endian) order, which is what decodeBlock returns.
 *
 * Order of operations (as libtiff's tif_predict.c does it):
 * - Predictor 2 (horizontal differencing) works on sample VALUES, so big-endian data is swapped to
 *   host order first and the differences are summed afterwards (libtiff's swabHorAcc16/32/64).
 * - Predictor 3 (floating point) stores each row as byte planes, most significant byte first,
 *   regardless of the file's byte order, then differences those bytes. Undoing it (libtiff's fpAcc)
 *   sums the bytes and reassembles each value straight into host order: no swap before or after.
 */

/** Swap every `bytesPerSample`-byte value in place (2, 4 or 8); a no-op for single bytes. */
export function swapBytes(data: Uint8Array, bytesPerSample: number): void {
  if (bytesPerSample === 1) return;
  if (data.byteLength % bytesPerSample !== 0) {
    throw new TiffError(`byte swap: ${data.byteLength} bytes is not a whole number of ${bytesPerSample}-byte samples`);
  }
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (bytesPerSample === 2) buf.swap16();
  else if (bytesPerSample === 4) buf.swap32();
  else if (bytesPerSample === 8) buf.swap64();
  else throw new TiffError(`byte swap: unsupported sample size ${bytesPerSample} bytes`);
}

/**
 * Undo predictor 2 in place. `data` holds `height` rows of `width * samples` values of
 * `bytesPerSample` bytes each, already in host order; its byteOffset must be a multiple of
 * bytesPerSample (decodeBlock guarantees it). Integer arithmetic wraps, as the encoder's did.
 */
export function undoHorizontal(data: Uint8Array, width: number, height: number, samples: number, bytesPerSample: number): void {
  // | 0: sizes that arrive as doubles make the loops' index arithmetic float64 (docs/architecture.md)
  height |= 0;
  const rowLen = (width | 0) * (samples | 0);
  if (data.byteLength < rowLen * height * bytesPerSample) {
    throw new TiffError(`predictor 2: ${data.byteLength} bytes is less than ${height} rows of ${rowLen} × ${bytesPerSample}-byte samples`);
  }
  switch (bytesPerSample) {
    case 1:
      accumulate(data, rowLen, height, samples | 0);
      return;
    case 2:
      accumulate(new Uint16Array(data.buffer, data.byteOffset, rowLen * height), rowLen, height, samples | 0);
      return;
    case 4:
      accumulate(new Uint32Array(data.buffer, data.byteOffset, rowLen * height), rowLen, height, samples | 0);
      return;
    case 8:
      accumulate64(new Uint32Array(data.buffer, data.byteOffset, rowLen * height * 2), rowLen, height, samples | 0);
      return;
    default:
      throw new TiffError(`predictor 2 is not defined for ${bytesPerSample * 8}-bit samples`);
  }
}

function accumulate(a: Uint8Array | Uint16Array | Uint32Array, rowLen: number, height: number, stride: number): void {
  // 8- and 16-bit rows, the usual DEM and imagery bands, each get a loop of their own: over one
  // array type V8 compiles the loads and stores inline. Through this function's union of array
  // types they cost twice as much: 0.30 against 0.15 ms a 512 × 300 uint16 block (node 20).
  if (a instanceof Uint16Array) {
    for (let r = 0; r < height; r++) sumRow16(a, r * rowLen, stride, rowLen, stride);
    return;
  }
  if (a instanceof Uint8Array) {
    for (let r = 0; r < height; r++) sumRow8(a, r * rowLen, stride, rowLen, stride);
    return;
  }
  // Stores into the typed array wrap modulo 2^bits, which is exactly the predictor's arithmetic.
  for (let r = 0; r < height; r++) {
    const start = r * rowLen;
    const end = start + rowLen;
    for (let i = start + stride; i < end; i++) {
      a[i] = a[i] + a[i - stride];
    }
  }
}

/**
 * Predictor 2 undone on samples [from, upTo) of the row at `base`, the samples before `from` done
 * already (from ≥ spp). One sample a pixel keeps the running sum in a register (masked, so it stays
 * a small integer); stores wrap modulo 2^bits, the predictor's arithmetic.
 */
export function sumRow16(a: Uint16Array, base: number, from: number, upTo: number, spp: number): void {
  base |= 0;
  from |= 0;
  upTo |= 0;
  if (spp === 1) {
    let sum = a[base + from - 1];
    for (let i = base + from; i < base + upTo; i++) {
      sum = (sum + a[i]) & 0xffff;
      a[i] = sum;
    }
    return;
  }
  for (let i = base + from; i < base + upTo; i++) a[i] = a[i] + a[i - spp];
}

/** sumRow16 over bytes: a twin, not one function over both types, so each loop sees one array type. */
export function sumRow8(a: Uint8Array, base: number, from: number, upTo: number, spp: number): void {
  base |= 0;
  from |= 0;
  upTo |= 0;
  if (spp === 1) {
    let sum = a[base + from - 1];
    for (let i = base + from; i < base + upTo; i++) {
      sum = (sum + a[i]) & 0xff;
      a[i] = sum;
    }
    return;
  }
  for (let i = base + from; i < base + upTo; i++) a[i] = a[i] + a[i - spp];
}

/** 64-bit values as (low, high) uint32 pairs (little-endian host), added with carry. */
function accumulate64(a: Uint32Array, rowLen: number, height: number, stride: number): void {
  const s2 = stride * 2;
  for (let r = 0; r < height; r++) {
    const start = r * rowLen * 2;
    const end = start + rowLen * 2;
    for (let i = start + s2; i < end; i += 2) {
      const lo = a[i] + a[i - s2];
      a[i] = lo; // wraps mod 2^32
      a[i + 1] = a[i + 1] + a[i + 1 - s2] + (lo > 0xffffffff ? 1 : 0);
    }
  }
}

/**
 * Undo predictor 3. `src` holds, per row, `bytesPerSample` byte planes of `width * samples` bytes,
 * the most significant plane first, each differenced bytewise with a stride of `samples`. `src` is
 * modified (the byte sums happen in place); the values come back in a new host-order array.
 */
export function undoFloatingPoint(src: Uint8Array, width: number, height: number, samples: number, bytesPerSample: number): Uint8Array {
  const wc = width * samples;
  const rowBytes = wc * bytesPerSample;
  if (src.byteLength < rowBytes * height) {
    throw new TiffError(`predictor 3: ${src.byteLength} bytes is less than ${height} rows of ${rowBytes} bytes`);
  }
  const out = new Uint8Array(rowBytes * height);
  const bps = bytesPerSample;
  const out32 = bps === 4 || bps === 8 ? new Uint32Array(out.buffer) : undefined;
  for (let r = 0; r < height; r++) {
    const base = r * rowBytes;
    const end = base + rowBytes;
    if (samples === 1) {
      let prev = src[base];
      for (let i = base + 1; i < end; i++) {
        prev = (src[i] + prev) & 0xff;
        src[i] = prev;
      }
    } else {
      for (let i = base + samples; i < end; i++) src[i] = src[i] + src[i - samples];
    }
    // Plane 0 holds the most significant bytes: they land at the top of each little-endian value.
    if (bps === 4) {
      const p1 = base + wc, p2 = base + 2 * wc, p3 = base + 3 * wc;
      for (let i = 0, o = r * wc; i < wc; i++, o++) {
        out32![o] = (src[base + i] << 24) | (src[p1 + i] << 16) | (src[p2 + i] << 8) | src[p3 + i];
      }
    } else if (bps === 8) {
      for (let i = 0, o = r * wc * 2; i < wc; i++, o += 2) {
        const b = base + i;
        out32![o + 1] = (src[b] << 24) | (src[b + wc] << 16) | (src[b + 2 * wc] << 8) | src[b + 3 * wc];
        out32![o] = (src[b + 4 * wc] << 24) | (src[b + 5 * wc] << 16) | (src[b + 6 * wc] << 8) | src[b + 7 * wc];
      }
    } else {
      for (let i = 0; i < wc; i++) {
        const o = base + i * bps;
        for (let b = 0; b < bps; b++) out[o + b] = src[base + (bps - 1 - b) * wc + i];
      }
    }
  }
  return out;
}
