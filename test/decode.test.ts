import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createDeflate, deflateSync } from 'node:zlib';
import { getDecoder } from 'geotiff';
import { decodeBlock, expandBits } from '../lib/raster/decode/index.ts';
import type { BlockParams } from '../lib/raster/decode/index.ts';
import { lzwDecode } from '../lib/raster/decode/lzw.ts';
import { TiffError } from '../lib/tiff/reader.ts';

const base: BlockParams = {
  compression: 1, predictor: 1, bitsPerSample: 8, sampleFormat: 1, samplesPerBlockPixel: 1,
  width: 1, height: 1, littleEndian: true, photometric: 1,
};
const params = (p: Partial<BlockParams>): BlockParams => ({ ...base, ...p });
const u8 = (...v: number[]) => new Uint8Array(v);

/** Deterministic pseudo-random bytes (LCG). */
function noise(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** Predictor 2 encoding (horizontal differencing) of host-order values, per sample. */
function differenceU16(values: Uint16Array, width: number, height: number, spp: number): Uint16Array {
  const out = values.slice();
  const row = width * spp;
  for (let y = 0; y < height; y++) {
    for (let i = row - 1; i >= spp; i--) out[y * row + i] = values[y * row + i] - values[y * row + i - spp];
  }
  return out;
}

/** A TIFF LZW encoder (MSB-first, early change, Clear when the table fills), as libtiff writes. */
function lzwEncode(data: Uint8Array): Uint8Array {
  const bytes: number[] = [];
  let acc = 0;
  let accBits = 0;
  let nbits = 9;
  const put = (code: number) => {
    acc = (acc << nbits) | code;
    accBits += nbits;
    while (accBits >= 8) {
      accBits -= 8;
      bytes.push((acc >>> accBits) & 0xff);
    }
    acc &= (1 << accBits) - 1;
  };
  let dict = new Map<number, number>();
  let next = 258;
  const grow = () => {
    if (next === 4094) {
      put(256);
      dict = new Map();
      next = 258;
      nbits = 9;
    } else if (next === 1 << nbits && nbits < 12) {
      nbits++;
    }
  };
  put(256);
  let w = data[0];
  for (let i = 1; i < data.length; i++) {
    const key = w * 256 + data[i];
    const hit = dict.get(key);
    if (hit !== undefined) { w = hit; continue; }
    put(w);
    dict.set(key, next++);
    grow();
    w = data[i];
  }
  put(w);
  next++;
  grow();
  put(257);
  if (accBits > 0) bytes.push((acc << (8 - accBits)) & 0xff);
  return new Uint8Array(bytes);
}

describe('predictor 2 (horizontal differencing)', () => {
  it('8-bit, 3 samples per pixel (stride 3), hand computed', async () => {
    // Two pixels per row, two rows: [10,20,30 | +1,+2,+3], [200,0,255 | +100,+1,+1] (wrapping)
    const enc = u8(10, 20, 30, 1, 2, 3, 200, 0, 255, 100, 1, 1);
    const out = await decodeBlock(enc, params({ predictor: 2, samplesPerBlockPixel: 3, width: 2, height: 2 }));
    assert.deepEqual([...out], [10, 20, 30, 11, 22, 33, 200, 0, 255, 44, 1, 0]);
  });

  it('16-bit little-endian and big-endian give the same host-order values', async () => {
    // values 1000, 1003, 998 (differences 1000, +3, -5 ≡ 65531); row 2: 65535, 0 (diff +1 wraps)
    const diffs = [1000, 3, 65531, 65535, 1, 0];
    const le = new Uint8Array(12);
    const be = new Uint8Array(12);
    diffs.forEach((d, i) => {
      le[2 * i] = d & 0xff; le[2 * i + 1] = d >> 8;
      be[2 * i] = d >> 8; be[2 * i + 1] = d & 0xff;
    });
    const p = params({ predictor: 2, bitsPerSample: 16, width: 3, height: 2 });
    const a = await decodeBlock(le, p);
    const b = await decodeBlock(be, { ...p, littleEndian: false });
    assert.deepEqual([...new Uint16Array(a.buffer)], [1000, 1003, 998, 65535, 0, 0]);
    assert.deepEqual([...new Uint16Array(b.buffer)], [1000, 1003, 998, 65535, 0, 0]);
  });

  it('32-bit big-endian: swap, then sum, with wrap-around', async () => {
    const be = u8(0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 3, 0x80, 0, 0, 0);
    const out = await decodeBlock(be, params({ predictor: 2, bitsPerSample: 32, width: 3, height: 1, littleEndian: false }));
    assert.deepEqual([...new Uint32Array(out.buffer)], [0xfffffffe, 1, 0x80000001]);
  });

  it('64-bit, carry across the 32-bit halves, little- and big-endian', async () => {
    const vals = [0xffffffffn, 1n, (1n << 63n) + 5n]; // differences; sums: 2^32-1, 2^32, 2^63+2^32+4
    const le = new Uint8Array(24);
    const be = new Uint8Array(24);
    const dv = new DataView(le.buffer);
    const dvb = new DataView(be.buffer);
    vals.forEach((v, i) => { dv.setBigUint64(8 * i, v, true); dvb.setBigUint64(8 * i, v, false); });
    const p = params({ predictor: 2, bitsPerSample: 64, width: 3, height: 1 });
    const want = [0xffffffffn, 1n << 32n, (1n << 63n) + (1n << 32n) + 5n];
    assert.deepEqual([...new BigUint64Array((await decodeBlock(le, p)).buffer)], want);
    assert.deepEqual([...new BigUint64Array((await decodeBlock(be, { ...p, littleEndian: false })).buffer)], want);
  });

  it('big-endian 16-bit without a predictor is swapped to host order', async () => {
    const out = await decodeBlock(u8(0x12, 0x34, 0xab, 0xcd), params({ bitsPerSample: 16, width: 2, littleEndian: false }));
    assert.deepEqual([...new Uint16Array(out.buffer)], [0x1234, 0xabcd]);
  });
});

describe('predictor 3 (floating point)', () => {
  // 1.0f = 3F800000, 2.0f = 40000000, -0.5f = BF000000. One row of 3 values, planes MSB first:
  // [3F 40 BF] [80 00 00] [00 00 00] [00 00 00], then bytewise differences along the row.
  const planes = [0x3f, 0x40, 0xbf, 0x80, 0x00, 0x00, 0, 0, 0, 0, 0, 0];
  const diffed = planes.map((b, i) => (i === 0 ? b : (b - planes[i - 1]) & 0xff));

  it('float32, hand computed, the same bytes for little- and big-endian files', async () => {
    assert.deepEqual(diffed.slice(0, 4), [0x3f, 0x01, 0x7f, 0xc1]);
    const p = params({ predictor: 3, bitsPerSample: 32, sampleFormat: 3, width: 3, height: 1 });
    for (const littleEndian of [true, false]) {
      const out = await decodeBlock(u8(...diffed), { ...p, littleEndian });
      assert.deepEqual([...new Float32Array(out.buffer)], [1, 2, -0.5]);
    }
  });

  it('float64 with 2 samples per pixel (byte stride 2) over 2 rows', async () => {
    const vals = [1.5, -2, 1e300, Math.PI, 0, -0.0001, 42, 7];
    const width = 2, height = 2, spp = 2, bps = 8, wc = width * spp;
    const enc = new Uint8Array(vals.length * bps);
    for (let y = 0; y < height; y++) {
      const row = new Uint8Array(wc * bps);
      for (let i = 0; i < wc; i++) {
        const be = new Uint8Array(8);
        new DataView(be.buffer).setFloat64(0, vals[y * wc + i], false);
        for (let b = 0; b < bps; b++) row[b * wc + i] = be[b];
      }
      for (let i = row.length - 1; i >= spp; i--) row[i] = (row[i] - row[i - spp]) & 0xff;
      enc.set(row, y * wc * bps);
    }
    const out = await decodeBlock(enc, params({ predictor: 3, bitsPerSample: 64, sampleFormat: 3, samplesPerBlockPixel: spp, width, height, littleEndian: false }));
    assert.deepEqual([...new Float64Array(out.buffer)], vals);
  });

  it('refuses predictor 3 on integer data', async () => {
    await assert.rejects(decodeBlock(new Uint8Array(4), params({ predictor: 3, bitsPerSample: 16, width: 2 })), /predictor 3.*SampleFormat 1/);
  });
});

describe('deflate', () => {
  it('roundtrips predictor-2 uint16 data (node:zlib deflate of differenced values), LE and BE', async () => {
    const width = 64, height = 32;
    const vals = new Uint16Array(width * height);
    for (let i = 0; i < vals.length; i++) vals[i] = 1000 + ((i * 37) % 501) + (i % width) * 3;
    const diffs = differenceU16(vals, width, height, 1);
    const le = new Uint8Array(diffs.buffer);
    const be = new Uint8Array(le.length);
    for (let i = 0; i < le.length; i += 2) { be[i] = le[i + 1]; be[i + 1] = le[i]; }
    const p = params({ compression: 8, predictor: 2, bitsPerSample: 16, width, height });
    const a = await decodeBlock(deflateSync(le), p);
    const b = await decodeBlock(deflateSync(be), { ...p, compression: 32946, littleEndian: false });
    assert.deepEqual(new Uint16Array(a.buffer), vals);
    assert.deepEqual(new Uint16Array(b.buffer), vals);
    assert.equal(a.byteOffset, 0);
    assert.equal(a.buffer.byteLength, a.length);
  });

  it('roundtrips chunky 3-sample uint16 with predictor 2 (stride 3)', async () => {
    const width = 16, height = 4, spp = 3;
    const vals = new Uint16Array(width * height * spp).map((_, i) => (i * 7919) % 65536);
    const enc = deflateSync(new Uint8Array(differenceU16(vals, width, height, spp).buffer));
    const out = await decodeBlock(enc, params({ compression: 8, predictor: 2, bitsPerSample: 16, samplesPerBlockPixel: spp, width, height }));
    assert.deepEqual(new Uint16Array(out.buffer), vals);
  });

  it('a decompression bomb (100 MB of zeros) fails fast with a clear error, declared 256×256', async () => {
    const bomb = await new Promise<Buffer>((resolve, reject) => {
      const z = createDeflate({ level: 9 });
      const parts: Buffer[] = [];
      z.on('data', (c: Buffer) => parts.push(c));
      z.on('end', () => resolve(Buffer.concat(parts)));
      z.on('error', reject);
      const mb = Buffer.alloc(1 << 20);
      for (let i = 0; i < 100; i++) z.write(mb);
      z.end();
    });
    assert.ok(bomb.length < 200_000, `bomb is ${bomb.length} bytes`);
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    await assert.rejects(
      decodeBlock(bomb, params({ compression: 8, bitsPerSample: 16, width: 256, height: 256 })),
      /Deflate: stream inflates to more than the block's 131072 bytes/,
    );
    assert.ok(performance.now() - t0 < 1000, 'stopped early');
    assert.ok(process.memoryUsage().arrayBuffers - before < 20 * 1024 * 1024, 'did not allocate the bomb');
  });

  it('truncated and corrupt streams throw clear errors', async () => {
    const data = deflateSync(noise(4096));
    const p = params({ compression: 8, width: 64, height: 64 });
    await assert.doesNotReject(decodeBlock(data, p));
    await assert.rejects(decodeBlock(data.subarray(0, data.length >> 1), p), /Deflate: corrupt or truncated stream/);
    const bad = Buffer.from(data);
    bad[100] ^= 0xff;
    bad[101] ^= 0xff;
    await assert.rejects(decodeBlock(bad, p), /Deflate: corrupt or truncated stream/);
    await assert.rejects(decodeBlock(u8(1, 2, 3, 4), p), /Deflate: corrupt or truncated stream/);
  });

  it('a block asked for its top rows is inflated to exactly those rows, equal to the whole block\'s; a bad stream between good ones leaves them decoding', async () => {
    const width = 64, height = 64;
    const vals = new Uint16Array(width * height).map((_, i) => (i * 40503) % 65536);
    const enc = deflateSync(new Uint8Array(differenceU16(vals, width, height, 1).buffer));
    const p = params({ compression: 8, predictor: 2, bitsPerSample: 16, width, height });
    const whole = await decodeBlock(enc, p);
    for (const rows of [1, 7, 63]) {
      const top = await decodeBlock(enc, { ...p, rows });
      assert.equal(top.length, rows * width * 2, `${rows} rows`);
      assert.equal(top.buffer.byteLength, top.length, 'owns its buffer');
      assert.deepEqual(top, whole.subarray(0, top.length));
      const bad = Buffer.from(enc);
      bad[2] ^= 0xff;
      bad[3] ^= 0xff;
      await assert.rejects(decodeBlock(bad, p), /Deflate: corrupt or truncated stream/);
    }
    assert.deepEqual(await decodeBlock(enc, p), whole);
    // a stream shorter than the rows asked for
    await assert.rejects(decodeBlock(enc.subarray(0, 40), { ...p, rows: 60 }), /Deflate: (corrupt or truncated stream|output size mismatch)/);
  });

  it('a stream a little longer than the block is taken (libtiff ignores the excess), much longer refused', async () => {
    const p = params({ compression: 8, width: 64, height: 16 });
    const data = noise(1024);
    assert.deepEqual(await decodeBlock(deflateSync(Buffer.concat([data, new Uint8Array(4000)])), p), data);
    await assert.rejects(decodeBlock(deflateSync(Buffer.concat([data, new Uint8Array(5000)])), p), /Deflate: stream inflates to more than the block's 1024 bytes/);
  });

  it('too little output is an output size mismatch', async () => {
    await assert.rejects(
      decodeBlock(deflateSync(new Uint8Array(100)), params({ compression: 8, width: 16, height: 16 })),
      /output size mismatch.*100 bytes.*256/,
    );
  });
});

describe('packbits', () => {
  it('decodes hand-made literal, repeat and no-op runs', async () => {
    const src = u8(0x02, 1, 2, 3, 0xfd, 7, 0x80, 0x00, 9, 0x81, 5);
    const out = await decodeBlock(src, params({ compression: 32773, width: 136, height: 1 }));
    assert.deepEqual([...out.subarray(0, 8)], [1, 2, 3, 7, 7, 7, 7, 9]);
    assert.equal(out.length, 136);
    assert.ok(out.subarray(8).every((v) => v === 5)); // 0x81 = -127: 128 copies
  });

  it('stops at the block size (bounded) and throws on a truncated stream', async () => {
    const long = u8(0x81, 1, 0x81, 2, 0x81, 3);
    assert.deepEqual([...(await decodeBlock(long, params({ compression: 32773, width: 10, height: 1 })))], Array(10).fill(1));
    await assert.rejects(decodeBlock(u8(0x05, 1, 2), params({ compression: 32773, width: 6, height: 1 })), /PackBits: literal run/);
    await assert.rejects(decodeBlock(u8(0xfe, 1), params({ compression: 32773, width: 6, height: 1 })), /PackBits: stream ends after 3 of 6/);
  });
});

describe('LZW', () => {
  const geotiffLzw = async (bytes: Uint8Array) => {
    const d = await getDecoder(5, { tileWidth: 1, tileHeight: 1, planarConfiguration: 1, bitsPerSample: 8, predictor: 1 });
    return new Uint8Array(await d.decodeBlock(bytes.slice().buffer));
  };

  it('roundtrips noisy data through table resets and all code widths; agrees with geotiff', async () => {
    const data = noise(300_000, 7).map((v, i) => (i % 3 === 0 ? v : v & 0x0f));
    const enc = lzwEncode(data);
    const out = await decodeBlock(enc, params({ compression: 5, width: 1000, height: 300 }));
    assert.deepEqual(out, data);
    assert.deepEqual(await geotiffLzw(enc), data);
  });

  it('roundtrips runs (the KwKwK case) with predictor 2', async () => {
    const width = 200, height = 50;
    const vals = new Uint16Array(width * height).map((_, i) => 500 + (i % width));
    const enc = lzwEncode(new Uint8Array(differenceU16(vals, width, height, 1).buffer));
    const out = await decodeBlock(enc, params({ compression: 5, predictor: 2, bitsPerSample: 16, width, height }));
    assert.deepEqual(new Uint16Array(out.buffer), vals);
  });

  it('is bounded: a stream that decodes to far more than the block stops at the block size', () => {
    const enc = lzwEncode(new Uint8Array(5_000_000));
    assert.ok(enc.length < 20_000);
    const out = lzwDecode(enc, 4096);
    assert.equal(out.length, 4096);
  });

  it('truncated and corrupt streams throw clear errors', async () => {
    const enc = lzwEncode(noise(5000, 3));
    const p = params({ compression: 5, width: 100, height: 50 });
    await assert.rejects(decodeBlock(enc.subarray(0, 2000), p), /LZW: stream ends after \d+ of 5000 bytes/);
    // Clear, then 300 (no such entry right after a Clear)
    await assert.rejects(decodeBlock(u8(0x80, 0x4b, 0x00, 0x00), p), /LZW: corrupt stream/);
    await assert.rejects(decodeBlock(lzwEncode(new Uint8Array(10)), p), /LZW: output size mismatch/);
  });
});

describe('errors', () => {
  it('every codec fails on a corrupt block with a TiffError, the library\'s own error (found by npm run fuzz: they were plain Errors)', async () => {
    for (const compression of [1, 5, 7, 8, 32773, 34887, 50000]) {
      await assert.rejects(decodeBlock(u8(5, 1), params({ compression, width: 16, height: 16 })), TiffError, `compression ${compression}`);
    }
  });

  it('unknown and unsupported compressions are named', async () => {
    await assert.rejects(decodeBlock(u8(0), params({ compression: 34712 })), /unsupported compression: JPEG 2000 \(34712\)/);
    await assert.rejects(decodeBlock(u8(0), params({ compression: 12345 })), /unsupported compression: unknown compression 12345/);
    await assert.rejects(decodeBlock(u8(0), params({ compression: 6 })), /old-style JPEG \(6\)/);
  });

  it('bad shapes and sample sizes', async () => {
    await assert.rejects(decodeBlock(u8(0), params({ width: 0 })), /invalid block shape/);
    await assert.rejects(decodeBlock(u8(0), params({ bitsPerSample: 12 })), /unsupported BitsPerSample 12/);
    await assert.rejects(decodeBlock(u8(0, 0), params({ bitsPerSample: 16, predictor: 7 })), /unsupported predictor 7/);
    await assert.rejects(decodeBlock(u8(0), params({ width: 2 })), /uncompressed block: output size mismatch/);
  });

  it('uncompressed blocks are copied, not aliased', async () => {
    const src = u8(1, 2, 3, 4, 5);
    const out = await decodeBlock(src.subarray(1), params({ width: 4 }));
    src[1] = 99;
    assert.deepEqual([...out], [2, 3, 4, 5]);
    assert.equal(out.byteOffset, 0);
    // A Buffer's slice() is a view: the caller's bytes must survive the in-place swap and predictor.
    const buf = Buffer.from([0, 1, 0, 1]);
    const swapped = await decodeBlock(buf, params({ bitsPerSample: 16, width: 2, predictor: 2, littleEndian: false }));
    assert.deepEqual([...buf], [0, 1, 0, 1]);
    assert.deepEqual([...new Uint16Array(swapped.buffer)], [1, 2]);
    assert.ok(!Buffer.isBuffer(swapped));
  });

  it('odd-offset inputs and pooled Buffers still give aligned, owned results', async () => {
    const vals = new Uint16Array([5, 1, 1, 1]); // predictor 2 → 5, 6, 7, 8
    const z = deflateSync(new Uint8Array(vals.buffer)); // small: node:zlib output comes from the Buffer pool
    const padded = new Uint8Array(z.length + 1);
    padded.set(z, 1);
    const out = await decodeBlock(padded.subarray(1), params({ compression: 8, predictor: 2, bitsPerSample: 16, width: 4 }));
    assert.deepEqual([...new Uint16Array(out.buffer)], [5, 6, 7, 8]);
    assert.equal(out.buffer.byteLength, 8);
  });
});

describe('1-bit masks', () => {
  it('expandBits: MSB first, rows padded to whole bytes, 0/255', () => {
    const out = expandBits(u8(0b10110000, 0b11000000, 0xff, 0b01000000), 10, 2);
    assert.deepEqual([...out], [255, 0, 255, 255, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 0, 255]);
    assert.throws(() => expandBits(u8(0), 10, 2), /1-bit block/);
  });

  it('decodeBlock expands deflated 1-bit blocks to width × height bytes', async () => {
    const bits = u8(0xf0, 0x00, 0x0f, 0x80); // 9 pixels wide: two bytes per row
    const out = await decodeBlock(deflateSync(bits), params({ compression: 8, bitsPerSample: 1, width: 9, height: 2 }));
    assert.deepEqual([...out], [255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255]);
  });
});

// ---------------------------------------------------------------------------------------------------
// Real blocks made by GDAL: gdal_translate encodes rasters we generate here; decodeBlock must match.

const hasGdal = spawnSync('gdal_translate', ['--version'], { stdio: 'ignore' }).status === 0;
const skip = hasGdal ? false : 'gdal_translate is not on PATH (CI installs GDAL; these run there)';

interface Ifd { le: boolean; tags: Map<number, number[]>; file: Uint8Array }

/** A tiny TIFF/BigTIFF IFD reader: enough to find one block's bytes and its parameters. */
function readIfds(path: string): Ifd[] {
  const file = new Uint8Array(readFileSync(path));
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const le = dv.getUint16(0) === 0x4949;
  const big = dv.getUint16(2, le) === 43;
  const u64 = (o: number) => Number(dv.getBigUint64(o, le));
  const size: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 6: 1, 7: 1, 8: 2, 9: 4, 11: 4, 12: 8, 16: 8, 17: 8 };
  const ifds: Ifd[] = [];
  let off = big ? u64(8) : dv.getUint32(4, le);
  while (off !== 0) {
    const n = big ? u64(off) : dv.getUint16(off, le);
    const tags = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const e = off + (big ? 8 + i * 20 : 2 + i * 12);
      const tag = dv.getUint16(e, le);
      const type = dv.getUint16(e + 2, le);
      const count = big ? u64(e + 4) : dv.getUint32(e + 4, le);
      const sz = size[type] ?? 1;
      const at = sz * count <= (big ? 8 : 4) ? e + (big ? 12 : 8) : big ? u64(e + 12) : dv.getUint32(e + 8, le);
      const vals: number[] = [];
      for (let k = 0; k < count; k++) {
        const p = at + k * sz;
        vals.push(type === 3 ? dv.getUint16(p, le) : type === 4 ? dv.getUint32(p, le) : type === 16 ? u64(p) : file[p]);
      }
      tags.set(tag, vals);
    }
    ifds.push({ le, tags, file });
    off = big ? u64(off + 8 + n * 20) : dv.getUint32(off + 2 + n * 12, le);
  }
  return ifds;
}

/** Block `index` of an IFD: its compressed bytes and the BlockParams the header would give. */
function blockOf(ifd: Ifd, index: number): { bytes: Uint8Array; p: BlockParams } {
  const t = (tag: number, dflt: number) => ifd.tags.get(tag)?.[0] ?? dflt;
  const offsets = ifd.tags.get(324) ?? ifd.tags.get(273)!;
  const counts = ifd.tags.get(325) ?? ifd.tags.get(279)!;
  const planar = t(284, 1);
  const tables = ifd.tags.get(347);
  return {
    bytes: ifd.file.subarray(offsets[index], offsets[index] + counts[index]),
    p: {
      compression: t(259, 1), predictor: t(317, 1), bitsPerSample: t(258, 1), sampleFormat: t(339, 1) as 1 | 2 | 3,
      samplesPerBlockPixel: planar === 1 ? t(277, 1) : 1, width: t(322, 0), height: t(323, 0),
      littleEndian: ifd.le, photometric: t(262, 1), jpegTables: tables ? new Uint8Array(tables) : undefined,
      lercParameters: ifd.tags.get(50674),
    },
  };
}

const ENVI_TYPES: Record<string, number> = { uint8: 1, int16: 2, int32: 3, float32: 4, float64: 5, uint16: 12, uint32: 13 };

describe('GDAL-made blocks', { skip }, () => {
  const dir = hasGdal ? mkdtempSync(join(tmpdir(), 'taoguan-decode-')) : '';
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });
  const W = 80, H = 64, B = 32; // 3×2 tiles of 32×32, the right column partial

  /** Writes pixel-interleaved samples as an ENVI raster GDAL can read. */
  function envi(name: string, data: ArrayBufferView, bands: number, type: string): string {
    const path = join(dir, `${name}.bin`);
    writeFileSync(path, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    writeFileSync(join(dir, `${name}.hdr`), `ENVI\nsamples = ${W}\nlines = ${H}\nbands = ${bands}\nheader offset = 0\nfile type = ENVI Standard\ndata type = ${ENVI_TYPES[type]}\ninterleave = bip\nbyte order = 0\n`);
    return path;
  }
  function translate(src: string, name: string, ...options: string[]): string {
    const out = join(dir, name);
    execFileSync('gdal_translate', ['-q', ...options, src, out], { stdio: 'pipe' });
    return out;
  }
  const tiled = ['-of', 'GTiff', '-co', 'TILED=YES', '-co', `BLOCKXSIZE=${B}`, '-co', `BLOCKYSIZE=${B}`];

  /** Every tile of the first IFD decoded and compared, over the image's valid area, with `src`. */
  async function checkAll<T extends ArrayLike<number>>(path: string, src: T, spp: number, view: (b: Uint8Array) => T, eq?: (a: number, b: number) => boolean) {
    const ifd = readIfds(path)[0];
    const tilesX = Math.ceil(W / B);
    const count = (ifd.tags.get(324) ?? []).length;
    assert.equal(count, tilesX * Math.ceil(H / B));
    for (let i = 0; i < count; i++) {
      const { bytes, p } = blockOf(ifd, i);
      const got = view(await decodeBlock(bytes, p));
      const x0 = (i % tilesX) * B, y0 = Math.floor(i / tilesX) * B;
      for (let y = 0; y < B && y0 + y < H; y++) {
        for (let x = 0; x < B && x0 + x < W; x++) {
          for (let s = 0; s < spp; s++) {
            const a = got[(y * B + x) * spp + s], b = src[((y0 + y) * W + x0 + x) * spp + s];
            assert.ok(eq ? eq(a, b) : a === b, `${path} tile ${i} (${x},${y}) sample ${s}: ${a} ≠ ${b}`);
          }
        }
      }
    }
  }

  const dem = new Uint16Array(W * H).map((_, i) => Math.round(1500 + 400 * Math.sin((i % W) / 9) * Math.cos(i / W / 7)) + (noise(1, i)[0] & 7));
  const rgb = new Uint8Array(W * H * 3).map((_, i) => {
    const px = Math.floor(i / 3), x = px % W, y = Math.floor(px / W), c = i % 3;
    return Math.max(0, Math.min(255, Math.round(128 + 90 * Math.sin((c === 0 ? x : c === 1 ? y : x - y) / (6 + c * 3)) + ((noise(1, i)[0] & 15) - 8))));
  });
  const f32 = new Float32Array(W * H).map((_, i) => Math.sin(i / 13) * 1000 + (i % W) / 7);
  for (let y = 5; y < 12; y++) for (let x = 30; x < 45; x++) f32[y * W + x] = NaN;
  const sameOrNaN = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

  it('ZSTD + predictor 2, uint16: exact', async () => {
    const src = envi('dem', dem, 1, 'uint16');
    await checkAll(translate(src, 'zstd.tif', ...tiled, '-co', 'COMPRESS=ZSTD', '-co', 'PREDICTOR=2'), dem, 1, (b) => new Uint16Array(b.buffer));
    const cog = translate(src, 'zstd-cog.tif', '-of', 'COG', '-co', 'COMPRESS=ZSTD', '-co', 'PREDICTOR=YES', '-co', 'BLOCKSIZE=32');
    await checkAll(cog, dem, 1, (b) => new Uint16Array(b.buffer));
    const { bytes, p } = blockOf(readIfds(cog)[0], 0);
    await assert.rejects(decodeBlock(bytes.subarray(0, bytes.length - 10), p), /ZSTD: corrupt or truncated/);
  });

  it('LERC (lossless; none / deflate / zstd wrappers), uint16: exact', async () => {
    const src = envi('dem', dem, 1, 'uint16');
    for (const c of ['LERC', 'LERC_DEFLATE', 'LERC_ZSTD']) {
      const path = translate(src, `${c}.tif`, ...tiled, '-co', `COMPRESS=${c}`, '-co', 'MAX_Z_ERROR=0');
      assert.equal(readIfds(path)[0].tags.get(50674)?.[1], { LERC: 0, LERC_DEFLATE: 1, LERC_ZSTD: 2 }[c]);
      await checkAll(path, dem, 1, (b) => new Uint16Array(b.buffer));
    }
    const cog = translate(src, 'lerc-cog.tif', '-of', 'COG', '-co', 'COMPRESS=LERC', '-co', 'MAX_Z_ERROR=0', '-co', 'BLOCKSIZE=32');
    const { bytes, p } = blockOf(readIfds(cog)[0], 0);
    await assert.rejects(decodeBlock(bytes.subarray(0, 100), p), /LERC: corrupt or truncated blob/);
  });

  it('LERC chunky 3-band uint8 (depth 3) and float32 with NaNs (LERC mask): exact, interleaved', async () => {
    await checkAll(translate(envi('rgb', rgb, 3, 'uint8'), 'lerc-rgb.tif', ...tiled, '-co', 'COMPRESS=LERC', '-co', 'MAX_Z_ERROR=0'), rgb, 3, (b) => b);
    await checkAll(translate(envi('f32', f32, 1, 'float32'), 'lerc-f32.tif', ...tiled, '-co', 'COMPRESS=LERC', '-co', 'MAX_Z_ERROR=0'), f32, 1, (b) => new Float32Array(b.buffer), sameOrNaN);
  });

  /** Every tile of a JPEG file against what GDAL reads from it (through libjpeg): mean and max |diff|. */
  async function jpegAgainstGdal(path: string, bands: number): Promise<{ mean: number; max: number; n: number }> {
    const ref = new Uint8Array(readFileSync(translate(path, `${path.split('/').at(-1)}-ref.bin`, '-of', 'ENVI', '-co', 'INTERLEAVE=BIP')));
    let sum = 0, n = 0, max = 0;
    await checkAll(path, ref, bands, (b) => b, (a, b) => {
      const d = Math.abs(a - b);
      sum += d; n++; max = Math.max(max, d);
      return d <= 32;
    });
    return { mean: sum / n, max, n };
  }

  it('JPEG YCbCr COG (libjpeg as WASM): RGB exactly as GDAL reads it; corrupt streams fail clearly', async (t) => {
    const cog = translate(envi('rgb', rgb, 3, 'uint8'), 'jpeg.tif', '-of', 'COG', '-co', 'COMPRESS=JPEG', '-co', 'BLOCKSIZE=32');
    const ifd = readIfds(cog)[0];
    assert.equal(ifd.tags.get(262)?.[0], 6, 'GDAL writes YCbCr JPEG by default');
    const { mean, max, n } = await jpegAgainstGdal(cog, 3);
    t.diagnostic(`JPEG vs GDAL: mean |diff| ${mean.toFixed(3)} DN, max ${max} DN over ${n} samples`);
    assert.equal(max, 0, `max abs diff ${max} (mean ${mean})`);
    const { bytes, p } = blockOf(ifd, 0);
    await assert.rejects(decodeBlock(bytes.subarray(0, 40), p), /JPEG: /);
    // A frame declaring 60,000 rows in a 32-row tile is refused before decoding (it cost seconds).
    const tall = bytes.slice();
    const sof = Buffer.from(tall).indexOf(Buffer.from([0xff, 0xc0]));
    new DataView(tall.buffer).setUint16(sof + 5, 60000);
    await assert.rejects(decodeBlock(tall, p), /JPEG: output size mismatch: frame is 32×60000, the block is 32×32/);
    // libjpeg's own fatal errors (here a marker it does not know, where the scan starts) name the problem
    const bad = bytes.slice();
    bad[Buffer.from(bad).indexOf(Buffer.from([0xff, 0xda])) + 1] = 0x60;
    await assert.rejects(decodeBlock(bad, p), /JPEG: corrupt or truncated stream \(Unsupported marker type 0x60\)/);
    assert.deepEqual(await decodeBlock(bytes, p), await decodeBlock(bytes, p), 'a failure leaves the decoder working');
  });

  it('JPEG grey (WASM) exactly, and Photometric RGB (geotiff) within 2 DN mean, of what GDAL reads', async (t) => {
    const grey = translate(envi('rgb', rgb, 3, 'uint8'), 'jpeg-grey.tif', ...tiled, '-b', '1', '-co', 'COMPRESS=JPEG');
    const g = await jpegAgainstGdal(grey, 1);
    assert.equal(g.max, 0, `grey: max abs diff ${g.max}`);
    const plain = translate(envi('rgb', rgb, 3, 'uint8'), 'jpeg-rgb.tif', ...tiled, '-co', 'COMPRESS=JPEG', '-co', 'PHOTOMETRIC=RGB');
    assert.equal(readIfds(plain)[0].tags.get(262)?.[0], 2);
    const c = await jpegAgainstGdal(plain, 3);
    t.diagnostic(`Photometric RGB JPEG vs GDAL: mean |diff| ${c.mean.toFixed(3)} DN, max ${c.max} DN`);
    assert.ok(c.mean <= 2, `mean abs diff ${c.mean}`);
  });

  it('LZW + predictor 2, big-endian uint16: exact', async () => {
    const path = translate(envi('dem', dem, 1, 'uint16'), 'lzw-be.tif', ...tiled, '-co', 'COMPRESS=LZW', '-co', 'PREDICTOR=2', '-co', 'ENDIANNESS=BIG');
    assert.equal(readIfds(path)[0].le, false);
    await checkAll(path, dem, 1, (b) => new Uint16Array(b.buffer));
  });

  it('deflate + predictor 3, float32: exact (NaNs included); big-endian: as GDAL itself reads it', async () => {
    const src = envi('f32', f32, 1, 'float32');
    const le = translate(src, 'p3-le.tif', ...tiled, '-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=3');
    await checkAll(le, f32, 1, (b) => new Float32Array(b.buffer), sameOrNaN);
    // libtiff 4.5 (GDAL 3.6) writes big-endian predictor-3 blocks with the byte planes LSB first, and
    // reads them back MSB first (TIFF TN3 and libtiff's fpAcc): GDAL gets garbage from its own file.
    // The decoder follows the reader, so the oracle here is what GDAL reads, bit for bit.
    const be = translate(src, 'p3-be.tif', ...tiled, '-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=3', '-co', 'ENDIANNESS=BIG');
    translate(be, 'p3-be-read.bin', '-of', 'ENVI');
    const read = new Uint32Array(new Uint8Array(readFileSync(join(dir, 'p3-be-read.bin'))).buffer);
    await checkAll(be, read, 1, (b) => new Uint32Array(b.buffer));
  });

  it('deflate + predictor 2, chunky 3-band uint8 and (where GDAL has it) big-endian int64', async (t) => {
    await checkAll(translate(envi('rgb', rgb, 3, 'uint8'), 'rgb-p2.tif', ...tiled, '-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=2'), rgb, 3, (b) => b);
    const i64 = new BigInt64Array(W * H).map((_, i) => BigInt(i % W) * (1n << 40n) - BigInt(Math.floor(i / W)) * 12345678901n);
    // GDAL's ENVI driver has no Int64 (in 3.6): a raw VRT band instead.
    writeFileSync(join(dir, 'i64.raw'), new Uint8Array(i64.buffer));
    writeFileSync(join(dir, 'i64.vrt'), `<VRTDataset rasterXSize="${W}" rasterYSize="${H}"><VRTRasterBand dataType="Int64" band="1" subClass="VRTRawRasterBand">` +
      `<SourceFilename relativeToVRT="1">i64.raw</SourceFilename><ImageOffset>0</ImageOffset><PixelOffset>8</PixelOffset><LineOffset>${W * 8}</LineOffset><ByteOrder>LSB</ByteOrder></VRTRasterBand></VRTDataset>`);
    let path: string;
    try {
      path = translate(join(dir, 'i64.vrt'), 'i64.tif', ...tiled, '-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=2', '-co', 'ENDIANNESS=BIG');
    } catch {
      t.diagnostic('this GDAL cannot write Int64 GeoTIFFs (GDAL < 3.5); skipped the 64-bit case');
      return;
    }
    const ifd = readIfds(path)[0];
    for (let i = 0; i < 6; i++) {
      const { bytes, p } = blockOf(ifd, i);
      const got = new BigInt64Array((await decodeBlock(bytes, p)).buffer);
      const x0 = (i % 3) * B, y0 = Math.floor(i / 3) * B;
      for (let y = 0; y < B && y0 + y < H; y++) {
        for (let x = 0; x < B && x0 + x < W; x++) assert.equal(got[y * B + x], i64[(y0 + y) * W + x0 + x]);
      }
    }
  });

  it('GDAL internal 1-bit mask IFD: 0/255 per pixel, as the mask band', async () => {
    const rgba = new Uint8Array(W * H * 4).map((_, i) => {
      const px = i >> 2, x = px % W, y = Math.floor(px / W);
      return (i & 3) === 3 ? ((x - 40) ** 2 + (y - 30) ** 2 < 500 ? 255 : 0) : (x * 3 + y) & 0xff;
    });
    const path = translate(envi('rgba', rgba, 4, 'uint8'), 'masked.tif', ...tiled, '-b', '1', '-b', '2', '-b', '3', '-mask', '4', '-co', 'COMPRESS=DEFLATE', '--config', 'GDAL_TIFF_INTERNAL_MASK', 'YES');
    const mask = readIfds(path).find((d) => ((d.tags.get(254)?.[0] ?? 0) & 4) !== 0);
    assert.ok(mask, 'the file has an internal mask IFD');
    assert.equal(mask.tags.get(258)?.[0], 1);
    const alpha = rgba.filter((_, i) => (i & 3) === 3);
    await checkAll(path, rgba.filter((_, i) => (i & 3) !== 3), 3, (b) => b);
    const tilesX = Math.ceil(W / B);
    for (let i = 0; i < 6; i++) {
      const { bytes, p } = blockOf(mask, i);
      const got = await decodeBlock(bytes, p);
      assert.equal(got.length, B * B);
      const x0 = (i % tilesX) * B, y0 = Math.floor(i / tilesX) * B;
      for (let y = 0; y < B && y0 + y < H; y++) {
        for (let x = 0; x < B && x0 + x < W; x++) assert.equal(got[y * B + x], alpha[(y0 + y) * W + x0 + x]);
      }
    }
  });
});
