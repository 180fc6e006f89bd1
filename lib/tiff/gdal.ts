import type { BandInfo } from './header.ts';

const GHOST_PREFIX = 'GDAL_STRUCTURAL_METADATA_SIZE=';

/**
 * GDAL's COG "ghost header": ASCII key=value lines right after the TIFF header, e.g.
 * `GDAL_STRUCTURAL_METADATA_SIZE=000140 bytes\nLAYOUT=IFDS_BEFORE_DATA\nBLOCK_ORDER=ROW_MAJOR…`.
 * Returns null when absent. `bytes` starts at the ghost header's position (8, or 16 for BigTIFF).
 */
export function parseGhostHeader(bytes: Uint8Array): Record<string, string> | null {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, GHOST_PREFIX.length + 16));
  if (!head.startsWith(GHOST_PREFIX)) return null;
  const m = /^GDAL_STRUCTURAL_METADATA_SIZE=(\d+) bytes\n/.exec(head);
  if (!m) return null;
  const size = Number(m[1]);
  const body = new TextDecoder('latin1').decode(bytes.subarray(m[0].length, m[0].length + size));
  const out: Record<string, string> = { GDAL_STRUCTURAL_METADATA_SIZE: String(size) };
  for (const line of body.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

/** GDAL_NODATA is ASCII: "-9999", "nan", "inf". */
export function parseNodata(text: string | undefined): number | null {
  if (text === undefined) return null;
  const t = text.trim().toLowerCase();
  if (t === '') return null;
  if (t === 'nan' || t === '-nan') return NaN;
  if (t === 'inf' || t === '+inf') return Infinity;
  if (t === '-inf') return -Infinity;
  const v = Number(t);
  return Number.isNaN(v) ? null : v;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function unescapeXml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return ENTITIES[e.toLowerCase()];
  });
}

/**
 * The GDAL_METADATA tag: `<GDALMetadata><Item name="…" sample="0" role="scale">…</Item></GDALMetadata>`.
 * Items without `sample` are dataset metadata; with it, band metadata (roles scale, offset,
 * description are lifted into BandInfo fields, as gdalinfo shows them).
 */
export function parseGdalMetadata(xml: string | undefined, bandCount: number): { metadata: Record<string, string>; bands: BandInfo[] } {
  const metadata: Record<string, string> = {};
  const bands: BandInfo[] = Array.from({ length: bandCount }, () => ({}));
  if (!xml) return { metadata, bands };
  const item = /<Item\b([^>]*)>([\s\S]*?)<\/Item>|<Item\b([^>]*)\/>/g;
  for (let m = item.exec(xml); m; m = item.exec(xml)) {
    const attrs = parseAttrs(m[1] ?? m[3] ?? '');
    const value = unescapeXml(m[2] ?? '');
    const name = attrs.name;
    if (!name) continue;
    const sample = attrs.sample === undefined ? undefined : Number(attrs.sample);
    if (sample === undefined || !Number.isInteger(sample)) {
      if (!attrs.domain) metadata[name] = value;
      continue;
    }
    const band = bands[sample];
    if (!band) continue;
    if (attrs.role === 'scale') band.scale = Number(value);
    else if (attrs.role === 'offset') band.offset = Number(value);
    else if (attrs.role === 'description') band.description = value;
    else if (!attrs.domain) (band.metadata ??= {})[name] = value;
  }
  return { metadata, bands };
}

function parseAttrs(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /(\w+)\s*=\s*"([^"]*)"/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out[m[1]] = unescapeXml(m[2]);
  return out;
}
