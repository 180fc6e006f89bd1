/**
 * Tile-family paths carry a variable number of key values before what is asked of them:
 * `/singleband/{keys…}/{z}/{x}/{y}[@2x].png` (or .webp, .jpg), `…/preview.png`, `…/tilejson.json`,
 * `…/WMTSCapabilities.xml`. The catalog's key count decides which segments are keys, so a key value
 * that looks like "preview.png" is still a key. Segments are percent-decoded one by one, so an
 * encoded "/" (%2F) stays inside its value — where key validation refuses it with a 400.
 */
import { badRequest, notFound } from './errors.ts';

export type TileFormat = 'png' | 'jpeg' | 'webp';

export type PathTarget =
  | { kind: 'tile'; z: number; x: number; y: number; scale: 1 | 2; format: TileFormat }
  | { kind: 'preview'; format: TileFormat }
  | { kind: 'tilejson' }
  | { kind: 'wmts' };

export interface ParsedPath {
  keys: string[];
  target: PathTarget;
}

const SPECIAL: Record<string, PathTarget> = {
  'preview.png': { kind: 'preview', format: 'png' },
  'preview.jpg': { kind: 'preview', format: 'jpeg' },
  'preview.jpeg': { kind: 'preview', format: 'jpeg' },
  'preview.webp': { kind: 'preview', format: 'webp' },
  'tilejson.json': { kind: 'tilejson' },
  'WMTSCapabilities.xml': { kind: 'wmts' },
};
const TILE_NAME = /^([^@.]*)(@2x)?\.(png|jpe?g|webp)$/;
const INTEGER = /^\d{1,10}$/;

/** Split `rest` (the raw path after `/{family}/`) given how many key values the route takes. */
export function parseFamilyPath(rest: string, keyCount: number, keyNames: string[]): ParsedPath {
  const segments = rest === '' ? [] : rest.split('/');
  const last = segments.at(-1) ?? '';
  const special = SPECIAL[last];
  const tile = TILE_NAME.exec(last);
  if (!special && !tile) throw notFound(`no such route: expected …/{z}/{x}/{y}.png, …/preview.png, …/tilejson.json or …/WMTSCapabilities.xml`);
  const expected = special ? keyCount + 1 : keyCount + 3;
  if (segments.length !== expected) {
    const names = keyNames.length ? ` (${keyNames.join(', ')})` : '';
    const what = special ? last : '{z}/{x}/{y}.png';
    throw badRequest(`keys: expected ${keyCount} key value(s)${names} before ${what}, got ${Math.max(0, segments.length - (expected - keyCount))}`);
  }
  const keys = segments.slice(0, keyCount).map(decodeSegment);
  if (special) return { keys, target: special };
  const [zs, xs] = segments.slice(keyCount, keyCount + 2);
  const [, ys, retina, ext] = tile!;
  const z = integer('z', zs), x = integer('x', xs), y = integer('y', ys);
  return { keys, target: { kind: 'tile', z, x, y, scale: retina ? 2 : 1, format: ext === 'png' || ext === 'webp' ? ext : 'jpeg' } };
}

function integer(name: string, s: string): number {
  if (!INTEGER.test(s)) throw badRequest(`${name}: must be a non-negative integer, got ${JSON.stringify(s.slice(0, 40))}`);
  return Number(s);
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw badRequest(`keys: ${JSON.stringify(s.slice(0, 40))} is not valid percent-encoding`);
  }
}

/** `/metadata/{keys…}` and `/point/{keys…}`: every segment is a key value. */
export function keyPath(rest: string): string[] {
  return rest.split('/').filter((s) => s !== '').map(decodeSegment);
}
