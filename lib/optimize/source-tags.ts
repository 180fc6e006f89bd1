/**
 * The input's own tag values that the COG must carry over unchanged. The parsed CogHeader keeps the
 * meaning (CRS, geotransform, metadata) but not the raw values, and copying raw values is how the
 * output stays exactly what gdalinfo read from the input; so the first IFD is read again here.
 */
import type { Source } from '../source/index.ts';
import type { CogHeader } from '../tiff/index.ts';
import { readIfd, type RawIfd } from '../tiff/index.ts';
import { HeaderReader } from '../tiff/index.ts';
import { Tag } from '../tiff/index.ts';
import { FieldType, type TagEntry } from './ifd-writer.ts';

const COLOR_MAP = 320;

const COPIED: [number, TagEntry['type']][] = [
  [Tag.ModelPixelScale, FieldType.DOUBLE],
  [Tag.ModelTiepoint, FieldType.DOUBLE],
  [Tag.ModelTransformation, FieldType.DOUBLE],
  [Tag.GeoKeyDirectory, FieldType.SHORT],
  [Tag.GeoDoubleParams, FieldType.DOUBLE],
  [Tag.GeoAsciiParams, FieldType.ASCII],
  [Tag.GdalMetadata, FieldType.ASCII],
];

export interface SourceTags {
  /** Tags for the output's first IFD, values as the input holds them. */
  copied: TagEntry[];
  /** GDAL_NODATA text exactly as written (so "-9999" stays "-9999", not "-9999.0"). */
  nodata?: string;
}

export async function readSourceTags(source: Source, header: CogHeader): Promise<SourceTags> {
  const r = new HeaderReader(source);
  await r.ensure(0, 16, 'TIFF header');
  r.littleEndian = header.littleEndian;
  const offset = header.levels[0].image.ifdOffset;
  const ifd: RawIfd = await readIfd(r, offset, header.bigTiff, 0);
  const copied: TagEntry[] = [];
  for (const [tag, type] of COPIED) {
    const v = ifd.tags.get(tag);
    if (v === undefined) continue;
    copied.push({ tag, type, values: v instanceof Uint8Array ? Array.from(v) : v });
  }
  const colormap = await readColorMap(r, offset, header.bigTiff);
  if (colormap) copied.push({ tag: COLOR_MAP, type: FieldType.SHORT, values: colormap });
  const nodata = ifd.tags.get(Tag.GdalNodata);
  return { copied, nodata: typeof nodata === 'string' ? nodata : undefined };
}

/** ColorMap (palette images) is not among the parser's tags: find its entry and read its SHORTs. */
async function readColorMap(r: HeaderReader, offset: number, bigTiff: boolean): Promise<number[] | undefined> {
  const entrySize = bigTiff ? 20 : 12;
  await r.ensure(offset, bigTiff ? 8 : 2, 'IFD');
  const n = bigTiff ? r.u64(offset) : r.u16(offset);
  await r.ensure(offset, (bigTiff ? 8 : 2) + n * entrySize, 'IFD entries');
  for (let i = 0; i < n; i++) {
    const e = offset + (bigTiff ? 8 : 2) + i * entrySize;
    if (r.u16(e) !== COLOR_MAP || r.u16(e + 2) !== 3) continue;
    const count = bigTiff ? r.u64(e + 4) : r.u32(e + 4);
    const at = bigTiff ? r.u64(e + 12) : r.u32(e + 8);
    await r.ensure(at, count * 2, 'ColorMap');
    return Array.from({ length: count }, (_, k) => r.u16(at + 2 * k));
  }
  return undefined;
}
