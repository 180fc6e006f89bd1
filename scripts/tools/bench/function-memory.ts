/** `npm run bench`: the 128 MB check (the probe is test/support/function-memory.ts, shared with the tests). */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkFunctionMemory, type MemoryResult } from '../../../test/support/function-memory.ts';

/** `npm run bench`: the 128 MB check over the serve bench's tiles of the 10980² COG, ours and bare. */
export async function benchFunctionMemory(): Promise<Record<string, MemoryResult>> {
  const { build, DIST, isBuilt } = await import('../build.ts');
  const { DATA_DIR, sentinelCatalog } = await import('./data.ts');
  const { tilePaths } = await import('./serve.ts');
  if (!isBuilt() || !existsSync(join(DIST, 'aws', 'tiles', 'lambda-wrapper.sh'))) await build();
  const dir = await mkdtemp(join(tmpdir(), 'taoguan-mem-bench-'));
  try {
    const uri = await sentinelCatalog(dir);
    const out: Record<string, MemoryResult> = {};
    for (const bare of [false, true]) {
      const r = await checkFunctionMemory({ bundleDir: join(DIST, 'aws', 'tiles'), catalog: `${uri}?mode=ro`, folder: `${DATA_DIR}/`, paths: tilePaths(), seconds: 15, bare });
      console.log(`  ${bare ? 'as Lambda starts Node' : 'with our settings   '}  peak RSS ${r.peakMb} MB, at the end ${r.endMb} MB, ${r.requests} requests, ${JSON.stringify(r.statuses)}`);
      out[bare ? 'bare' : 'ours'] = r;
    }
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
