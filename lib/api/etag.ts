/**
 * Strong ETags and conditional requests. A tile's ETag is derived from its inputs — the datasets'
 * object identities (location, ETag, size) and the normalised request — so it is known before any
 * object is read, a `304` costs no object I/O, and the same value keys the rendered-tile cache.
 * JSON and XML answers hash their body instead (they are cheap to build, and the hash is exact).
 */
import { createHash } from 'node:crypto';
import type { DatasetRecord } from '../catalog/index.ts';

/**
 * Bumped when rendering changes what a request draws, so CDNs and browsers drop tiles drawn by an
 * older server instead of keeping them under an unchanged ETag.
 */
export const RENDER_VERSION = 'taoguan-1';

const quote = (hash: string): string => `"${hash}"`;

export const Etag = {
  /** The path and the query sorted by name then value: equal requests written differently share one ETag. */
  normalise(path: string, query: URLSearchParams): string {
    const pairs = [...query].sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
    return pairs.length ? `${path}?${new URLSearchParams(pairs).toString()}` : path;
  },

  /** The ETag of a rendered answer: the datasets it reads and the normalised request. */
  forRender(records: readonly DatasetRecord[], normalisedRequest: string): string {
    const h = createHash('sha256').update(RENDER_VERSION);
    for (const r of records) h.update(`\u0000${r.location}\u0000${r.etag ?? ''}\u0000${r.size}\u0000${r.lastModified ?? ''}`);
    return quote(h.update(`\u0000${normalisedRequest}`).digest('base64url').slice(0, 32));
  },

  /** The ETag of a body already built. */
  forBody(body: string | Uint8Array): string {
    return quote(createHash('sha256').update(body).digest('base64url').slice(0, 32));
  },

  /**
   * Whether If-None-Match names this ETag (RFC 9110 §13.1.2: weak comparison, `*` matches anything).
   * A `W/` prefix is ignored, as the weak comparison says.
   */
  matches(ifNoneMatch: string | null | undefined, etag: string): boolean {
    if (!ifNoneMatch) return false;
    if (ifNoneMatch.trim() === '*') return true;
    const bare = etag.replace(/^W\//, '');
    return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
  },
};
