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
      const jobs = real.map((b, i) => ({ block: b, bytes: buffers[i], params: blockParamsOf(header, plan.level, b) }));
      // uncompressed blocks are copied here; the rest go to a worker in one batch
      const inline = jobs.filter((j) => j.params.compression === Compression.None);
      const pooled = jobs.filter((j) => j.params.compression !== Compression.None);
      for (const j of inline) {
        try {
          out.set(j.block, await decodeBlock(j.bytes, j.params));
        } catch (e) {
          throw new CorruptBlockError(plan.level, j.block, e);
        }
      }
      if (pooled.length > 0) {
        const decoded = await pool.decodeBlocks(pooled).catch((e: Error & { index?: number }) => {
          throw new CorruptBlockError(plan.level, pooled[e.index ?? 0].block, e);
        });
        pooled.forEach((j, i) => out.set(j.block, decoded[i]));
      }
      return out;
    },
  };
}
