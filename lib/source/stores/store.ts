import type { S3Config, S3Credentials } from '../s3.ts';

type Env = Record<string, string | undefined>;

/** An S3-compatible object store reached by a URI scheme (s3://, oss://, cos://). */
export interface ObjectStore {
  scheme: string;
  /** Who runs it, for messages and help. */
  title: string;
  /** Environment variables it reads, for help. */
  env: string;
  /** Throws a message naming the rule when the bucket name cannot be one of this store's. */
  checkBucket?(bucket: string): void;
  /**
   * Client settings from the environment; region and endpoint given by the caller win (storeConfig
   * applies the rest). `where` is the location, for messages.
   */
  config(where: string, env: Env, given: { region?: string; endpoint?: string }): S3Config;
}

export function first(env: Env, ...names: string[]): string | undefined {
  for (const n of names) if (env[n]) return env[n];
  return undefined;
}

export function credentialsFrom(env: Env, id: string, secret: string, token: string): S3Credentials | undefined {
  const accessKeyId = env[id];
  const secretAccessKey = env[secret];
  if (!accessKeyId || !secretAccessKey) return undefined;
  return env[token] ? { accessKeyId, secretAccessKey, sessionToken: env[token] } : { accessKeyId, secretAccessKey };
}
