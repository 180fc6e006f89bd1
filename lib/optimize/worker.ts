/** Worker thread: encodes tiles posted by pool.ts (predictor + deflate), one at a time. */
import { parentPort } from 'node:worker_threads';
import { encodeTile, type EncodeJob } from './encode.ts';

parentPort?.on('message', (msg: { id: number; job: EncodeJob }) => {
  try {
    const out = encodeTile(msg.job);
    parentPort?.postMessage({ id: msg.id, out });
  } catch (e) {
    parentPort?.postMessage({ id: msg.id, error: (e as Error).message });
  }
});
