import { readFile } from 'node:fs/promises';
import { readWindow } from '../../../lib/raster/index.ts';
import { renderSingleband } from '../../../lib/render/index.ts';
import { openSource } from '../../../lib/source/index.ts';
import { MemorySource } from '../../../lib/source/index.ts';
import { readHeader } from '../../../lib/tiff/index.ts';
import { renderTile, type TileDataset } from '../../../lib/pipeline/index.ts';
import type { TileStyle } from '../../../lib/render/index.ts';
import { planTileWarp as planTile, warpWindow } from '../../../lib/warp/index.ts';
import { WebMercatorQuad } from '../../../lib/grids/index.ts';
import { sentinelCog } from './data.ts';

/** Tiles of the 10980² UTM 50N COG at z12–14 around its centre (116.0E 40.2N). */
function tileList(): { z: number; x: number; y: number }[] {
  const out = [];
  for (const z of [12, 13, 14]) {
    const n = 2 ** z;
    const cx = Math.floor(((116.3 + 180) / 360) * n);
    const lat = (40.2 * Math.PI) / 180;
    const cy = Math.floor(((1 - Math.log(Math.tan(lat) + 1 / Math.cos(lat)) / Math.PI) / 2) * n);
    for (let dx = -1; dx <= 1; dx++) for (let dy = -1; dy <= 1; dy++) out.push({ z, x: cx + dx, y: cy + dy });
  }
  return out;
}

async function perTile(tiles: { z: number; x: number; y: number }[], fn: (t: { z: number; x: number; y: number }) => Promise<unknown>, rounds = 5): Promise<number> {
  for (const t of tiles) await fn(t);
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (const t of tiles) await fn(t);
  return (performance.now() - t0) / (rounds * tiles.length);
}

export async function benchTiles(): Promise<Record<string, unknown>> {
  const path = sentinelCog();
  const file = openSource(path);
  const { header } = await readHeader(file);
  // The whole COG in memory: tiles then cost decode + render, no file I/O.
  const memory = new MemorySource(new Uint8Array(await readFile(path)));
  const tiles = tileList();
  const stretch = [1000, 2500] as const;
  const styles: Record<string, { inputs: number[]; style: TileStyle }> = {
    'singleband viridis': { inputs: [0], style: { kind: 'singleband', stretch, colormap: 'viridis' } },
    'rgb (1 band ×3)': { inputs: [0, 0, 0], style: { kind: 'rgb', ranges: [stretch, stretch, stretch] } },
    'compute (v1-v2)/(v1+v2)': { inputs: [0, 0], style: { kind: 'compute', expression: '(v1 - 0.9 * v2) / (v1 + v2)', stretch: [-0.1, 0.1], colormap: 'RdYlGn' } },
  };
  console.log(`Tiles — ${tiles.length} tiles at z12–14 of the 10980² uint16 UTM COG, 256 px, WebMercatorQuad`);
  const out: Record<string, unknown> = {};
  for (const [name, { inputs, style }] of Object.entries(styles)) {
    let bytes = 0;
    const run = (ds: TileDataset) => async (t: { z: number; x: number; y: number }) => {
      const tile = await renderTile({ ...t, inputs: inputs.map((band) => ({ dataset: ds, band })), style });
      bytes += tile.bytes.length;
    };
    const fromFile = await perTile(tiles, run({ header, source: file }));
    const fromMemory = await perTile(tiles, run({ header, source: memory }));
    const avgBytes = bytes / (tiles.length * 12);
    console.log(`  ${name.padEnd(26)} ${fromFile.toFixed(2)} ms/tile from file, ${fromMemory.toFixed(2)} ms from memory, ~${Math.round(avgBytes)} B`);
    out[name] = { fromFileMs: fromFile, fromMemoryMs: fromMemory, bytes: avgBytes };
  }
  // Render only: the source window already decoded, as a warm decoded-block cache would hand it over.
  const windows = await Promise.all(tiles.map(async (t) => {
    const plan = planTile(header, WebMercatorQuad, t.z, t.x, t.y)!;
    return { t, win: await readWindow(header, memory, plan.window, { level: plan.level, bands: [0] }) };
  }));
  const renderOnly = await perTile(windows.map((w, i) => ({ ...w.t, i })), async (t) => {
    const plan = planTile(header, WebMercatorQuad, t.z, t.x, t.y)!;
    const w = warpWindow(plan, windows[(t as unknown as { i: number }).i].win);
    return renderSingleband({ band: w.bands[0], mask: w.mask, width: 256, height: 256, stretch, colormap: 'viridis' });
  }, 20);
  console.log(`  singleband render only (plan + warp + colormap + PNG, source decoded): ${renderOnly.toFixed(2)} ms/tile`);
  out.renderOnlyMs = renderOnly;
  await file.close?.();
  return out;
}
