/**
 * Listing objects under a prefix, for batch ingest: a local directory walk, or ListObjectsV2 on an
 * S3-compatible store (S3, OSS, COS). HTTP servers have no listing; their objects are named one by one.
 */
import { parseLocation, storeConfig, type OpenOptions } from './location.ts';
import { sharedS3Client } from './s3.ts';
import { STORE_SCHEMES } from './stores/index.ts';
import { walkFiles, type WalkOptions } from './walk.ts';

/** Hard bound on one listing, so a mistyped prefix at a bucket's root cannot run for hours. */
export const MAX_LISTED = 1_000_000;

/**
 * Every object under `prefix` (a directory path, or scheme://bucket/key-prefix), as full locations
 * in the same scheme, sorted. A local prefix is a directory, walked through symbolic links (walk.ts);
 * a store prefix is a plain key prefix.
 */
export async function listObjects(prefix: string, options: OpenOptions & Pick<WalkOptions, 'onSkip'> = {}): Promise<string[]> {
  // A store prefix may be a bare bucket (an empty key prefix), which parseLocation refuses.
  const bare = new RegExp(`^(${STORE_SCHEMES}):\\/\\/([^/]+)\\/?$`, 'i').exec(prefix);
  const loc = bare
    ? { ...parseLocation(`${bare[1].toLowerCase()}://${bare[2]}/-`), key: '' }
    : parseLocation(prefix.includes('://') ? prefix : prefix || '.');
  if (loc.scheme === 'file') return walkFiles(loc.path as string, { max: MAX_LISTED, onSkip: options.onSkip });
  if (loc.scheme === 'http' || loc.scheme === 'https') {
    throw new Error(`${prefix}: HTTP servers cannot be listed; ingest each URL with --key, or use ${STORE_SCHEMES.split('|').map((k) => `${k}://`).join(' ')}`);
  }
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const client = await sharedS3Client(storeConfig(loc, options, options.env ?? process.env));
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: loc.key, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key && !o.Key.endsWith('/')) out.push(`${loc.scheme}://${loc.bucket}/${o.Key}`);
    if (out.length > MAX_LISTED) throw new Error(`${prefix}: more than ${MAX_LISTED} objects; narrow the prefix`);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out.sort();
}
