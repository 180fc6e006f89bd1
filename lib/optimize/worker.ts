/**
 * Worker thread: encodes tiles posted by pool.ts, one at a time, and decodes input blocks for it (a
 * batch per message). The result goes back in a buffer of
 * its own (copied if it is a view into a larger one, such as Node's shared Buffer pool, which must not
 * be transferred), and so does the input buffer, for the pool to fill again: nothing tile-sized stays.
 * The ZSTD encoder (WASM) loads on the first ZSTD tile; tiles posted meanwhile wait for the same load,
 * then run in the order posted.
 */
import { parentPort } from 'node:worker_threads';
import type { BlockParams } from '../raster/index.ts';
import { encodeTile, type EncodeJob } from './encode.ts';
import { loadZstd } from './zstd.ts';

/**
 * The block decoder, handed in by the code that starts the thread (pool.ts's workerSource): it
 * requires lib/raster/decode alone, not lib/raster's index, whose imports (object stores and their
 * SDKs) would cost every worker ~50 MB.
 */
const decodeBlock = (globalThis as { taoguanDecodeBlock?: (bytes: Uint8Array, p: BlockParams) => Promise<Uint8Array> }).taoguanDecodeBlock;

parentPort?.on('message', async (msg: { id: number; job: EncodeJob } | { id: number; decode: { bytes: Uint8Array; params: BlockParams }[] }) => {
  if ('decode' in msg) {
    const outs: Uint8Array[] = [];
    for (let index = 0; index < msg.decode.length; index++) {
      try {
        if (!decodeBlock) throw new Error('this worker was started without a block decoder');
        const decoded = await decodeBlock(msg.decode[index].bytes, msg.decode[index].params);
        const own = decoded.byteOffset === 0 && decoded.byteLength === decoded.buffer.byteLength;
        outs.push(own ? decoded : new Uint8Array(decoded));
      } catch (e) {
        parentPort?.postMessage({ id: msg.id, error: (e as Error).message, index });
        return;
      }
    }
    parentPort?.postMessage({ id: msg.id, outs }, outs.map((o) => o.buffer as ArrayBuffer));
    return;
  }
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
