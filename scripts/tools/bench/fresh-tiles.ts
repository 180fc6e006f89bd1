/**
 * Tiles nobody asked for before: what a map user panning sends through a CDN that already answers
 * repeats. Two workloads over the bench COG (UTM 50N, ~115.8–117.1E 39.65–40.65N):
 * - fresh: ≥ 5,000 distinct z10–16 tiles, shuffled with a fixed seed;
 * - viewport: sessions of 4×4-tile viewports that pan and zoom as a person does, each tile asked
 *   once (the CDN answers repeats), so neighbouring tiles share source blocks.
 * Both run against `taoguan serve` with the rendered-tile cache off, over 4 keep-alive connections.
 */

/** Deterministic PRNG (mulberry32): the same tile lists on every run and machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const tileX = (z: number, lon: number) => Math.floor(((lon + 180) / 360) * 2 ** z);
const tileY = (z: number, lat: number) => {
  const r = (lat * Math.PI) / 180;
  return Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * 2 ** z);
};

/** Inside the COG's footprint, away from its edges (an edge tile is mostly empty and cheap). */
const AREA = { west: 115.85, east: 117.05, north: 40.6, south: 39.7 };

function range(z: number) {
  return { x0: tileX(z, AREA.west), x1: tileX(z, AREA.east), y0: tileY(z, AREA.north), y1: tileY(z, AREA.south) };
}

export type Tile = [z: number, x: number, y: number];

/** Per zoom: every tile where there are few, a seeded sample where there are many; then shuffled. */
export function freshTiles(total = 6000, seed = 15): Tile[] {
  const next = rng(seed);
  const want: Record<number, number> = { 10: 40, 11: 150, 12: 500, 13: 1000, 14: 1300, 15: 1500, 16: 1510 };
  const scale = total / Object.values(want).reduce((a, b) => a + b, 0);
  const out: Tile[] = [];
  for (let z = 10; z <= 16; z++) {
    const { x0, x1, y0, y1 } = range(z);
    const all = (x1 - x0 + 1) * (y1 - y0 + 1);
    const n = Math.min(all, Math.round(want[z] * scale));
    const seen = new Set<number>();
    while (seen.size < n) seen.add(Math.floor(next() * all));
    for (const k of seen) out.push([z, x0 + (k % (x1 - x0 + 1)), y0 + Math.floor(k / (x1 - x0 + 1))]);
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Viewport sessions: start at z12–15 somewhere in the area, then 12 moves each — mostly pans of one
 * or two tiles (a new column or row comes in), sometimes a zoom in or out about the centre. Each
 * view asks its 16 tiles; tiles already asked (by any session) are left out, as a CDN answers them.
 */
export function viewportTiles(sessions = 60, seed = 16): Tile[] {
  const next = rng(seed);
  const seen = new Set<string>();
  const out: Tile[] = [];
  for (let s = 0; s < sessions; s++) {
    let z = 12 + Math.floor(next() * 4);
    let { x0, x1, y0, y1 } = range(z);
    let cx = x0 + 2 + Math.floor(next() * Math.max(1, x1 - x0 - 4));
    let cy = y0 + 2 + Math.floor(next() * Math.max(1, y1 - y0 - 4));
    for (let move = 0; move <= 12; move++) {
      for (let dy = -2; dy < 2; dy++) {
        for (let dx = -2; dx < 2; dx++) {
          const key = `${z}/${cx + dx}/${cy + dy}`;
          if (seen.has(key)) continue;
          seen.add(key);
          out.push([z, cx + dx, cy + dy]);
        }
      }
      const r = next();
      if (r < 0.15 && z < 16) { z++; cx *= 2; cy *= 2; } else if (r < 0.25 && z > 11) { z--; cx >>= 1; cy >>= 1; } else {
        cx += Math.round((next() - 0.5) * 4);
        cy += Math.round((next() - 0.5) * 4);
      }
      ({ x0, x1, y0, y1 } = range(z));
      cx = Math.min(x1 - 1, Math.max(x0 + 2, cx));
      cy = Math.min(y1 - 1, Math.max(y0 + 2, cy));
    }
  }
  return out;
}

/**
 * Tiles to warm a server with before a measured list: the same kind of workload from another seed,
 * none of the measured tiles among them. A worker's JIT keeps compiling through its first ~2,500
 * tiles (V8's TurboFan, on its helper threads: ~1 s of CPU after the first 250 tiles in one
 * process), so a list measured from a cold start counts that as tile work a long-running server
 * no longer does.
 */
export function warmupTiles(kind: 'fresh' | 'viewport', count: number, measured: readonly Tile[]): Tile[] {
  const skip = new Set(measured.map((t) => t.join('/')));
  const list = kind === 'fresh' ? freshTiles(count, 1015) : viewportTiles(Math.ceil(count / 60), 1016);
  return list.filter((t) => !skip.has(t.join('/'))).slice(0, count);
}
