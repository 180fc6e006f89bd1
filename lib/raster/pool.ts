/**
 * Typed arrays of a tile's passing stages (the assembled source window, the warped tile and its mask)
 * handed back once the next stage has read them, and taken again by the next tile: a fresh tile
 * allocated ~0.5 MB of them, and ArrayBuffers that outlive a young-generation collection are freed
 * only by a full mark-compact, whose rate follows the bytes allocated. The tile path gives its
 * arrays back (pipeline/execute.ts, pipeline/tile.ts), and assembleDecoded its own temporaries (an
 * internal mask's bits, an alpha band read only for the mask); any other caller's arrays are
 * collected as before. Bounded: a few arrays of at most 4 MiB each, 8 MiB in all.
 */
import type { TypedArray } from './typed.ts';

const MAX_ARRAYS = 16;
const MAX_ARRAY_BYTES = 4 << 20;
const MAX_BYTES = 8 << 20;
const free: TypedArray[] = [];
let bytes = 0;

/** A `Ctor` of length n, every element `fill` (a given-back array, cleared, or a new one). */
export function takeArray<T extends TypedArray>(Ctor: new (n: number) => T, n: number, fill = 0): T {
  for (let i = free.length - 1; i >= 0; i--) {
    const a = free[i];
    if (a.length === n && a.constructor === Ctor) {
      free[i] = free[free.length - 1];
      free.pop();
      bytes -= a.byteLength;
      a.fill(fill);
      return a as T;
    }
  }
  const a = new Ctor(n);
  if (fill !== 0) a.fill(fill);
  return a;
}

/**
 * Gives arrays back for reuse. The caller promises nothing reads or writes them afterwards: they
 * become another tile's. Views into a larger buffer (a decoded block, say) are never taken.
 */
export function giveBack(arrays: readonly (TypedArray | undefined)[]): void {
  for (const a of arrays) {
    if (!a || a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength || a.byteLength > MAX_ARRAY_BYTES || free.includes(a)) continue;
    while (free.length > 0 && (free.length >= MAX_ARRAYS || bytes + a.byteLength > MAX_BYTES)) bytes -= free.shift()!.byteLength;
    free.push(a);
    bytes += a.byteLength;
  }
}
