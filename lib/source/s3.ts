/**
 * An S3-compatible object (AWS S3, Aliyun OSS, Tencent COS, MinIO …) through @aws-sdk/client-s3.
 * The SDK is imported on first use, so tiles served from files or plain HTTP never load it.
 */
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { checkEtag, checkLength, checkRange, ifMatch, networkError, pastEnd, sizeFromContentRange } from './check.ts';
import { ObjectChangedError, ObjectMissingError, SourceError } from './source.ts';
import type { ObjectInfo, RangeResult, ReadOptions, Source } from './source.ts';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3Config {
  /** e.g. `https://oss-cn-hangzhou.aliyuncs.com`; unset means AWS S3 itself. */
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  /** Unset means the SDK's default chain (environment, shared files, instance or task role). */
  credentials?: S3Credentials;
  /** Let AWS S3 redirect to the bucket's region when the configured one is wrong. */
  followRegionRedirects?: boolean;
}

type Sdk = typeof S3Sdk;
let sdk: Promise<Sdk> | undefined;
const loadSdk = (): Promise<Sdk> => (sdk ??= import('@aws-sdk/client-s3'));

const clients = new Map<string, Promise<S3Client>>();

/**
 * One client per configuration, shared: a client owns a connection pool, and a tile server opens
 * a source per dataset. Bounded because rotating role credentials make new configurations.
 */
export function sharedS3Client(config: S3Config): Promise<S3Client> {
  const c = config.credentials;
  const key = JSON.stringify([config.endpoint, config.region, config.forcePathStyle, config.followRegionRedirects, c?.accessKeyId, c?.secretAccessKey, c?.sessionToken]);
  let client = clients.get(key);
  if (!client) {
    if (clients.size >= 16) clients.clear();
    client = loadSdk().then(
      ({ S3Client }) =>
        new S3Client({
          // Unset fields must be absent, not undefined, for the SDK's defaults (credential chain) to apply.
          ...Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)),
          region: config.region ?? 'us-east-1',
          // Our retry wrapper owns retries and timeouts; the SDK's own would multiply them.
          maxAttempts: 1,
          // S3-compatible stores (OSS, COS) reject or mishandle the newer default checksum headers.
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }),
    );
    clients.set(key, client);
  }
  return client;
}

/** Destroys the shared clients' connection pools (a CLI's or a test's exit). */
export async function closeS3Clients(): Promise<void> {
  const all = [...clients.values()];
  clients.clear();
  for (const c of await Promise.allSettled(all)) if (c.status === 'fulfilled') c.value.destroy();
}

export interface S3SourceOptions extends S3Config {
  /** How errors and logs name the object; default `s3://bucket/key`. */
  location?: string;
  /** A client to use instead of the shared one for this configuration. */
  client?: S3Client;
}

interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const MISSING = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket']);

export class S3Source implements Source {
  readonly location: string;
  private readonly config: S3Config;
  private clientPromise?: Promise<S3Client>;

  constructor(readonly bucket: string, readonly key: string, options: S3SourceOptions = {}) {
    this.location = options.location ?? `s3://${bucket}/${key}`;
    const { location: _location, client, ...config } = options;
    this.config = config;
    if (client) this.clientPromise = Promise.resolve(client);
  }

  private get client(): Promise<S3Client> {
    return (this.clientPromise ??= sharedS3Client(this.config));
  }

  async read(offset: number, length: number, options: ReadOptions = {}): Promise<RangeResult> {
    checkRange(this.location, offset, length);
    return this.guard(options, offset, async () => {
      const [{ GetObjectCommand }, client] = await Promise.all([loadSdk(), this.client]);
      const command = new GetObjectCommand({ Bucket: this.bucket, Key: this.key, Range: `bytes=${offset}-${offset + length - 1}`, IfMatch: ifMatch(options.etag) });
      const out = await client.send(command, { abortSignal: options.signal });
      try {
        // Also checked here: not every S3-compatible store honours If-Match.
        checkEtag(this.location, options.etag, out.ETag);
      } catch (err) {
        (out.Body as { destroy?: () => void } | undefined)?.destroy?.();
        throw err;
      }
      const bytes = (await out.Body?.transformToByteArray()) ?? new Uint8Array(0);
      const info = infoOf(out, 0);
      if (out.$metadata.httpStatusCode === 206 || out.ContentRange) {
        info.size = sizeFromContentRange(this.location, offset, length, out.ContentRange);
        checkLength(this.location, bytes.length, Math.min(offset + length, info.size) - offset);
        return { bytes, info };
      }
      // No Content-Range: the store sent the whole object.
      if (out.ContentLength !== undefined) checkLength(this.location, bytes.length, out.ContentLength);
      info.size = bytes.length;
      if (offset >= bytes.length) throw pastEnd(this.location, offset, bytes.length);
      return { bytes: bytes.subarray(offset, offset + length), info };
    });
  }

  async head(options: ReadOptions = {}): Promise<ObjectInfo> {
    return this.guard(options, 0, async () => {
      const [{ HeadObjectCommand }, client] = await Promise.all([loadSdk(), this.client]);
      const out = await client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key, IfMatch: ifMatch(options.etag) }), { abortSignal: options.signal });
      checkEtag(this.location, options.etag, out.ETag);
      return infoOf(out, out.ContentLength ?? 0);
    });
  }

  /** Maps the SDK's errors onto the Source error contract; the caller's abort stays an abort. */
  private async guard<T>(options: ReadOptions, offset: number, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (err instanceof SourceError || err instanceof ObjectChangedError) throw err;
      const e = err as SdkError;
      const status = e.$metadata?.httpStatusCode;
      if (status === 412 || e.name === 'PreconditionFailed') throw new ObjectChangedError(this.location, options.etag ?? '(none sent)', 'another (412 Precondition Failed)');
      if (status === 404 || (e.name && MISSING.has(e.name))) throw new ObjectMissingError(this.location, `no such object (${e.name})`);
      if (status === 416 || e.name === 'InvalidRange') throw pastEnd(this.location, offset);
      if (status === undefined) throw networkError(this.location, err);
      const retryable = status >= 500 || status === 429 || status === 408 || e.name === 'RequestTimeout';
      throw new SourceError(`${this.location}: ${e.name ?? 'error'}: ${e.message ?? ''} (HTTP ${status})`, status, retryable);
    }
  }
}

function infoOf(out: { ETag?: string; LastModified?: Date }, size: number): ObjectInfo {
  const info: ObjectInfo = { size };
  if (out.ETag) info.etag = out.ETag;
  if (out.LastModified) info.lastModified = out.LastModified.toISOString();
  return info;
}

