import type { CogHeader, TiffImage } from './header.ts';

export interface CogValidation {
  isCog: boolean;
  errors: string[];
  warnings: string[];
}

/**
 * Is this a Cloud Optimized GeoTIFF? The same checks, with the same wording, as GDAL's
 * validate_cloud_optimized_geotiff.py — but over the parsed header, so it costs no I/O.
 */
export function validateCog(h: CogHeader): CogValidation {
  const errors: string[] = [];
  const warnings: string[] = [];
  const main = h.levels[0].image;
  const overviews = h.levels.slice(1).map((l) => l.image);

  if (main.width > 512 || main.height > 512) {
    if (!main.tiled && main.blockWidth === main.width && main.blockWidth > 1024) {
      errors.push('The file is greater than 512xH or Wx512, but is not tiled');
    }
    if (overviews.length === 0) warnings.push('The file is greater than 512xH or Wx512, it is recommended to include internal overviews');
  }

  let expectedIfd = h.bigTiff ? 16 : 8;
  if (h.ghost) {
    if (h.ghost.KNOWN_INCOMPATIBLE_EDITION === 'YES') errors.push('KNOWN_INCOMPATIBLE_EDITION=YES is declared in the file');
    const pattern = 'GDAL_STRUCTURAL_METADATA_SIZE=000000 bytes\n'.length;
    expectedIfd += pattern + Number(h.ghost.GDAL_STRUCTURAL_METADATA_SIZE);
    expectedIfd += expectedIfd % 2;
  }
  if (main.ifdOffset !== expectedIfd) errors.push(`The offset of the main IFD should be ${expectedIfd}. It is ${main.ifdOffset} instead`);

  overviews.forEach((ovr, i) => {
    const prev = i === 0 ? main : overviews[i - 1];
    if (ovr.width > prev.width || ovr.height > prev.height) {
      errors.push(i === 0 ? 'First overview has larger dimension than main band' : `Overview of index ${i} has larger dimension than overview of index ${i - 1}`);
    }
    if (!ovr.tiled) errors.push(`Overview of index ${i} is not tiled`);
    if (i === 0 && ovr.ifdOffset < main.ifdOffset) {
      errors.push(`The offset of the IFD for overview of index ${i} is ${ovr.ifdOffset}, whereas it should be greater than the one of the main image, which is at ${main.ifdOffset}`);
    } else if (i > 0 && ovr.ifdOffset < prev.ifdOffset) {
      errors.push(`The offset of the IFD for overview of index ${i} is ${ovr.ifdOffset}, whereas it should be greater than the one of index ${i - 1}, which is at ${prev.ifdOffset}`);
    }
  });

  const dataOffsets = [main, ...overviews].map(firstBlockOffset);
  const lastIfd = [main, ...overviews].at(-1)!.ifdOffset;
  const smallest = dataOffsets.at(-1)!;
  if (smallest !== 0 && smallest < lastIfd) {
    errors.push(overviews.length > 0 ? 'The offset of the first block of the smallest overview should be after its IFD' : 'The offset of the first block of the image should be after its IFD');
  }
  for (let i = dataOffsets.length - 2; i > 0; i--) {
    if (dataOffsets[i] !== 0 && dataOffsets[i] < dataOffsets[i + 1]) {
      errors.push(`The offset of the first block of overview of index ${i - 1} should be after the one of the overview of index ${i}`);
    }
  }
  if (dataOffsets.length >= 2 && dataOffsets[0] !== 0 && dataOffsets[0] < dataOffsets[1]) {
    errors.push(`The offset of the first block of the main resolution image should be after the one of the overview of index ${overviews.length - 1}`);
  }
  if (!main.tiled) warnings.push('The image is striped, not tiled: a tile read fetches whole strips');
  return { isCog: errors.length === 0, errors, warnings };
}

function firstBlockOffset(im: TiffImage): number {
  // Band 1's blocks only, as GDAL's validator inspects band 1.
  const perBand = im.planarConfiguration === 2 ? im.offsets.length / im.samplesPerPixel : im.offsets.length;
  for (let i = 0; i < perBand; i++) if (im.offsets[i]) return im.offsets[i];
  return 0;
}
