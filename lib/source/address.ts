/**
 * Internal addresses: what an http(s) location must not reach from a function (cloud metadata
 * endpoints, loopback, private networks), by name before any lookup and by address after it.
 */
import { isIP } from 'node:net';
import { SourceError } from './source.ts';

/** A location outside the allow-lists, or an internal address. Not retryable: nothing was read. */
export class LocationRefusedError extends SourceError {
  constructor(message: string) {
    super(message, 403, false);
    this.name = 'LocationRefusedError';
  }
}

/** Host names that are (or resolve to) metadata services or this machine, refused before any lookup. */
const INTERNAL_NAMES = /^(?:localhost|.*\.localhost|metadata|metadata\.google\.internal|metadata\.tencentyun\.com|instance-data(?:\.ec2\.internal)?)\.?$/i;

const v4 = (a: string): number => a.split('.').reduce((n, p) => n * 256 + Number(p), 0);

/** Not publicly routable IPv4: "this" network, RFC1918, CGNAT (Aliyun's metadata 100.100.100.200), loopback, link-local (169.254.169.254), test nets, multicast, reserved. */
const V4_BLOCKED = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24', '192.0.2.0/24',
  '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
].map((cidr) => {
  const [ip, bits] = cidr.split('/');
  return { base: v4(ip), size: 2 ** (32 - Number(bits)) };
});

function v4Private(address: string): boolean {
  const n = v4(address);
  return V4_BLOCKED.some(({ base, size }) => n >= base && n < base + size);
}

/** An IPv6 address as 8 sixteen-bit groups (an embedded dotted IPv4 tail becomes two groups). */
function v6Groups(address: string): number[] {
  let a = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (tail) {
    const n = v4(tail[1]);
    a = `${a.slice(0, -tail[1].length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, rest] = a.split('::');
  const h = head ? head.split(':') : [], r = rest ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array(8 - h.length - r.length).fill('0'), ...r];
  return groups.map((g) => parseInt(g, 16));
}

function v6Private(address: string): boolean {
  const g = v6Groups(address);
  const embedded = () => `${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`;
  // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d: all of the first 96 bits zero.
  if (g.slice(0, 6).every((x) => x === 0)) return true;
  // IPv4-mapped ::ffff:a.b.c.d and NAT64 64:ff9b::a.b.c.d reach the IPv4 address they embed.
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return v4Private(embedded());
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return v4Private(embedded());
  // 6to4 2002:AABB:CCDD:: embeds an IPv4 address in groups 1-2.
  if (g[0] === 0x2002) return v4Private(`${g[1] >> 8}.${g[1] & 255}.${g[2] >> 8}.${g[2] & 255}`);
  return (
    (g[0] & 0xfe00) === 0xfc00 || // unique local fc00::/7 (AWS's fd00:ec2::254 metadata)
    (g[0] & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (g[0] & 0xffc0) === 0xfec0 || // site-local fec0::/10
    (g[0] & 0xff00) === 0xff00 || // multicast
    (g[0] === 0x2001 && g[1] === 0x0db8) || // documentation
    (g[0] === 0x0100 && g.slice(1, 4).every((x) => x === 0)) // discard 100::/64
  );
}

/** True for an address that is not publicly routable (so, inside the function's network or machine). */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare.replace(/%.*$/, ''));
  if (family === 4) return v4Private(bare);
  if (family === 6) return v6Private(bare);
  return false;
}

/** true: any host may be internal; a list: these hosts may (an intranet store); default none. */
export type AllowPrivate = boolean | string[];

export const privateAllowed = (hostname: string, allow: AllowPrivate | undefined): boolean =>
  allow === true || (Array.isArray(allow) && allow.includes(hostname.toLowerCase()));

/** Refuses a host name that is an internal address or a metadata/loopback name (before any DNS). */
export function checkHostname(hostname: string, policy: { allowPrivate?: AllowPrivate } = {}): void {
  if (privateAllowed(hostname, policy.allowPrivate)) return;
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (INTERNAL_NAMES.test(bare) || isPrivateAddress(bare)) {
    throw new LocationRefusedError(`${hostname} is an internal address (loopback, private, link-local or a metadata service); refused (TAOGUAN_ALLOW_PRIVATE_HOSTS=1 allows it)`);
  }
}

