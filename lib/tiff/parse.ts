import type { ByteRangeReader, ObjectVersion, RangeReadOptions } from './bytes.ts';
import { parseGdalMetadata, parseGhostHeader, parseNodata } from './gdal.ts';
import { geotransformOf, parseGeoKeys } from './geokeys.ts';
import { HEADER_VERSION, dtypeOf, type CogHeader, type Level, type SampleFormat, type TiffImage } from './header.ts';
import { num, nums, readIfdChain, str, type RawIfd } from './ifd.ts';
import { HeaderReader, TiffError } from './reader.ts';
import { Tag } from './tags.ts';

export interface ReadHeaderOptions extends RangeReadOptions {
  /** Bytes of the first request; a GDAL COG's whole header fits in 64 KiB up to ~4000 tiles a level. */
  initialLength?: number;
}

export interface ReadHeaderResult {
  header: CogHeader;
  /** Size, ETag and Last-Modified of the object as the header was read. */
  info: ObjectVersion;
  requests: number;
  bytesRead: number;
}

/** The most bytes one decoded block may take: larger blocks are a decompression bomb, not imagery. */
const MAX_BLOCK_BYTES = 256 * 1024 * 1024;
const SUBFILE_REDUCED = 1;
const SUBFILE_MASK = 4;

/** Read and parse a TIFF/BigTIFF header from a source, with as few range requests as it can. */
export async function readHeader(source: ByteRangeReader, options: ReadHeaderOptions = {}): Promise<ReadHeaderResult> {
  const r = new HeaderReader(source, options);
  await r.ensure(0, 16, 'TIFF header');
  const order = r.u8(0) << 8 | r.u8(1);
  if (order === 0x4949) r.littleEndian = true;
  else if (order === 0x4d4d) r.littleEndian = false;
  else throw new TiffError(`not a TIFF file: starts with bytes 0x${order.toString(16).padStart(4, '0')}, not "II" or "MM"`);
  const magic = r.u16(2);
  if (magic !== 42 && magic !== 43) throw new TiffError(`not a TIFF file: version ${magic} is neither 42 (TIFF) nor 43 (BigTIFF)`);
  const bigTiff = magic === 43;
  if (bigTiff && (r.u16(4) !== 8 || r.u16(6) !== 0)) throw new TiffError('BigTIFF header has an unsupported offset size');
  const headerSize = bigTiff ? 16 : 8;
  const ghostBytes = r.bytes(headerSize, Math.min(r.prefixLength - headerSize, 4096));
  const ghost = parseGhostHeader(ghostBytes);

  const raw = await readIfdChain(r, bigTiff ? r.u64(8) : r.u32(4), bigTiff);
  if (raw.length === 0) throw new TiffError('TIFF has no image (first IFD offset is 0)');

  const images = raw.map((ifd, i) => toImage(ifd, i, r.size));
  const levels = groupLevels(images);
  const ifd0 = raw[0];
  const full = levels[0].image;
  const geoDir = nums(ifd0, Tag.GeoKeyDirectory);
  const crs = geoDir ? parseGeoKeys(geoDir, nums(ifd0, Tag.GeoDoubleParams), str(ifd0, Tag.GeoAsciiParams)) : null;
  const geotransform = geotransformOf(
    nums(ifd0, Tag.ModelPixelScale), nums(ifd0, Tag.ModelTiepoint), nums(ifd0, Tag.ModelTransformation), crs?.rasterType ?? 1,
  );
  const { metadata, bands } = parseGdalMetadata(str(ifd0, Tag.GdalMetadata), full.samplesPerPixel);
  const info = r.info as ObjectVersion;

  const header: CogHeader = {
    version: HEADER_VERSION,
    littleEndian: r.littleEndian,
    bigTiff,
    size: info.size,
    headerLength: r.extent,
    ghost,
    levels,
    ifdCount: raw.length,
    geotransform,
    crs,
    nodata: parseNodata(str(ifd0, Tag.GdalNodata)),
    dtype: dtypeOf(full.sampleFormat, full.bitsPerSample),
    bands,
    metadata,
  };
  return { header, info, requests: r.requests, bytesRead: r.bytesRead };
}

function toImage(ifd: RawIfd, index: number, fileSize: number): TiffImage {
  const where = `IFD ${index}`;
  const width = num(ifd, Tag.ImageWidth);
  const height = num(ifd, Tag.ImageLength);
  if (!(width > 0 && height > 0 && width < 2 ** 31 && height < 2 ** 31)) throw new TiffError(`${where}: invalid image size ${width}×${height}`);
  const samplesPerPixel = num(ifd, Tag.SamplesPerPixel, 1);
  if (!(samplesPerPixel >= 1 && samplesPerPixel <= 1024)) throw new TiffError(`${where}: invalid SamplesPerPixel ${samplesPerPixel}`);
  const bps = nums(ifd, Tag.BitsPerSample) ?? [1];
  if (bps.some((b) => b !== bps[0])) throw new TiffError(`${where}: bands with different bit depths (${bps.join(', ')}) are not supported`);
  const bitsPerSample = bps[0];
  if (![1, 8, 16, 32, 64].includes(bitsPerSample)) throw new TiffError(`${where}: ${bitsPerSample} bits per sample is not supported`);
  const formats = nums(ifd, Tag.SampleFormat) ?? [1];
  const sampleFormat = formats[0] as SampleFormat;
  if (![1, 2, 3].includes(sampleFormat)) throw new TiffError(`${where}: SampleFormat ${sampleFormat} is not supported`);
  try {
    dtypeOf(sampleFormat, bitsPerSample);
  } catch (e) {
    throw new TiffError(`${where}: ${(e as Error).message}`);
  }
  const planar = num(ifd, Tag.PlanarConfiguration, 1);
  if (planar !== 1 && planar !== 2) throw new TiffError(`${where}: invalid PlanarConfiguration ${planar}`);

  const tiled = ifd.tags.has(Tag.TileWidth);
  const blockWidth = tiled ? num(ifd, Tag.TileWidth) : width;
  const blockHeight = tiled ? num(ifd, Tag.TileLength) : Math.min(num(ifd, Tag.RowsPerStrip, height), height);
  if (!(blockWidth > 0 && blockHeight > 0)) throw new TiffError(`${where}: invalid block size ${blockWidth}×${blockHeight}`);
  const samplesPerBlock = planar === 1 ? samplesPerPixel : 1;
  if (blockWidth * blockHeight * samplesPerBlock * Math.max(1, bitsPerSample / 8) > MAX_BLOCK_BYTES) {
    throw new TiffError(`${where}: a ${blockWidth}×${blockHeight} block would decode to more than ${MAX_BLOCK_BYTES} bytes`);
  }
  const offsets = nums(ifd, tiled ? Tag.TileOffsets : Tag.StripOffsets);
  const byteCounts = nums(ifd, tiled ? Tag.TileByteCounts : Tag.StripByteCounts);
  if (!offsets || !byteCounts) throw new TiffError(`${where}: missing ${tiled ? 'TileOffsets/TileByteCounts' : 'StripOffsets/StripByteCounts'}`);
  const blocks = Math.ceil(width / blockWidth) * Math.ceil(height / blockHeight) * (planar === 2 ? samplesPerPixel : 1);
  if (offsets.length !== blocks || byteCounts.length !== blocks) {
    throw new TiffError(`${where}: expected ${blocks} block offsets and byte counts, found ${offsets.length} and ${byteCounts.length}`);
  }
  // Refused here rather than failing every tile that needs the block (libtiff fails its read too).
  for (let i = 0; i < blocks; i++) {
    if (byteCounts[i] > 0 && offsets[i] > 0 && offsets[i] + byteCounts[i] > fileSize) {
      throw new TiffError(`${where}: block ${i} (bytes ${offsets[i]}–${offsets[i] + byteCounts[i]}) lies past the end of the file (${fileSize} bytes): truncated?`);
    }
  }
  const compression = num(ifd, Tag.Compression, 1);
  const predictor = num(ifd, Tag.Predictor, 1);
  if (![1, 2, 3].includes(predictor)) throw new TiffError(`${where}: Predictor ${predictor} is not supported`);
  const jpegTables = ifd.tags.get(Tag.JPEGTables);
  const ycbcr = nums(ifd, Tag.YCbCrSubSampling);
  const image: TiffImage = {
    ifdIndex: index,
    ifdOffset: ifd.offset,
    subfileType: num(ifd, Tag.NewSubfileType, 0),
    width,
    height,
    tiled,
    blockWidth,
    blockHeight,
    samplesPerPixel,
    bitsPerSample,
    sampleFormat,
    planarConfiguration: planar,
    photometric: num(ifd, Tag.Photometric, samplesPerPixel >= 3 ? 2 : 1),
    compression,
    predictor,
    extraSamples: nums(ifd, Tag.ExtraSamples) ?? [],
    offsets,
    byteCounts,
  };
  if (jpegTables instanceof Uint8Array) image.jpegTables = jpegTables;
  else if (Array.isArray(jpegTables)) image.jpegTables = Uint8Array.from(jpegTables);
  const lerc = nums(ifd, Tag.LercParameters);
  if (lerc) image.lercParameters = lerc;
  if (ycbcr && ycbcr.length >= 2) image.ycbcrSubsampling = [ycbcr[0], ycbcr[1]];
  return image;
}

/** Full resolution first, then overviews by decreasing size; masks attached to the level they cover. */
function groupLevels(images: TiffImage[]): Level[] {
  const full = images[0];
  if (full.subfileType & SUBFILE_MASK) throw new TiffError('the first IFD is a mask, not an image');
  const overviews = images
    .slice(1)
    .filter((im) => (im.subfileType & SUBFILE_REDUCED) && !(im.subfileType & SUBFILE_MASK))
    .filter((im) => im.samplesPerPixel === full.samplesPerPixel && im.bitsPerSample === full.bitsPerSample)
    .sort((a, b) => b.width - a.width);
  const masks = images.filter((im) => im.subfileType & SUBFILE_MASK);
  return [full, ...overviews].map((image) => {
    const mask = masks.find((m) => m.width === image.width && m.height === image.height);
    return mask ? { image, mask } : { image };
  });
}
