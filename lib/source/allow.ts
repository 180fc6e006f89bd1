/**
 * Which locations a deployment may read: allow-lists of buckets, location prefixes and http(s)
 * hosts, and no http(s) request to an internal address (cloud metadata endpoints, loopback, private
 * networks) unless explicitly allowed. A function holds cloud credentials and sits inside a VPC, so
 * a location that names one of those is a way in (SSRF); the CLI on one machine allows them.
 */
import { checkHostname, LocationRefusedError, type AllowPrivate } from './address.ts';
import { parseLocation } from './location.ts';

export { LocationRefusedError } from './address.ts';

export interface LocationPolicy {
  /** Object-store buckets (s3/oss/cos) that may be read. */
  buckets?: string[];
  /** Location prefixes that may be read, e.g. oss://bucket/cogs/ or https://data.example.com/cogs/. */
  prefixes?: string[];
  /** http(s) hosts that may be read: exact names, or *.example.com for its subdomains. */
  hosts?: string[];
  /** Let http(s) locations reach internal addresses (loopback, private, link-local): true, or these hosts. Default none. */
  allowPrivate?: AllowPrivate;
  /**
   * false: local paths (bare or file:) only under a listed absolute-path prefix such as /mnt/cogs/.
   * The functions set it: their rows and events name object-store locations, and a row naming a
   * file would read the instance's own disk. Default true (the CLI and `serve` read local files).
   */
  localFiles?: boolean;
}

const hostAllowed = (host: string, hosts: string[]) =>
  hosts.some((h) => (h.startsWith('*.') ? host.endsWith(h.slice(1)) && host.length > h.length - 1 : host === h.toLowerCase()));

/**
 * Throws LocationRefusedError unless the policy allows reading `location`. With any allow-list set,
 * a location must be in one of them; with none, any location is allowed (but internal http(s)
 * addresses still are not, unless allowPrivate). "." and ".." path segments are always refused:
 * a store, a proxy or a path may resolve them and so escape a prefix.
 */
export function checkLocation(policy: LocationPolicy, location: string): void {
  const loc = parseLocation(location);
  const path = loc.key ?? loc.path ?? new URL(loc.url as string).pathname;
  const raw = loc.url ? (/^[a-z]+:\/\/[^/?#]*([^?#]*)/i.exec(location)?.[1] ?? '') : path;
  if (raw.split(/[/\\]/).some((s) => s === '.' || s === '..' || /^(?:%2e|\.){1,2}$/i.test(s))) {
    throw new LocationRefusedError(`${location}: "." and ".." path segments are not allowed in locations`);
  }
  if (loc.path !== undefined && policy.localFiles === false && !policy.prefixes?.some((p) => p.startsWith('/') && loc.path!.startsWith(p))) {
    throw new LocationRefusedError(`${location}: a local path; this deployment reads only object-store and http(s) locations, and local files only under an allowed prefix such as /mnt/cogs/`);
  }
  const host = loc.url ? new URL(loc.url).hostname.toLowerCase() : undefined;
  if (host !== undefined) checkHostname(host, policy);
  const { buckets, prefixes, hosts } = policy;
  if (!buckets?.length && !prefixes?.length && !hosts?.length) return;
  // a file: URL is compared as the path it names, so it matches a /path/ prefix as the bare path would
  const normalized = loc.url ? new URL(loc.url).href : (loc.path ?? location);
  if (prefixes?.some((p) => normalized.startsWith(p))) return;
  if (loc.bucket && buckets?.includes(loc.bucket)) return;
  if (host !== undefined && hosts?.length && hostAllowed(host, hosts)) return;
  const lists = [buckets?.length && `buckets ${buckets.join(', ')}`, prefixes?.length && `prefixes ${prefixes.join(', ')}`, hosts?.length && `hosts ${hosts.join(', ')}`].filter(Boolean);
  throw new LocationRefusedError(`${location} is outside the allowed ${lists.join('; ')}`);
}
