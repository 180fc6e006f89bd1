/**
 * GDAL's COG layout: TIFF header, ghost header, every IFD (full resolution, its mask, overviews
 * largest first, then their masks — GDAL's order), then tile data from the smallest overview to full
 * resolution, each block wrapped in a 4-byte size leader and a copy of its last 4 bytes.
 */
import { FieldType, ifdByteSize, writeIfd, type TagEntry } from './ifd-writer.ts';

export interface LevelSize {
  width: number;
  height: number;
  across: number;
  down: number;
}

export interface OutputPlan {
  tileSize: number;
  samplesPerPixel: number;
  bitsPerSample: number;
  sampleFormat: number;
  photometric: number;
  extraSamples: number[];
  predictor: 1 | 2 | 3;
  compression: number;
  hasMask: boolean;
  levels: LevelSize[];
  /** GDAL_NODATA text, written on every image IFD as GDAL does. */
  nodata?: string;
  /** Tags copied from the input onto the full-resolution IFD: GeoTIFF tags, GDAL_METADATA, ColorMap. */
  copied: TagEntry[];
}

/** Where each level's blocks landed in its temporary file (offsets point past the leader). */
export interface LevelData {
  imageOffsets: number[];
  imageCounts: number[];
  maskOffsets: number[];
  maskCounts: number[];
  /** Bytes of the level's file, leaders and trailers included. */
  size: number;
}

/** Full resolution plus overviews of floor(size / 2^k), as GDAL's COG driver, until one tile holds it. */
export function pyramid(width: number, height: number, tileSize: number): LevelSize[] {
  const levels: LevelSize[] = [];
  for (let k = 0; ; k++) {
    const w = Math.max(1, Math.floor(width / 2 ** k)), h = Math.max(1, Math.floor(height / 2 ** k));
    levels.push({ width: w, height: h, across: Math.ceil(w / tileSize), down: Math.ceil(h / tileSize) });
    if (w <= tileSize && h <= tileSize) return levels;
  }
}

/** The ghost header text exactly as GDAL 3.6 writes it (the space is its padding for a later YES). */
function ghostHeader(hasMask: boolean): string {
  let body = 'LAYOUT=IFDS_BEFORE_DATA\nBLOCK_ORDER=ROW_MAJOR\nBLOCK_LEADER=SIZE_AS_UINT4\n'
    + 'BLOCK_TRAILER=LAST_4_BYTES_REPEATED\nKNOWN_INCOMPATIBLE_EDITION=NO\n ';
  if (hasMask) body += 'MASK_INTERLEAVED_WITH_IMAGERY=YES\n';
  return `GDAL_STRUCTURAL_METADATA_SIZE=${String(body.length).padStart(6, '0')} bytes\n${body}`;
}

const u16 = (v: number) => ({ type: v < 65536 ? FieldType.SHORT : FieldType.LONG, values: [v] });

function imageTags(plan: OutputPlan, level: number, mask: boolean, offsets: number[], counts: number[], bigTiff: boolean): TagEntry[] {
  const lv = plan.levels[level];
  const spp = mask ? 1 : plan.samplesPerPixel;
  const tags: TagEntry[] = [
    { tag: 256, ...u16(lv.width) },
    { tag: 257, ...u16(lv.height) },
    { tag: 258, type: FieldType.SHORT, values: Array(spp).fill(mask ? 1 : plan.bitsPerSample) },
    { tag: 259, type: FieldType.SHORT, values: [plan.compression] },
    { tag: 262, type: FieldType.SHORT, values: [mask ? 4 : plan.photometric] },
    { tag: 277, type: FieldType.SHORT, values: [spp] },
    { tag: 284, type: FieldType.SHORT, values: [1] },
    { tag: 322, ...u16(plan.tileSize) },
    { tag: 323, ...u16(plan.tileSize) },
    { tag: 324, type: bigTiff ? FieldType.LONG8 : FieldType.LONG, values: offsets },
    { tag: 325, type: FieldType.LONG, values: counts },
  ];
  const subfile = (level > 0 ? 1 : 0) | (mask ? 4 : 0);
  if (subfile) tags.push({ tag: 254, type: FieldType.LONG, values: [subfile] });
  if (mask) return tags;
  if (plan.predictor !== 1 && plan.compression !== 1) tags.push({ tag: 317, type: FieldType.SHORT, values: [plan.predictor] });
  if (plan.extraSamples.length) tags.push({ tag: 338, type: FieldType.SHORT, values: plan.extraSamples });
  tags.push({ tag: 339, type: FieldType.SHORT, values: Array(spp).fill(plan.sampleFormat) });
  if (plan.nodata !== undefined) tags.push({ tag: 42113, type: FieldType.ASCII, values: plan.nodata });
  const colormap = plan.copied.find((t) => t.tag === 320);
  if (level === 0) tags.push(...plan.copied);
  else if (colormap) tags.push(colormap);
  return tags;
}

/** The IFDs in GDAL's order: [level, isMask]. */
function ifdOrder(plan: OutputPlan): [number, boolean][] {
  const order: [number, boolean][] = [[0, false]];
  if (plan.hasMask) order.push([0, true]);
  for (let k = 1; k < plan.levels.length; k++) order.push([k, false]);
  if (plan.hasMask) for (let k = 1; k < plan.levels.length; k++) order.push([k, true]);
  return order;
}

export interface Header {
  bytes: Uint8Array;
  bigTiff: boolean;
  /** File offset where each level's data file is placed. */
  levelBase: number[];
  size: number;
}

/** Lay out and serialise the header once every level's blocks are compressed and measured. */
export function buildHeader(plan: OutputPlan, data: LevelData[], forceBigTiff = false): Header {
  const dataBytes = data.reduce((s, d) => s + d.size, 0);
  for (const bigTiff of forceBigTiff ? [true] : [false, true]) {
    const ghost = ghostHeader(plan.hasMask);
    let firstIfd = (bigTiff ? 16 : 8) + ghost.length;
    firstIfd += firstIfd % 2; // GDAL's validator expects the main IFD on a word boundary
    const order = ifdOrder(plan);
    const entries = (offsets: boolean) => order.map(([k, mask]) => {
      const d = data[k];
      const counts = mask ? d.maskCounts : d.imageCounts;
      return imageTags(plan, k, mask, offsets ? (mask ? d.maskOffsets : d.imageOffsets) : counts.map(() => 0), counts, bigTiff);
    });
    const sizes = entries(false).map((e) => ifdByteSize(e, bigTiff));
    const headerSize = firstIfd + sizes.reduce((a, b) => a + b, 0);
    // Classic TIFF offsets are 32-bit: past 4 GiB only BigTIFF can address the data.
    if (!bigTiff && headerSize + dataBytes > 0xffffffff) continue;
    // Smallest overview first: level n-1 at the start of the data, full resolution last.
    const levelBase: number[] = Array(plan.levels.length).fill(0);
    let at = headerSize;
    for (let k = plan.levels.length - 1; k >= 0; k--) { levelBase[k] = at; at += data[k].size; }
    const absolute = data.map((d, k) => ({
      ...d,
      imageOffsets: d.imageOffsets.map((o) => o + levelBase[k]),
      maskOffsets: d.maskOffsets.map((o) => o + levelBase[k]),
    }));
    const final = order.map(([k, mask]) => {
      const d = absolute[k];
      return imageTags(plan, k, mask, mask ? d.maskOffsets : d.imageOffsets, mask ? d.maskCounts : d.imageCounts, bigTiff);
    });
    const bytes = new Uint8Array(headerSize);
    const view = new DataView(bytes.buffer);
    bytes.set([0x49, 0x49]);
    if (bigTiff) {
      view.setUint16(2, 43, true); view.setUint16(4, 8, true); view.setUint16(6, 0, true);
      view.setBigUint64(8, BigInt(firstIfd), true);
    } else {
      view.setUint16(2, 42, true); view.setUint32(4, firstIfd, true);
    }
    bytes.set(Buffer.from(ghost, 'latin1'), bigTiff ? 16 : 8);
    let p = firstIfd;
    final.forEach((tags, i) => {
      const next = i + 1 < final.length ? p + sizes[i] : 0;
      writeIfd(view, p, tags, bigTiff, next);
      p += sizes[i];
    });
    return { bytes, bigTiff, levelBase, size: headerSize + dataBytes };
  }
  throw new Error('unreachable: BigTIFF addresses any size');
}
