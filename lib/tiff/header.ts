/**
 * CogHeader: everything a reader needs to cut pixels out of a (Cloud Optimized) GeoTIFF, as a plain
 * value. It is parsed once (at ingest), stored in the catalog, and used by tile requests with no I/O.
 * Bump HEADER_VERSION whenever a field changes meaning; `deserializeHeader` refuses other versions.
 */
export const HEADER_VERSION = 1;

/** TIFF Compression tag values we know by name. */
export const Compression = {
  None: 1,
  LZW: 5,
  OldJPEG: 6,
  JPEG: 7,
  Deflate: 8,
  PackBits: 32773,
  AdobeDeflate: 32946,
  LERC: 34887,
  ZSTD: 50000,
  WebP: 50001,
} as const;

/** TIFF SampleFormat: 1 unsigned int, 2 signed int, 3 IEEE float. */
export type SampleFormat = 1 | 2 | 3;

export type DType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';

/** One image file directory: the full-resolution image, an overview, or a mask of either. */
export interface TiffImage {
  /** Position in the IFD chain (0 = first IFD). */
  ifdIndex: number;
  /** File offset of the IFD itself (COG validation checks these lie before the data). */
  ifdOffset: number;
  /** NewSubfileType bits: 1 = reduced resolution (overview), 4 = transparency mask. */
  subfileType: number;
  width: number;
  height: number;
  /** True when the image is tiled; striped images use width × rowsPerStrip blocks. */
  tiled: boolean;
  blockWidth: number;
  blockHeight: number;
  samplesPerPixel: number;
  bitsPerSample: number;
  sampleFormat: SampleFormat;
  /** 1 = chunky (pixel interleaved), 2 = planar (band interleaved: one block set per band). */
  planarConfiguration: 1 | 2;
  photometric: number;
  compression: number;
  predictor: number;
  /** ExtraSamples values (2 = unassociated alpha), one per sample beyond the colour samples. */
  extraSamples: number[];
  /** Block offsets and byte counts, row-major; planar images hold band 0's blocks first. */
  offsets: number[];
  byteCounts: number[];
  /** JPEGTables (abbreviated JPEG streams share these quantisation and Huffman tables). */
  jpegTables?: Uint8Array;
  /** LercParameters tag: [version, additional compression (0 none, 1 deflate, 2 zstd)]. */
  lercParameters?: number[];
  /** YCbCrSubSampling, when photometric is YCbCr. */
  ycbcrSubsampling?: [number, number];
}

/** A resolution level: full resolution first, overviews after in decreasing size. */
export interface Level {
  image: TiffImage;
  /** GDAL's internal transparency mask for this level, when the file has one. */
  mask?: TiffImage;
}

export interface CrsInfo {
  /** EPSG code when the GeoKeys name one (projected or geographic). */
  epsg?: number;
  /** 'projected' | 'geographic' | 'geocentric' | 'unknown' from GTModelTypeGeoKey. */
  modelType: 'projected' | 'geographic' | 'geocentric' | 'unknown';
  /** PixelIsArea (1) or PixelIsPoint (2). */
  rasterType: number;
  /** Citation strings, useful to a human reading `info`. */
  citation?: string;
  /** Every GeoKey as parsed: numeric, double or ASCII values, keyed by GeoKey id. */
  geoKeys: Record<number, number | number[] | string>;
  /**
   * The proj4 definition resolved at ingest (EPSG database or GeoKeys, lib/crs resolveCrs) and stored
   * with the header, so tiles need no EPSG database. Absent when read from a file and in rows stored
   * before it existed: then the CRS is resolved by rule (lib/crs proj4ForCrs).
   */
  proj4?: string;
}

export interface BandInfo {
  description?: string;
  scale?: number;
  offset?: number;
  /** Band-level GDAL metadata items. */
  metadata?: Record<string, string>;
}

export interface CogHeader {
  version: typeof HEADER_VERSION;
  littleEndian: boolean;
  bigTiff: boolean;
  /** Object size in bytes when the header was read (the catalog also keeps the ETag). */
  size: number;
  /** Bytes from the start of the file that hold every IFD and the arrays they point to. */
  headerLength: number;
  /** GDAL's COG ghost header (GDAL_STRUCTURAL_METADATA) key/values, or null when absent. */
  ghost: Record<string, string> | null;
  /** Levels, full resolution first. */
  levels: Level[];
  /** Every IFD in file order, for validation and `info`; levels[] reference the same values. */
  ifdCount: number;
  /** GDAL-style affine transform [originX, pixelW, rotX, originY, rotY, pixelH], or null. */
  geotransform: [number, number, number, number, number, number] | null;
  crs: CrsInfo | null;
  /** GDAL_NODATA as a number (NaN allowed), or null. */
  nodata: number | null;
  dtype: DType;
  bands: BandInfo[];
  /** Dataset-level GDAL metadata items (GDAL_METADATA tag). */
  metadata: Record<string, string>;
}

export function dtypeOf(sampleFormat: number, bitsPerSample: number): DType {
  const key = `${sampleFormat}:${bitsPerSample}`;
  const map: Record<string, DType> = {
    '1:8': 'uint8', '2:8': 'int8', '1:16': 'uint16', '2:16': 'int16',
    '1:32': 'uint32', '2:32': 'int32', '3:32': 'float32', '3:64': 'float64',
    // 1-bit masks are expanded to bytes by the reader
    '1:1': 'uint8',
  };
  const dtype = map[key];
  if (!dtype) throw new Error(`unsupported sample type: SampleFormat ${sampleFormat} with ${bitsPerSample} bits per sample`);
  return dtype;
}
