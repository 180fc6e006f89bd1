/** GDAL helpers for the optimize tests: the validator, gdalinfo, oracle.py reads, and our own whole-file read. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readWindow } from '../lib/raster/window.ts';
import { FileSource } from '../lib/source/file.ts';
import { readHeader } from '../lib/tiff/parse.ts';

export const run = promisify(execFile);
/** The system Python, which has osgeo (not the pyenv python3 on PATH). */
export const PY = '/usr/bin/python3';
const VALIDATOR_DIR = '/usr/share/doc/python3-gdal/examples';
const here = new URL('.', import.meta.url).pathname;

/** GDAL's validate_cloud_optimized_geotiff.py over many files in one Python process: errors per file. */
export async function gdalValidate(files: string[]): Promise<Record<string, string[]>> {
  const code = `
import json, sys
sys.path.insert(0, ${JSON.stringify(VALIDATOR_DIR)})
from osgeo import gdal
gdal.UseExceptions()
import validate_cloud_optimized_geotiff as v
out = {}
for f in json.loads(sys.argv[1]):
    try:
        warnings, errors, _ = v.validate(f, full_check=True)
        out[f] = errors
    except Exception as e:
        out[f] = [str(e)]
print(json.dumps(out))`;
  const { stdout } = await run(PY, ['-c', code, JSON.stringify(files)], { maxBuffer: 1 << 24 });
  return JSON.parse(stdout);
}

export async function gdalinfo(file: string): Promise<Record<string, unknown>> {
  const { stdout } = await run('gdalinfo', ['-json', '-checksum', file], { maxBuffer: 1 << 26, env: { ...process.env, GDAL_PAM_ENABLED: 'NO' } });
  return JSON.parse(stdout);
}

export interface OracleResult { width: number; height: number; dtype: string; bands: string[]; mask: string }

/** Windows (whole levels unless x, y say otherwise) read by GDAL (test/oracle.py). */
export async function gdalRead(requests: { file: string; level: number; x?: number; y?: number; width: number; height: number }[]): Promise<OracleResult[]> {
  const body = JSON.stringify({ requests: requests.map((r) => ({ x: 0, y: 0, ...r })) });
  const parsed = JSON.parse(await pyStdin([`${here}oracle.py`], body, 'oracle.py'));
  return parsed.results ?? parsed;
}

/** Python (PY) with `input` on its stdin, for bodies too large for an argument: its stdout. */
export async function pyStdin(args: string[], input: string, name = 'python'): Promise<string> {
  const child = execFile(PY, args, { maxBuffer: 1 << 30 });
  child.stdin!.end(input);
  let out = '';
  child.stdout!.on('data', (d: string) => { out += d; });
  await new Promise((resolve, reject) => child.on('close', (c) => (c === 0 ? resolve(c) : reject(new Error(`${name} exited ${c}`)))));
  return out;
}

/** Every band (and the mask) of a file's full resolution, read by our reader. */
export async function readFull(file: string) {
  const source = new FileSource(file);
  try {
    const { header } = await readHeader(source);
    const im = header.levels[0].image;
    const bands = Array.from({ length: im.samplesPerPixel }, (_, i) => i);
    const win = await readWindow(header, source, { x: 0, y: 0, width: im.width, height: im.height }, { bands });
    return { header, win };
  } finally {
    await source.close();
  }
}
