/**
 * How fast this machine is at the work a fresh tile is mostly made of: inflating one 512² uint16
 * block of the bench COG (node:zlib, predictor deferred as the tile path does), the median of 21.
 * The fresh-tile figures scale with it from machine to machine: the same commit (98e673b) measured
 * 3.45 ms of server CPU a fresh tile where zlib took 1.25–1.45 ms for such a block, and 5.7–6.0 ms
 * where it took 2.3–2.5 ms. Compare CPU per tile across machines only together with it.
 */
import { blockParamsOf, decodeBlock, planWindow } from '../../../lib/raster/index.ts';
import { openSource, readRanges } from '../../../lib/source/index.ts';
import { readHeader } from '../../../lib/tiff/index.ts';
import { sentinelCog } from './data.ts';

export async function inflateMsPerBlock(): Promise<number> {
  const source = openSource(sentinelCog());
  try {
    const { header } = await readHeader(source);
    const im = header.levels[0].image;
    // a block from the middle of the image: imagery, not the collar
    const plan = planWindow(header, 0, { x: im.width >> 1, y: im.height >> 1, width: 1, height: 1 });
    const [bytes] = await readRanges(source, plan.blocks.map((b) => ({ offset: b.offset, length: b.byteCount })));
    // as the block cache decodes it: the predictor left to the window copy
    const params = { ...blockParamsOf(header, 0, plan.blocks[0]), deferPredictor: true };
    const ms: number[] = [];
    for (let i = 0; i < 24; i++) {
      const t0 = performance.now();
      await decodeBlock(bytes, params);
      if (i >= 3) ms.push(performance.now() - t0);
    }
    return ms.sort((a, b) => a - b)[ms.length >> 1];
  } finally {
    await source.close?.();
  }
}
