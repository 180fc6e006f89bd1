/**
 * A non-COG arriving on the ingest path: download it (bounded), convert it with lib/optimize, and
 * write the COG under the configured output prefix, whose own ingest then catalogs it. Objects
 * under the output prefix are never converted (the caller checks), so a COG that fails validation
 * there cannot start a loop of conversions.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { optimize, type OptimizeOptions } from '../optimize/index.ts';
import { openSource, type OpenOptions } from '../source/index.ts';
import type { Source } from '../source/index.ts';
import { writeObject } from '../source/index.ts';
import { IngestError } from './ingest.ts';
import { headObject } from './reconcile.ts';

export interface OptimizeOnIngest {
  /** Where COGs are written, e.g. oss://bucket/cogs/ (ends in "/"). */
  prefix: string;
  /** The largest object converted; larger ones are refused (a function's disk and time are bounded). */
  maxBytes: number;
  /** Working directory (default the OS temp dir; /tmp in a function). */
  tmpdir?: string;
  optimize?: Omit<OptimizeOptions, 'overwrite' | 'onProgress'>;
}

/** The COG's location for an input: the output prefix and the input's file name. */
export function optimizedLocation(location: string, config: OptimizeOnIngest): string {
  return config.prefix + location.slice(location.lastIndexOf('/') + 1);
}

const CHUNK = 8 * 1024 * 1024;

/** Converts `location` and writes the COG; undefined when the input no longer exists. */
export async function optimizeObject(
  location: string, config: OptimizeOnIngest, options: { source?: OpenOptions; open?: (location: string) => Source; signal?: AbortSignal } = {},
): Promise<string | undefined> {
  const output = optimizedLocation(location, config);
  const source = options.open ? options.open(location) : openSource(location, options.source);
  const dir = await mkdtemp(join(config.tmpdir ?? tmpdir(), 'taoguan-optimize-'));
  try {
    const info = await headObject(source, options.signal);
    if (!info) return undefined;
    if (info.size > config.maxBytes) {
      throw new IngestError(location, `${(info.size / 2 ** 20).toFixed(1)} MB is larger than the ${(config.maxBytes / 2 ** 20).toFixed(1)} MB converted on ingest (TAOGUAN_OPTIMIZE_MAX_MB); convert it with \`taoguan optimize\` and upload the COG`, 'too-large');
    }
    // Ranges pinned to the ETag: an input replaced mid-download fails rather than mixing versions.
    const input = join(dir, 'input.tif'), cog = join(dir, 'cog.tif');
    const file = createWriteStream(input);
    try {
      for (let offset = 0; offset < info.size; offset += CHUNK) {
        const { bytes } = await source.read(offset, Math.min(CHUNK, info.size - offset), { etag: info.etag, signal: options.signal });
        if (!file.write(bytes)) await once(file, 'drain');
      }
    } finally {
      await new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())));
    }
    try {
      // Encoded inline by default: a function bundle ships no worker script, and has a core or two.
      await optimize(input, cog, { workers: 0, ...config.optimize });
    } catch (e) {
      throw new IngestError(location, `cannot convert it to a COG: ${(e as Error).message}`, 'not-cog', { cause: e });
    }
    await writeObject(output, cog, options.source);
    return output;
  } finally {
    await source.close?.();
    await rm(dir, { recursive: true, force: true });
  }
}
