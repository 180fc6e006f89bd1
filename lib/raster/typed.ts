import type { DType } from '../tiff/index.ts';

export type TypedArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

const CTORS = {
  uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array,
  uint32: Uint32Array, int32: Int32Array, float32: Float32Array, float64: Float64Array,
} as const;

export function typedArrayFor(dtype: DType, length: number): TypedArray {
  return new CTORS[dtype](length);
}

export function typedArrayCtor(dtype: DType): new (n: number) => TypedArray {
  return CTORS[dtype];
}

export function bytesPerSample(dtype: DType): number {
  return CTORS[dtype].BYTES_PER_ELEMENT;
}

/** View host-order bytes as samples of `dtype`, copying only when the bytes are misaligned. */
export function viewAs(bytes: Uint8Array, dtype: DType): TypedArray {
  const Ctor = CTORS[dtype];
  const size = Ctor.BYTES_PER_ELEMENT;
  if (bytes.byteOffset % size === 0) return new Ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, Math.floor(bytes.byteLength / size));
  return new Ctor(bytes.slice().buffer, 0, Math.floor(bytes.byteLength / size));
}

/** The nodata value as the data type stores it (GDAL compares after the same cast), or null if unrepresentable. */
export function nodataAs(dtype: DType, nodata: number | null): number | null {
  if (nodata === null) return null;
  if (dtype === 'float64') return nodata;
  if (Number.isNaN(nodata)) return dtype === 'float32' ? NaN : null;
  if (dtype === 'float32') return Math.fround(nodata);
  const probe = new CTORS[dtype](1);
  probe[0] = nodata;
  return probe[0] === nodata ? nodata : null;
}

/** Samples as unsigned integers of their width (doubles for 8 bytes): bits to move, not values. */
export type Words = Uint8Array | Uint16Array | Uint32Array | Float64Array;

/**
 * The same samples as Words: code that only moves samples (interleaving, de-interleaving) runs one
 * loop per width over one array type, which V8 compiles far better than a loop over the union of
 * TypedArray types (2-4× on 8-bit RGB here).
 */
export function asWords(a: TypedArray): Words {
  if (a instanceof Uint8Array || a instanceof Uint16Array || a instanceof Uint32Array || a instanceof Float64Array) return a;
  const size = a.BYTES_PER_ELEMENT;
  return size === 1 ? new Uint8Array(a.buffer, a.byteOffset, a.length)
    : size === 2 ? new Uint16Array(a.buffer, a.byteOffset, a.length) : new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/**
 * n samples src[s0], src[s0 + sStride], … into dst[d0], dst[d0 + dStride], …, for interleaving and
 * de-interleaving bands. One loop per Words type, as asWords explains; dst and src of the same type.
 */
export function copyStrided(dst: Words, d0: number, dStride: number, src: Words, s0: number, sStride: number, n: number): void {
  if (dst instanceof Uint8Array) strided8(dst, d0, dStride, src as Uint8Array, s0, sStride, n);
  else if (dst instanceof Uint16Array) strided16(dst, d0, dStride, src as Uint16Array, s0, sStride, n);
  else if (dst instanceof Uint32Array) strided32(dst, d0, dStride, src as Uint32Array, s0, sStride, n);
  else strided64(dst, d0, dStride, src as Float64Array, s0, sStride, n);
}

function strided8(dst: Uint8Array, d0: number, dStride: number, src: Uint8Array, s0: number, sStride: number, n: number): void {
  for (let i = 0, d = d0, s = s0; i < n; i++, d += dStride, s += sStride) dst[d] = src[s];
}

function strided16(dst: Uint16Array, d0: number, dStride: number, src: Uint16Array, s0: number, sStride: number, n: number): void {
  for (let i = 0, d = d0, s = s0; i < n; i++, d += dStride, s += sStride) dst[d] = src[s];
}

function strided32(dst: Uint32Array, d0: number, dStride: number, src: Uint32Array, s0: number, sStride: number, n: number): void {
  for (let i = 0, d = d0, s = s0; i < n; i++, d += dStride, s += sStride) dst[d] = src[s];
}

function strided64(dst: Float64Array, d0: number, dStride: number, src: Float64Array, s0: number, sStride: number, n: number): void {
  for (let i = 0, d = d0, s = s0; i < n; i++, d += dStride, s += sStride) dst[d] = src[s];
}
