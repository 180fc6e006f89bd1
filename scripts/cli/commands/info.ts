import { describeRaster, type RasterDescription } from '../../../lib/ingest/index.ts';
import { openSource } from '../../../lib/source/index.ts';
import { RecordingSource } from '../../../lib/source/index.ts';
import { readHeader } from '../../../lib/tiff/index.ts';

export async function infoCommand(location: string, opts: { json?: boolean; requests?: boolean }): Promise<void> {
  const source = new RecordingSource(openSource(location));
  const { header, info, requests, bytesRead } = await readHeader(source).finally(() => source.close());
  const d = await describeRaster(location, header, info);
  if (opts.json) {
    const out: Record<string, unknown> = { ...d };
    if (opts.requests) out.requests = source.requests;
    console.log(JSON.stringify(out, null, 2));
  } else {
    console.log(formatText(d));
    if (opts.requests) {
      console.log(`\nHeader read in ${requests} request(s), ${bytesRead} bytes:`);
      for (const r of source.requests) console.log(`  bytes ${r.offset}-${r.offset + r.length - 1} (${r.bytes} B, ${r.ms.toFixed(1)} ms)`);
    }
  }
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(Math.abs(n) < 1000 ? 8 : 3).replace(/0+$/, ''));

export function formatText(d: RasterDescription): string {
  const lines = [
    `${d.location}`,
    `  Size:         ${d.width} x ${d.height} px, ${d.bands} band(s) of ${d.dtype}${d.alpha ? ' + alpha' : ''}`,
    `  File:         ${d.size} bytes, ${d.bigTiff ? 'BigTIFF' : 'TIFF'}, ${d.byteOrder}${d.etag ? `, ETag ${d.etag}` : ''}`,
    `  Nodata:       ${d.nodata ?? 'none'}`,
    `  CRS:          ${d.epsg ? `EPSG:${d.epsg}` : 'no EPSG code'}${d.crs && d.crs !== `EPSG:${d.epsg}` ? ` (${d.crs})` : ''}`,
    ...(d.proj4 ? [`  proj4:        ${d.proj4}`] : []),
    `  Geotransform: ${d.geotransform ? d.geotransform.map(fmt).join(', ') : 'none'}`,
    `  Bounds:       ${d.bounds ? d.bounds.map(fmt).join(', ') : 'none'}`,
    `  WGS84 bounds: ${d.wgs84Bounds ? d.wgs84Bounds.map((v) => v.toFixed(6)).join(', ') : 'unknown'}`,
    `  Compression:  ${d.compression}${d.predictor > 1 ? `, predictor ${d.predictor}` : ''}`,
    `  Interleave:   ${d.interleave}, photometric ${d.photometric}`,
    `  Mask:         ${d.mask ? 'internal mask' : d.alpha ? 'alpha band' : d.nodata !== null ? 'from nodata' : 'none'}`,
    `  Levels:`,
    ...d.levels.map((l) => `    ${(l.level === 0 ? 'full' : `ovr ${l.level}`).padEnd(6)} ${`${l.width} x ${l.height}`.padEnd(14)} ${l.tiled ? 'tiles' : 'strips'} ${l.blockWidth} x ${l.blockHeight}${l.mask ? ', mask' : ''}`),
  ];
  for (const b of d.bandInfo) {
    const parts = [b.description && `"${b.description}"`, b.scale !== undefined && `scale ${b.scale}`, b.offset !== undefined && `offset ${b.offset}`].filter(Boolean);
    if (parts.length) lines.push(`  Band ${b.band}:       ${parts.join(', ')}`);
  }
  const meta = Object.entries(d.metadata);
  if (meta.length) lines.push(`  Metadata:     ${meta.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  lines.push(`  COG:          ${d.isCog ? 'yes, a valid Cloud Optimized GeoTIFF' : 'NO'}${d.ghost ? ' (GDAL layout: ' + (d.ghost.LAYOUT ?? '?') + ')' : ''}`);
  for (const e of d.errors) lines.push(`    error:   ${e}`);
  for (const w of d.warnings) lines.push(`    warning: ${w}`);
  return lines.join('\n');
}
