/**
 * Many small ranges (a tile's internal blocks) as few requests: planning is pure and separate from
 * fetching, so tests check the request list without I/O.
 */
import { SourceError } from './source.ts';
import type { Source } from './source.ts';

export interface ByteRange {
  offset: number;
  length: number;
}

export interface RangePlan {
  /** The requests to make, in offset order. */
  requests: ByteRange[];
  /** Per input range: the request holding it and where it starts there; undefined when zero-length. */
  parts: ({ request: number; start: number } | undefined)[];
}

/**
 * Sorts the ranges and merges neighbours when the gap between them is ≤ maxGap bytes and the merged
 * request stays ≤ maxLength. A range contained in the current request always joins it (duplicates
 * cost nothing); a single range longer than maxLength is one request of its own, never split.
 */
export function planRanges(ranges: readonly ByteRange[], maxGap: number, maxLength: number): RangePlan {
  ranges.forEach(({ offset, length }, i) => {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new RangeError(`range ${i}: invalid offset ${offset} or length ${length}`);
    }
  });
  // Longest first among equal offsets, so shorter duplicates fall inside it.
  const order = ranges
    .map((_, i) => i)
    .filter((i) => ranges[i].length > 0)
    .sort((a, b) => ranges[a].offset - ranges[b].offset || ranges[b].length - ranges[a].length);
  const requests: ByteRange[] = [];
  const parts: RangePlan['parts'] = ranges.map(() => undefined);
  let cur: ByteRange | undefined;
  for (const i of order) {
    const { offset, length } = ranges[i];
    const end = offset + length;
    const curEnd = cur ? cur.offset + cur.length : 0;
    const joins = cur !== undefined && (end <= curEnd || (offset - curEnd <= maxGap && end - cur.offset <= maxLength));
    if (cur && joins) {
      cur.length = Math.max(curEnd, end) - cur.offset;
    } else {
      cur = { offset, length };
      requests.push(cur);
    }
    parts[i] = { request: requests.length - 1, start: offset - cur.offset };
  }
  return { requests, parts };
}

export interface ReadRangesOptions {
  /** Largest unrequested gap worth fetching to save a request. Default 32 KiB. */
  maxGap?: number;
  /** Largest merged request. Default 8 MiB. */
  maxLength?: number;
  /** Requests in flight at once. Default 6. */
  concurrency?: number;
  signal?: AbortSignal;
  etag?: string;
}

/**
 * Reads the ranges through as few requests as planRanges allows, in parallel, and returns one view
 * per input range in input order (subarrays of the fetched buffers, not copies). The first failure
 * cancels the requests still in flight.
 */
export async function readRanges(source: Source, ranges: readonly ByteRange[], options: ReadRangesOptions = {}): Promise<Uint8Array[]> {
  const { requests, parts } = planRanges(ranges, options.maxGap ?? 32 * 1024, options.maxLength ?? 8 * 1024 * 1024);
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const fetched: Uint8Array[] = new Array<Uint8Array>(requests.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests.length && !signal.aborted) {
      const k = next++;
      const { offset, length } = requests[k];
      fetched[k] = (await source.read(offset, length, { signal, etag: options.etag })).bytes;
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 6, requests.length));
  try {
    await Promise.all(Array.from({ length: workers }, worker));
  } catch (err) {
    stop.abort();
    throw err;
  }
  options.signal?.throwIfAborted();
  return ranges.map((r, i) => {
    const part = parts[i];
    if (!part) return new Uint8Array(0);
    const bytes = fetched[part.request];
    if (part.start >= bytes.length) {
      throw new SourceError(`${source.location}: range ${r.offset}+${r.length} starts at or past the end of the object`, 416, false);
    }
    return bytes.subarray(part.start, part.start + r.length);
  });
}
