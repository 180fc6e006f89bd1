export * from './header.ts';
export { readHeader, type ReadHeaderOptions, type ReadHeaderResult } from './parse.ts';
export { serializeHeader, deserializeHeader, HeaderVersionError } from './serialize.ts';
export { validateCog, type CogValidation } from './cog.ts';
export { TiffError } from './reader.ts';
export type { ByteRangeReader, ObjectVersion, RangeReadOptions } from './bytes.ts';
export { Tag } from './tags.ts';
export { readIfd, LIMITS, type RawIfd } from './ifd.ts';
export { HeaderReader } from './reader.ts';
