/** GDAL helpers for the optimize tests: the validator, gdalinfo, and oracle.py reads. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PY = '/usr/bin/python3';
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
  const child = execFile(PY, [`${here}oracle.py`], { maxBuffer: 1 << 30 });
  child.stdin!.end(body);
  let out = '';
  child.stdout!.on('data', (d: string) => { out += d; });
  await new Promise((resolve, reject) => child.on('close', (c) => (c === 0 ? resolve(c) : reject(new Error(`oracle.py exited ${c}`)))));
  const parsed = JSON.parse(out);
  return parsed.results ?? parsed;
}
