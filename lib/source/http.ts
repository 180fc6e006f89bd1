/**
 * HTTP(S) through the global fetch (undici keeps connections alive between requests). Strict about
 * what comes back: a range answer must be a 206 whose Content-Range covers exactly what was asked.
 */
import { checkEtag, checkLength, checkRange, ifMatch, networkError, parseContentRange, pastEnd, sizeFromContentRange } from './check.ts';
import { ObjectChangedError, ObjectMissingError, SourceError } from './source.ts';
import type { ObjectInfo, RangeResult, ReadOptions, Source } from './source.ts';

export interface HttpSourceOptions {
  /** Sent with every request, e.g. `{ authorization: 'Bearer …' }` or the Referer a bucket policy wants. */
  headers?: Record<string, string>;
  /** The largest whole object read when a server ignores Range and answers 200. Default 16 MiB. */
  maxWholeBody?: number;
  /** The fetch to use (default the global one); lib/source/guarded-fetch.ts refuses internal addresses. */
  fetch?: typeof fetch;
}

/** HEAD answers meaning "not this way" rather than "no": presigned GET URLs refuse HEAD with 403. */
const HEAD_REFUSED = new Set([403, 405, 501]);

export class HttpSource implements Source {
  /** The URL without its query string, which may carry a signature, so it is safe to log. */
  readonly location: string;
  /** Reads answered with the whole object (200) instead of a range: a sign of a misconfigured origin. */
  wholeResponses = 0;
  private readonly headers: Record<string, string>;
  private readonly maxWholeBody: number;
  private readonly fetch: typeof fetch;

  constructor(readonly url: string, options: HttpSourceOptions = {}) {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`not an http(s) URL: ${u.protocol}//…`);
    if (u.username || u.password) throw new TypeError(`${u.origin}${u.pathname}: put credentials in the headers option, not the URL`);
    this.location = `${u.origin}${u.pathname}`;
    this.maxWholeBody = options.maxWholeBody ?? 16 * 1024 * 1024;
    this.fetch = options.fetch ?? fetch;
    this.headers = {
      // A compressed representation has different byte offsets; ask for the stored bytes.
      'accept-encoding': 'identity',
      // Aliyun OSS otherwise answers an unsatisfiable range with the whole object and a 200.
      'x-oss-range-behavior': 'standard',
      ...options.headers,
    };
  }

  async read(offset: number, length: number, options: ReadOptions = {}): Promise<RangeResult> {
    checkRange(this.location, offset, length);
    const res = await this.request('GET', options, offset, length);
    const info = this.infoOf(res, 0);
    if (res.status === 206) {
      try {
        info.size = sizeFromContentRange(this.location, offset, length, res.headers.get('content-range'));
      } catch (err) {
        await discard(res);
        throw err;
      }
      const bytes = await this.guard(options.signal, async () => new Uint8Array(await res.arrayBuffer()));
      checkLength(this.location, bytes.length, Math.min(offset + length, info.size) - offset);
      return { bytes, info };
    }
    // 200: the server ignored Range. Its bytes are still the object's (ETag checked as for a 206), so
    // the asked slice is used rather than failing, but only for an object small enough to read whole.
    const whole = await this.guard(options.signal, () => this.readWhole(res));
    this.wholeResponses++;
    info.size = whole.length;
    if (offset >= whole.length) throw pastEnd(this.location, offset, whole.length);
    return { bytes: whole.subarray(offset, offset + length), info };
  }

  async head(options: ReadOptions = {}): Promise<ObjectInfo> {
    let res: Response;
    try {
      res = await this.request('HEAD', options);
    } catch (err) {
      if (err instanceof SourceError && err.status !== undefined && HEAD_REFUSED.has(err.status)) return (await this.read(0, 1, options)).info;
      throw err;
    }
    const size = Number(res.headers.get('content-length') ?? NaN);
    if (!Number.isSafeInteger(size)) return (await this.read(0, 1, options)).info;
    return this.infoOf(res, size);
  }

  private infoOf(res: Response, size: number): ObjectInfo {
    const info: ObjectInfo = { size };
    const etag = res.headers.get('etag');
    const modified = Date.parse(res.headers.get('last-modified') ?? '');
    if (etag) info.etag = etag;
    if (!Number.isNaN(modified)) info.lastModified = new Date(modified).toISOString();
    return info;
  }

  /** One request; anything but 200/206 becomes an error that says whether a retry could help. */
  private async request(method: string, options: ReadOptions, offset?: number, length = 1): Promise<Response> {
    const headers = { ...this.headers };
    if (offset !== undefined) headers.range = `bytes=${offset}-${offset + length - 1}`;
    const match = ifMatch(options.etag);
    if (match) headers['if-match'] = match;
    const res = await this.guard(options.signal, () => this.fetch(this.url, { method, headers, signal: options.signal, redirect: 'follow' }));
    if (res.status === 200 || res.status === 206) {
      try {
        checkEtag(this.location, options.etag, res.headers.get('etag') ?? undefined);
      } catch (err) {
        await discard(res);
        throw err;
      }
      return res;
    }
    await discard(res);
    if (res.status === 412) throw new ObjectChangedError(this.location, options.etag ?? '(none sent)', res.headers.get('etag') ?? 'another (412 Precondition Failed)');
    if (res.status === 404 || res.status === 410) throw new ObjectMissingError(this.location, `HTTP ${res.status} ${res.statusText}`.trimEnd());
    if (res.status === 416) throw pastEnd(this.location, offset ?? 0, parseContentRange(res.headers.get('content-range'))?.size);
    const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
    throw new SourceError(`${this.location}: HTTP ${res.status} ${res.statusText}`.trimEnd(), res.status, retryable);
  }

  private async readWhole(res: Response): Promise<Uint8Array> {
    const declared = Number(res.headers.get('content-length') ?? NaN);
    const tooBig = () => new SourceError(`${this.location}: the server ignored Range and sent the whole object, larger than ${this.maxWholeBody} bytes`, 200, false);
    if (declared > this.maxWholeBody) {
      await discard(res);
      throw tooBig();
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    const reader = res.body?.getReader();
    for (let r = await reader?.read(); r && !r.done; r = await reader?.read()) {
      chunks.push(r.value);
      total += r.value.length;
      if (total > this.maxWholeBody) {
        await reader?.cancel();
        throw tooBig();
      }
    }
    if (!Number.isNaN(declared)) checkLength(this.location, total, declared);
    const whole = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      whole.set(c, at);
      at += c.length;
    }
    return whole;
  }

  /** Network failures become retryable SourceErrors; the caller's abort stays an abort. */
  private async guard<T>(signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (err instanceof SourceError || err instanceof ObjectChangedError) throw err;
      throw networkError(this.location, err);
    }
  }
}

/** Unread bodies pin their connection; release it. */
async function discard(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}
