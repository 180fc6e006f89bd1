/**
 * Key patterns: which object names become which key values. Terracotta's `{key}` placeholders
 * (`data/{sensor}_{date}_{band}.tif`), where a value may contain `_` or `-` as long as the name
 * parses only one way — and a regex with named groups for anything harder.
 */
import { KEY_NAME } from '../catalog/index.ts';
import { InputError } from '../errors/index.ts';

export interface KeyPattern {
  /** Key names in the order the pattern names them. */
  keys: string[];
  /** Where to list objects: the literal part of the pattern up to its last "/" before any placeholder or `*`. */
  prefix: string;
  /** Key values by name, or undefined when the location does not match. Throws when ambiguous. */
  match(location: string): Record<string, string> | undefined;
}

export class PatternError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'PatternError';
  }
}

/** Refuse a pattern whose keys are not the catalog's (the CLI's plan and every object event check this). */
export function checkPatternKeys(pattern: KeyPattern, catalogKeys: string[]): void {
  const missing = catalogKeys.filter((k) => !pattern.keys.includes(k));
  const extra = pattern.keys.filter((k) => !catalogKeys.includes(k));
  if (missing.length || extra.length) {
    throw new PatternError(`the pattern names keys ${pattern.keys.join(', ')} but the catalog has ${catalogKeys.join(', ')}${missing.length ? ` (missing: ${missing.join(', ')})` : ''}${extra.length ? ` (unknown: ${extra.join(', ')})` : ''}`);
  }
}

const escape = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*');

/** `{name}` placeholders; `*` in the literal parts matches anything within one path segment. */
export function compilePattern(pattern: string): KeyPattern {
  const parts = pattern.split(/(\{[^{}]*\})/);
  const keys: string[] = [];
  let lazy = '', greedy = '';
  for (const part of parts) {
    const m = /^\{(.*)\}$/.exec(part);
    if (!m) {
      if (part.includes('{') || part.includes('}')) throw new PatternError(`pattern ${pattern}: unbalanced "{" or "}"`);
      lazy += escape(part);
      greedy += escape(part);
      continue;
    }
    const name = m[1];
    if (!KEY_NAME.test(name)) throw new PatternError(`pattern ${pattern}: "{${name}}" is not a valid key name (letters, digits, _; starting with a letter)`);
    if (keys.includes(name)) throw new PatternError(`pattern ${pattern}: key "${name}" appears twice`);
    keys.push(name);
    lazy += '([^/]+?)';
    greedy += '([^/]+)';
  }
  if (keys.length === 0) throw new PatternError(`pattern ${pattern} names no keys: write them in braces, e.g. data/{sensor}_{date}.tif`);
  refuseTraversal(pattern);
  const star = pattern.indexOf('*');
  const first = star >= 0 ? Math.min(star, pattern.indexOf('{')) : pattern.indexOf('{');
  const prefix = pattern.slice(0, pattern.lastIndexOf('/', first) + 1);
  const lazyRe = new RegExp(`^${lazy}$`), greedyRe = new RegExp(`^${greedy}$`);
  return {
    keys,
    prefix,
    match(location) {
      const a = lazyRe.exec(location);
      if (!a) return undefined;
      const b = greedyRe.exec(location)!;
      // Lazy and greedy matching find the lexicographically first and last parse: equal means unique.
      if (a.slice(1).some((v, i) => v !== b[i + 1])) {
        throw new PatternError(`${location} matches ${pattern} in more than one way (${keys.map((k, i) => `${k}=${a[i + 1]}`).join(', ')} or ${keys.map((k, i) => `${k}=${b[i + 1]}`).join(', ')}); use --regex with named groups`);
      }
      return Object.fromEntries(keys.map((k, i) => [k, a[i + 1]]));
    },
  };
}

/** A regex with named groups, matched in full against the part of each location after `prefix`. */
export function compileRegex(prefix: string, source: string): KeyPattern {
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${source})$`);
  } catch (e) {
    throw new PatternError(`invalid regex ${source}: ${(e as Error).message}`);
  }
  const keys = [...source.matchAll(/\(\?<([A-Za-z][A-Za-z0-9_]*)>/g)].map((m) => m[1]);
  if (keys.length === 0) throw new PatternError(`regex ${source} has no named groups: name each key, e.g. (?<sensor>[^_]+)_(?<date>\\d{8})\\.tif`);
  for (const k of keys) if (!KEY_NAME.test(k)) throw new PatternError(`regex ${source}: "${k}" is not a valid key name`);
  refuseTraversal(prefix);
  return {
    keys,
    prefix,
    match(location) {
      if (!location.startsWith(prefix)) return undefined;
      const m = re.exec(location.slice(prefix.length));
      return m?.groups ? { ...m.groups } : undefined;
    },
  };
}

function refuseTraversal(path: string): void {
  if (path.split(/[/\\]/).includes('..')) throw new PatternError(`${path}: ".." is not allowed in ingest patterns; give an absolute path instead`);
}
