import { probeServe, type ServeProbeOptions } from '../../../test/support/pipelining.ts';

/** `npm run bench`: 4 connections × 300 pipelined 1024 px tiles of the 10980² COG, read and never read. */
export async function benchPipelining(seconds = 20): Promise<Record<string, unknown>> {
  const { withSentinelCatalog } = await import('./data.ts');
  const { tilePaths } = await import('./serve.ts');
  const tiles = tilePaths().map((p) => p.replace(/\?.*$/, ''));
  return withSentinelCatalog('taoguan-pipelining-bench-', async (catalog) => {
    const options: ServeProbeOptions = {
      catalog, connections: 4, seconds, ceilingMb: 2048,
      paths: (i) => Array.from({ length: 300 }, (_, k) => `${tiles[k % tiles.length]}?tile_size=[1024,1024]&stretch_range=[1000,${2500 + i * 10 + Math.floor(k / tiles.length)}]`),
    };
    const out: Record<string, unknown> = {};
    for (const read of [true, false]) {
      const r = await probeServe(options, read);
      const line = { idleRssMb: r.idleRssMb, peakRssMb: r.probe.peakRssMb, killedAtCeiling: r.probe.ceilingHit, answers: r.probe.answers, statuses: r.probe.statuses, healthz: r.alive };
      console.log(`  ${read ? 'answers read ' : 'never read   '} worker RSS ${line.idleRssMb} → peak ${line.peakRssMb} MiB${line.killedAtCeiling ? ' (killed at the 2 GiB ceiling)' : ''}, ${line.answers} answers ${JSON.stringify(line.statuses)}, /healthz ${line.healthz ? '200' : 'no answer'}`);
      out[read ? 'read' : 'neverRead'] = line;
    }
    return out;
  });
}
