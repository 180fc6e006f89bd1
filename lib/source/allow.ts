/**
 * Which locations a deployment may read: allow-lists of buckets, location prefixes and http(s)
 * hosts, and no http(s) request to an internal address (cloud metadata endpoints, loopback, private
 * networks) unless explicitly allowed. A function holds cloud credentials and sits inside a VPC, so
 * a location that names one of those is a way in (SSRF); the CLI on one machine allows them.
 */
import { realpathSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { checkHostname, LocationRefusedError, type AllowPrivate } from './address.ts';
import { FileSource } from './file.ts';
import { openSource, parseLocation, type OpenOptions } from './location.ts';
import type { Source } from './source.ts';

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
  const host = loc.url ? new URL(loc.url).hostname.toLowerCase() : undefined;
  if (host !== undefined) checkHostname(host, policy);
  const { buckets, prefixes, hosts } = policy;
  if (!restricts(policy)) return;
  const normalized = loc.url ? new URL(loc.url).href : location;
  if (prefixes?.some((p) => normalized.startsWith(p))) return;
  if (loc.bucket && buckets?.includes(loc.bucket)) return;
  if (host !== undefined && hosts?.length && hostAllowed(host, hosts)) return;
  throw new LocationRefusedError(`${location} is outside the allowed ${lists(policy)}`);
}

const restricts = ({ buckets, prefixes, hosts }: LocationPolicy) => Boolean(buckets?.length || prefixes?.length || hosts?.length);
const lists = ({ buckets, prefixes, hosts }: LocationPolicy) =>
  [buckets?.length && `buckets ${buckets.join(', ')}`, prefixes?.length && `prefixes ${prefixes.join(', ')}`, hosts?.length && `hosts ${hosts.join(', ')}`].filter(Boolean).join('; ');

/**
 * A local file is allowed by where it really is, every symbolic link followed (`target`, a real path):
 * a link inside an allowed folder pointing outside it is refused. Only `prefixes` admit local files,
 * as real folder paths ending in the separator (allowedPrefixes makes them so); with `localFiles`
 * false, nothing else does, even with no list set.
 */
export function checkFileTarget(policy: LocationPolicy, path: string, target: string): void {
  if (policy.prefixes?.some((p) => target.startsWith(p))) return;
  if (!restricts(policy) && policy.localFiles !== false) return;
  const what = target === resolve(path) ? '' : ` leads to ${target}, which`;
  const where = policy.localFiles === false && !policy.prefixes?.some((p) => p.startsWith(sep)) ? 'locations: this deployment reads local files only under an allowed prefix such as /mnt/cogs/' : lists(policy);
  throw new LocationRefusedError(`${path}${what} is outside the allowed ${where}`);
}

/** openSource behind the policy: a remote location checked by its name, a local file by its target at every open. */
export function openAllowed(location: string, options: OpenOptions = {}, policy?: LocationPolicy): Source {
  if (!policy) return openSource(location, options);
  const loc = parseLocation(location);
  if (loc.scheme !== 'file') {
    checkLocation(policy, location);
    return openSource(location, options);
  }
  const path = loc.path as string;
  return new FileSource(path, { checkTarget: (target) => checkFileTarget(policy, path, target), statMaxAgeMs: options.fileStatMaxAgeMs });
}

/**
 * Allow-list prefixes as a person writes them: s3:// oss:// cos:// http(s):// prefixes ending in "/"
 * (else oss://b/cogs would admit oss://b/cogs-private/…), and local folders, which become their real
 * paths with a trailing separator, so they compare with file targets (a folder given through a link
 * still admits the files in it).
 */
export async function allowedPrefixes(given: string[]): Promise<string[]> {
  return Promise.all(given.map(async (p) => {
    const loc = parseLocation(p);
    if (loc.scheme !== 'file') {
      if (!p.endsWith('/')) throw new Error(`${p}: an allowed prefix must end in "/", e.g. oss://bucket/cogs/`);
      return loc.url ? new URL(p).href : p;
    }
    return localPrefix(p, loc.path as string);
  }));
}

/** A local folder as an allow-list prefix: its real path ending in the separator, so it compares with file targets. */
export function localPrefix(given: string, path: string): string {
  const real = tryRealpath(resolve(path));
  if (!real || !statSync(real).isDirectory()) throw new Error(`${given}: an allowed local prefix must be an existing folder`);
  return real.endsWith(sep) ? real : real + sep;
}

function tryRealpath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}
