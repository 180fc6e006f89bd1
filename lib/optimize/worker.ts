/**
 * Worker thread: encodes tiles posted by pool.ts, one at a time. The result goes back in a buffer of
 * its own (a small zlib output may sit in Node's shared Buffer pool, which must not be transferred),
 * and so does the input buffer, for the pool to fill again: nothing tile-sized stays here.
 */
import { parentPort } from 'node:worker_threads';
import { encodeTile, type EncodeJob } from './encode.ts';

parentPort?.on('message', (msg: { id: number; job: EncodeJob }) => {
  const input = msg.job.data.buffer as ArrayBuffer;
  try {
    const encoded = encodeTile(msg.job);
    if (encoded.buffer === input) {
      parentPort?.postMessage({ id: msg.id, out: encoded }, [input]);
      return;
    }
    const out = new Uint8Array(encoded);
    parentPort?.postMessage({ id: msg.id, out, input }, [out.buffer, input]);
  } catch (e) {
    parentPort?.postMessage({ id: msg.id, error: (e as Error).message, input }, [input]);
  }
});
