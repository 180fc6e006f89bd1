/**
 * Buffers for the compressed bytes of blocks read from local files, given back once the blocks are
 * decoded and issued again for the next reads (and for a palette tile's indices, lib/render's
 * bandImage, given back once encoded). A fresh tile read ~0.55 MB of them into new buffers,
 * garbage a moment later; ArrayBuffers that outlive a young-generation collection are freed only by
 * a full mark-compact, whose rate follows the bytes allocated. Only buffers this pool issued are
 * taken back (a view of any other buffer is ignored), each at most once per issue.
 */
const MAX_PIECE = 2 << 20;
const MAX_KEPT = 8;
const MAX_KEPT_BYTES = 4 << 20;
/** Rounding of new buffers, so a buffer fits the next block of about the same size. */
const GRAIN = 16 << 10;

const issued = new WeakSet<ArrayBuffer>();
const free: ArrayBuffer[] = [];
let keptBytes = 0;

/** n bytes, contents undefined (the caller overwrites all of them), in a buffer that releaseBytes takes back. */
export function takeBytes(n: number): Uint8Array {
  if (n > MAX_PIECE || n < GRAIN) return new Uint8Array(n);
  let best = -1;
  for (let i = 0; i < free.length; i++) {
    const size = free[i].byteLength;
    if (size >= n && size <= 2 * n + GRAIN && (best < 0 || size < free[best].byteLength)) best = i;
  }
  let buffer: ArrayBuffer;
  if (best >= 0) {
    buffer = free[best];
    free[best] = free[free.length - 1];
    free.pop();
    keptBytes -= buffer.byteLength;
  } else {
    buffer = new ArrayBuffer(Math.ceil(n / GRAIN) * GRAIN);
  }
  issued.add(buffer);
  return new Uint8Array(buffer, 0, n);
}

/**
 * Takes back the buffers under `views` that takeBytes issued. The caller promises that nothing reads
 * any view of them afterwards: they become the next reads'.
 */
export function releaseBytes(views: readonly Uint8Array[]): void {
  for (const v of views) {
    const buffer = v.buffer as ArrayBuffer;
    if (!issued.has(buffer)) continue;
    issued.delete(buffer);
    while (free.length > 0 && (free.length >= MAX_KEPT || keptBytes + buffer.byteLength > MAX_KEPT_BYTES)) keptBytes -= free.shift()!.byteLength;
    if (buffer.byteLength > MAX_KEPT_BYTES) continue;
    free.push(buffer);
    keptBytes += buffer.byteLength;
  }
}
