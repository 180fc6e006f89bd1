/** A local S3-compatible server (s3rver) for the ingest tests, and events shaped like the providers' samples. */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from '../adapters/aws-lambda.ts';
import { fixturePath } from './helpers.ts';

interface S3rverServer {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
const S3rver = createRequire(import.meta.url)('s3rver') as new (options: Record<string, unknown>) => S3rverServer;

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export class LocalS3 {
  dir = '';
  endpoint = '';
  client!: S3Client;
  #server?: S3rverServer;

  async start(buckets: string[]): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'taoguan-s3rver-'));
    this.#server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: this.dir, configureBuckets: buckets.map((name) => ({ name })) });
    const { port } = await this.#server.run();
    this.endpoint = `http://127.0.0.1:${port}`;
    this.client = new S3Client({ endpoint: this.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED' });
  }

  /** Options for openSource / OpenOptions that reach this server. */
  get options() {
    return { endpoint: this.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS, retry: false as const };
  }

  async put(bucket: string, key: string, fixture: string): Promise<string> {
    const out = await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(fixturePath(fixture)) }));
    return out.ETag ?? '';
  }

  async delete(bucket: string, key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }

  async stop(): Promise<void> {
    this.client?.destroy();
    await this.#server?.close();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

type Json = Record<string, Record<string, Record<string, unknown>>>;
const awsSample = JSON.parse(readFileSync(new URL('events/aws/s3-event-with-decoded.json', import.meta.url), 'utf8')) as { Records: Json[] };

/** The AWS sample notification, re-aimed: one record per [eventName, bucket, key] (keys form-encoded as S3 sends them). */
export function s3Event(...records: [string, string, string][]): S3Event {
  const template = awsSample.Records[0];
  return {
    Records: records.map(([eventName, bucket, key]) => ({
      ...template, eventName,
      s3: { ...template.s3, bucket: { ...template.s3.bucket, name: bucket }, object: { ...template.s3.object, key: encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/') } },
    })),
  } as S3Event;
}
