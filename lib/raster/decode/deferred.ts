/**
 * Predictor 2 undone lazily, row by row and only as far along each row as a reader needs. The
 * block cache asks decodeBlock to defer it (`deferPredictor`): a tile reads a few dozen rows and
 * columns of a 512² block, though the block must be inflated from its top, and predictor 2 works
 * on each row alone, from its left edge. Deferred, the predictor costs a fresh tile the rows and
 * columns its window reaches; a later window over the same cached block continues each row from
 * where the last one stopped. Readers call settleRows before reading a block's samples
 * (window.ts's copyBlock, the only reader of cached blocks).
 */
import { sumRow16, sumRow8 } from './predictor.ts';

interface Deferred {
  /** Samples in a row (width × samples a pixel). */
  rowLen: number;
  /** The predictor's stride: samples a pixel. */
  spp: number;
  a: Uint8Array | Uint16Array;
  /** Samples of each row already summed (0 or 1: none yet; the row's first pixel needs nothing). */
  done: Uint16Array;
}

const deferred = new WeakMap<Uint8Array, Deferred>();

/**
 * Whether decodeBlock may leave predictor 2 to settleRows: 8- and 16-bit samples (already in host
 * order: decodeBlock swaps big-endian bytes first, as libtiff does before the predictor), rows short
 * enough to count in 16 bits.
 */
export function canDefer(bytesPerSample: number, rowLen: number): boolean {
  return (bytesPerSample === 1 || bytesPerSample === 2) && rowLen < 65536;
}

/** Marks `block` (rows of `rowLen` samples, predictor 2 not yet undone) for settleRows. */
export function deferPredictor(block: Uint8Array, bytesPerSample: 1 | 2, rowLen: number, rows: number, spp: number): void {
  const a = bytesPerSample === 1 ? block : new Uint16Array(block.buffer, block.byteOffset, rowLen * rows);
  deferred.set(block, { rowLen, spp, a, done: new Uint16Array(rows) });
}

/**
 * Undoes the predictor of rows [row0, row1) up to (not including) sample `samples` of each row,
 * where not done yet. A block decodeBlock did not defer is left alone.
 */
export function settleRows(block: Uint8Array, row0: number, row1: number, samples: number): void {
  const d = deferred.get(block);
  if (!d) return;
  const upTo = Math.min(samples, d.rowLen);
  for (let r = row0; r < row1; r++) {
    const from = Math.max(d.done[r], d.spp);
    if (from >= upTo) continue;
    if (d.a instanceof Uint16Array) sumRow16(d.a, r * d.rowLen, from, upTo, d.spp);
    else sumRow8(d.a, r * d.rowLen, from, upTo, d.spp);
    d.done[r] = upTo;
  }
}
