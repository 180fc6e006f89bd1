/** TIFF tag ids this reader uses; unknown tags are skipped without fetching their values. */
export const Tag = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  Photometric: 262,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  PlanarConfiguration: 284,
  Predictor: 317,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  ExtraSamples: 338,
  SampleFormat: 339,
  JPEGTables: 347,
  YCbCrSubSampling: 530,
  ModelPixelScale: 33550,
  ModelTiepoint: 33922,
  ModelTransformation: 34264,
  GeoKeyDirectory: 34735,
  GeoDoubleParams: 34736,
  GeoAsciiParams: 34737,
  GdalMetadata: 42112,
  GdalNodata: 42113,
  LercParameters: 50674,
} as const;

/** Byte size of each TIFF field type (TIFF 6.0 plus BigTIFF's 8-byte types). */
export const FIELD_TYPE_SIZE: Record<number, number> = {
  1: 1, // BYTE
  2: 1, // ASCII
  3: 2, // SHORT
  4: 4, // LONG
  5: 8, // RATIONAL
  6: 1, // SBYTE
  7: 1, // UNDEFINED
  8: 2, // SSHORT
  9: 4, // SLONG
  10: 8, // SRATIONAL
  11: 4, // FLOAT
  12: 8, // DOUBLE
  13: 4, // IFD
  16: 8, // LONG8
  17: 8, // SLONG8
  18: 8, // IFD8
};

export const FIELD_TYPE_NAME: Record<number, string> = {
  1: 'BYTE', 2: 'ASCII', 3: 'SHORT', 4: 'LONG', 5: 'RATIONAL', 6: 'SBYTE', 7: 'UNDEFINED', 8: 'SSHORT', 9: 'SLONG',
  10: 'SRATIONAL', 11: 'FLOAT', 12: 'DOUBLE', 13: 'IFD', 16: 'LONG8', 17: 'SLONG8', 18: 'IFD8',
};

/** How a tag's values are decoded, and which field types may carry them. */
export interface TagRule {
  kind: 'integer' | 'number' | 'text' | 'bytes';
  types: ReadonlySet<number>;
  /** The types the TIFF 6.0 / BigTIFF / GeoTIFF specifications name, for messages. */
  spec: string;
}

/**
 * The field types accepted per tag: what libtiff (so GDAL) reads, checked with GDAL 3.6 on crafted
 * files. Integer tags (sizes, offsets, counts, enumerations) take any integer type, signed ones only
 * when not negative; RATIONAL, FLOAT, DOUBLE, IFD or IFD8 there is refused by libtiff ("Incompatible
 * type for ImageWidth", "Invalid data type for tag TileOffsets") — and decoding 512.5 as a width, or a
 * float as an offset, would give blank or wrong pixels, so it is refused here too, before any value
 * is fetched. Numeric tags (GeoTIFF's doubles) take any number type; text tags ASCII or raw bytes.
 */
const INTEGER_TYPES: ReadonlySet<number> = new Set([1, 3, 4, 16, 6, 8, 9, 17]);
const integer = (spec: string): TagRule => ({ kind: 'integer', types: INTEGER_TYPES, spec });
const NUMBER: TagRule = { kind: 'number', types: new Set([...INTEGER_TYPES, 5, 10, 11, 12]), spec: 'DOUBLE' };
const TEXT: TagRule = { kind: 'text', types: new Set([2, 1, 7]), spec: 'ASCII' };
const SHORT = integer('SHORT');
const SHORT_OR_LONG = integer('SHORT or LONG');
const OFFSETS = integer('SHORT or LONG, or LONG8 in BigTIFF');

export const TAG_RULES: Record<number, TagRule> = {
  [Tag.NewSubfileType]: integer('LONG'),
  [Tag.ImageWidth]: SHORT_OR_LONG,
  [Tag.ImageLength]: SHORT_OR_LONG,
  [Tag.BitsPerSample]: SHORT,
  [Tag.Compression]: SHORT,
  [Tag.Photometric]: SHORT,
  [Tag.StripOffsets]: OFFSETS,
  [Tag.SamplesPerPixel]: SHORT,
  [Tag.RowsPerStrip]: SHORT_OR_LONG,
  [Tag.StripByteCounts]: OFFSETS,
  [Tag.PlanarConfiguration]: SHORT,
  [Tag.Predictor]: SHORT,
  [Tag.TileWidth]: SHORT_OR_LONG,
  [Tag.TileLength]: SHORT_OR_LONG,
  [Tag.TileOffsets]: OFFSETS,
  [Tag.TileByteCounts]: OFFSETS,
  [Tag.ExtraSamples]: SHORT,
  [Tag.SampleFormat]: SHORT,
  [Tag.JPEGTables]: { kind: 'bytes', types: new Set([7, 1]), spec: 'UNDEFINED' },
  [Tag.YCbCrSubSampling]: SHORT,
  [Tag.ModelPixelScale]: NUMBER,
  [Tag.ModelTiepoint]: NUMBER,
  [Tag.ModelTransformation]: NUMBER,
  [Tag.GeoKeyDirectory]: SHORT,
  [Tag.GeoDoubleParams]: NUMBER,
  [Tag.GeoAsciiParams]: TEXT,
  [Tag.GdalMetadata]: TEXT,
  [Tag.GdalNodata]: TEXT,
  [Tag.LercParameters]: integer('LONG'),
};

const TAG_NAMES: Record<number, string> = Object.fromEntries(Object.entries(Tag).map(([name, id]) => [id, name]));

/** "TileOffsets (tag 324)": how messages name a tag. */
export const tagName = (tag: number): string => (TAG_NAMES[tag] ? `${TAG_NAMES[tag]} (tag ${tag})` : `tag ${tag}`);

/** Tags whose values the parser reads; every other tag's value is never fetched. */
export const WANTED_TAGS: ReadonlySet<number> = new Set(Object.values(Tag));
