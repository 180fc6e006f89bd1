import { soak, type SoakResult } from '../../../test/support/soak.ts';

/** `npm run bench`: TAOGUAN_SOAK_SECONDS (default 180) over the 10980² COG, caches 2/8 MiB. */
export async function benchSoak(): Promise<SoakResult> {
  const { withSentinelCatalog } = await import('./data.ts');
  const { tilePaths } = await import('./serve.ts');
  return withSentinelCatalog('taoguan-soak-bench-', async (catalog) => {
    const all = tilePaths();
    const cold = all.flatMap((p) => ['magma', 'terrain'].map((cm) => p.replace('colormap=viridis', `colormap=${cm}`)));
    const r = await soak({ catalog, hot: all.slice(0, 20), cold, seconds: Number(process.env.TAOGUAN_SOAK_SECONDS ?? 180), caches: '2/8', samples: 6 });
    const first = r.samples[0], last = r.samples[r.samples.length - 1];
    console.log(`  ${r.requests} requests, ${r.errors} errors, ${r.non2xx} non-2xx, p50 ${r.p50} ms, p99 ${r.p99} ms; after warm-up RSS ${first.rssMb.toFixed(0)} → ${last.rssMb.toFixed(0)} MB, live heap ${first.heapUsedMb.toFixed(1)} → ${last.heapUsedMb.toFixed(1)} MB`);
    return r;
  });
}
