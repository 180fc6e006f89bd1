/**
 * Writes a local file to a location: an S3-compatible PutObject (S3, OSS, COS) or a file copy.
 * The only object write taoguan makes (an optimized COG on the ingest path), kept here so that
 * lib/ingest stays free of any store's API.
 */
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { openSource, parseLocation, storeConfig, type OpenOptions } from './location.ts';
import { sharedS3Client } from './s3.ts';
import { STORE_SCHEMES } from './stores/index.ts';
import type { ObjectInfo } from './source.ts';

export async function writeObject(location: string, file: string, options: OpenOptions = {}): Promise<ObjectInfo> {
  const loc = parseLocation(location);
  if (loc.scheme === 'file') {
    await mkdir(dirname(loc.path as string), { recursive: true });
    await copyFile(file, loc.path as string);
  } else if (loc.bucket) {
    const [{ PutObjectCommand }, client] = await Promise.all([import('@aws-sdk/client-s3'), sharedS3Client(storeConfig(loc, options, options.env ?? process.env))]);
    const { size } = await stat(file);
    await client.send(new PutObjectCommand({ Bucket: loc.bucket, Key: loc.key, Body: createReadStream(file), ContentLength: size, ContentType: 'image/tiff' }));
  } else {
    throw new Error(`${location}: objects are written only to ${STORE_SCHEMES.split('|').map((k) => `${k}://`).join(', ')} or a path`);
  }
  // What the store now holds (its ETag is what the ingest pins its reads to).
  return openSource(location, options).head();
}
