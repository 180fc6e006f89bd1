/**
 * One node:zlib binding handle per kind of stream, kept and reset for each synchronous one-shot
 * inflate or deflate instead of built per call. node:zlib's inflateSync / deflateSync build a stream
 * object and a zlib state (deflate's is ~270 KB) every call and allocate their output in chunks;
 * written through directly, the handle fills the caller's buffer, and an inflate stops when it is
 * full. Where the binding is not as expected (another Node), `keptZlib` gives undefined and callers
 * use the public API. Output is the same bytes: a reset stream with the same parameters is a new one.
 */
import { constants, createDeflate, createInflate, type ZlibOptions } from 'node:zlib';

interface Binding {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  reset(): void;
  onerror: (message: string, errno: number) => void;
}

export class KeptZlib {
  /** The error zlib reported during the last write (a kept handle that saw one is dropped). */
  #error?: string;
  /** Input bytes the last write left unread. */
  inputLeft = 0;

  private constructor(private readonly handle: Binding, private readonly state: Uint32Array, private readonly drop: () => void) {
    // zlib reports errors through this callback, synchronously during writeSync; node's own would
    // destroy the stream.
    handle.onerror = (message) => { this.#error = message; };
  }

  static of(stream: unknown, drop: () => void): KeptZlib | undefined {
    const { _handle: handle, _writeState: state } = stream as { _handle?: Partial<Binding>; _writeState?: unknown };
    if (typeof handle?.writeSync !== 'function' || typeof handle.reset !== 'function' || !(state instanceof Uint32Array) || state.length < 2) return undefined;
    return new KeptZlib(handle as Binding, state, drop);
  }

  /**
   * Resets the stream when `fresh`, then feeds it input[inOff …] with `flush` into out[0 …];
   * returns the output bytes written, or throws Error(zlib's message).
   */
  write(flush: number, input: Uint8Array, inOff: number, out: Uint8Array, fresh: boolean): number {
    if (fresh) this.handle.reset();
    this.handle.writeSync(flush, input, inOff, input.length - inOff, out, 0, out.length);
    if (this.#error !== undefined) {
      const message = this.#error;
      this.drop();
      throw new Error(message);
    }
    this.inputLeft = this.state[1];
    return out.length - this.state[0];
  }
}

const kept = new Map<string, KeptZlib | null>();

/** The kept handle for `kind` (inflate, or deflate with these options), or undefined where there can be none. */
export function keptZlib(kind: 'inflate' | 'deflate', options: ZlibOptions = {}): KeptZlib | undefined {
  const key = `${kind}${JSON.stringify(options)}`;
  let z = kept.get(key);
  if (z === undefined) {
    z = KeptZlib.of(kind === 'inflate' ? createInflate(options) : createDeflate(options), () => kept.delete(key)) ?? null;
    kept.set(key, z);
  }
  return z ?? undefined;
}

/**
 * deflateSync(data, options)'s bytes written into `out` through the kept deflate handle: their count,
 * or undefined where there is no kept handle or they did not all fit (the caller then deflateSyncs).
 */
export function deflateInto(data: Uint8Array, options: ZlibOptions, out: Uint8Array): number | undefined {
  const z = keptZlib('deflate', options);
  if (!z) return undefined;
  const n = z.write(constants.Z_FINISH, data, 0, out, true);
  // with Z_FINISH, room left in the output means the stream is complete; a full one may not be
  return n < out.length && z.inputLeft === 0 ? n : undefined;
}
