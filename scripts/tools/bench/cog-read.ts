import { openSource } from '../../../lib/source/index.ts';
import { readRanges } from '../../../lib/source/index.ts';
import { RecordingSource } from '../../../lib/source/index.ts';
import { assembleWindow, planWindow, readWindow, type BlockRef } from '../../../lib/raster/index.ts';
import { readHeader } from '../../../lib/tiff/index.ts';
import { sentinelCog } from './data.ts';

function timeIt(runs: number, fn: () => Promise<unknown>): Promise<number> {
  return (async () => {
    await fn();
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) await fn();
    return (performance.now() - t0) / runs;
  })();
}

/** Header cost and window read/decode times per level, for the 10980² uint16 deflate COG. */
export async function benchCogRead(): Promise<Record<string, unknown>> {
  const path = sentinelCog();
  const source = new RecordingSource(openSource(path));
  const { header, requests, bytesRead } = await readHeader(source);
  console.log(`COG read — ${path}`);
  console.log(`  header: ${requests} request(s), ${bytesRead} bytes fetched, header extent ${header.headerLength} bytes, ${header.levels.length} levels`);
  const levels: Record<string, unknown>[] = [];
  for (let level = 0; level < header.levels.length; level++) {
    const im = header.levels[level].image;
    const w = Math.min(256, im.width), h = Math.min(256, im.height);
    // An unaligned window (straddles blocks), as tile reads usually are.
    const win = { x: Math.max(0, Math.floor(im.width / 2) - 100), y: Math.max(0, Math.floor(im.height / 2) - 100), width: w, height: h };
    const runs = 40;
    const readMs = await timeIt(runs, () => readWindow(header, source, win, { level }));
    const plan = planWindow(header, level, win);
    const buffers = await readRanges(source, plan.blocks.map((b) => ({ offset: b.offset, length: b.byteCount })));
    const fetched = new Map<BlockRef, Uint8Array>(plan.blocks.map((b, i) => [b, buffers[i]]));
    const decodeMs = await timeIt(runs, () => assembleWindow(header, plan, fetched));
    console.log(`  level ${level} (${im.width}×${im.height}): window ${w}×${h} over ${plan.blocks.length} block(s): read+decode ${readMs.toFixed(2)} ms, decode only ${decodeMs.toFixed(2)} ms`);
    levels.push({ level, width: im.width, height: im.height, blocks: plan.blocks.length, readMs, decodeMs });
  }
  await source.close();
  return { headerRequests: requests, headerBytes: bytesRead, levels };
}
