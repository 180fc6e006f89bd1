/**
 * readWindow's block source for optimize: ranges read on the reading thread, blocks decoded in the
 * encode pool's worker threads (pool.ts), so decoding runs on both cores and beside the downsampling.
 * Uncompressed inputs are copied as they are, with no worker started.
 */
import { blockParamsOf, CorruptBlockError, decodeBlock, type BlockLoader, type BlockRef } from '../raster/index.ts';
import { readRanges } from '../source/index.ts';
import { Compression } from '../tiff/index.ts';
import type { EncodePool } from './pool.ts';

export function pooledBlocks(pool: EncodePool): BlockLoader {
  return {
    async load(header, source, plan, options) {
      const real = plan.blocks.filter((b) => b.byteCount > 0 && b.offset > 0);
      const buffers = await readRanges(source, real.map((b) => ({ offset: b.offset, length: b.byteCount })), { signal: options.signal, etag: options.etag });
      const out = new Map<BlockRef, Uint8Array | undefined>(plan.blocks.map((b) => [b, undefined]));
      await Promise.all(real.map(async (b, i) => {
        const params = blockParamsOf(header, plan.level, b);
        try {
          out.set(b, await (params.compression === Compression.None ? decodeBlock(buffers[i], params) : pool.decodeBlock(buffers[i], params)));
        } catch (e) {
          throw new CorruptBlockError(plan.level, b, e);
        }
      }));
      return out;
    },
  };
}
