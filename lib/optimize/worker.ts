/**
 * Worker thread: encodes tiles posted by pool.ts, one at a time. The result goes back in a buffer of
 * its own (copied if it is a view into a larger one, such as Node's shared Buffer pool, which must not
 * be transferred), and so does the input buffer, for the pool to fill again: nothing tile-sized stays.
 * The ZSTD encoder (WASM) loads on the first ZSTD tile; tiles posted meanwhile wait for the same load,
 * then run in the order posted.
 */
import { parentPort } from 'node:worker_threads';
import { encodeTile, type EncodeJob } from './encode.ts';
import { loadZstd } from './zstd.ts';

parentPort?.on('message', async (msg: { id: number; job: EncodeJob }) => {
  const input = msg.job.data.buffer as ArrayBuffer;
  try {
    if (msg.job.codec === 'zstd') await loadZstd();
    // only LZW and ZSTD come here, and both return a buffer apart from their input
    const encoded = encodeTile(msg.job);
    const own = encoded.byteOffset === 0 && encoded.byteLength === encoded.buffer.byteLength;
    const out = own ? encoded : new Uint8Array(encoded);
    parentPort?.postMessage({ id: msg.id, out, input }, [out.buffer as ArrayBuffer, input]);
  } catch (e) {
    parentPort?.postMessage({ id: msg.id, error: (e as Error).message, input }, [input]);
  }
});
