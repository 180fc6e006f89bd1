/**
 * A cloud provider, as the functions and the build see it: how its HTTP events reach the API, how
 * its storage trigger's events become object records, and what it hands an instance (memory, role
 * keys). One adapter file per provider exports one of these; adapters/index.ts lists them, and the
 * build makes dist/<id>/tiles and dist/<id>/ingest for each, so adding a cloud is a file and a line.
 */
import type { ObjectRecord } from '../lib/ingest/index.ts';
import type { S3Credentials } from '../lib/source/index.ts';

export interface ApiLike {
  fetch(request: Request): Promise<Response>;
}

// The event, result and context shapes differ per platform; the entry points only pass them through.
/* eslint-disable @typescript-eslint/no-explicit-any */
export interface Provider {
  /** The folder under dist/ and the name the deployment files use: aws, aliyun, tencent. */
  id: string;
  /** The platform's name, for messages and the docs. */
  title: string;
  /** The tiles function's handler over an API: the platform's HTTP event in, its result shape out. */
  httpHandler(api: ApiLike): (event: any, context?: any) => Promise<unknown>;
  /** The storage trigger's event → put / delete records. */
  records(event: any): ObjectRecord[];
  /** The memory the platform gave this instance, in MB, from the invocation context or the environment. */
  memoryMb(context: any, env: Record<string, string | undefined>): number | undefined;
  /** Role keys the platform hands each invocation (FC does, in the context); the others use their SDK chain or env. */
  credentials?(context: any): S3Credentials | undefined;
  /** Files shipped in every zip of this provider besides the bundle: repository path → name in the zip. */
  files?: Record<string, string>;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** A context's number field as MB, when it is one (platforms pass numbers or numeric strings). */
export function megabytes(v: unknown): number | undefined {
  const n = Number(v);
  return v !== undefined && v !== null && v !== '' && Number.isFinite(n) && n >= 64 ? n : undefined;
}
