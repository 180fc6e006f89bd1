import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export { MemorySource } from '../lib/source/memory.ts';

export interface Fixture {
  file: string;
  dtype: string;
  bands: number;
  width: number;
  height: number;
  compression: string;
  predictor: number;
  interleave: 'pixel' | 'band';
  tiled: boolean;
  overviews: number;
  mask: boolean;
  nodata: number | 'nan' | null;
  epsg: number | null;
  bigtiff: boolean;
  bigEndian: boolean;
  cog: boolean;
  lossy: boolean;
}

const here = new URL('.', import.meta.url).pathname;
export const fixtures: Fixture[] = JSON.parse(readFileSync(`${here}fixtures.json`, 'utf8'));
export const fixturePath = (file: string): string => `${here}fixtures/${file}`;

/** `taoguan serve ARGS` (in `cwd`), resolved once it announces its URL; its stdout and stderr kept in `out`. */
export function startServe(args: string[], cwd?: string): Promise<{ child: ChildProcess; url: string; out: string[] }> {
  const bin = new URL('../bin/taoguan.mjs', import.meta.url).pathname;
  const child = spawn(process.execPath, [bin, 'serve', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out.push(d.toString());
      const m = /at (http:\/\/[^\s/]+)\//.exec(d.toString());
      if (m) resolve({ child, url: m[1], out });
    });
    child.stderr!.on('data', (d: Buffer) => out.push(d.toString()));
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out.join('')}`)));
  });
}
