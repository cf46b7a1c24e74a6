/**
 * Streaming download of one file into a sink (a Blob builder in the page, a temp file in the CLI), with byte
 * progress, an AbortSignal, and the failure classified (see errors.ts). Never holds the whole body: chunks go to the
 * sink as they arrive.
 */
import { type FetchLike, type HubClient, type RequestContext, responseError } from './api.js';
import { HubError, cancelledError, hostOf, networkError } from './errors.js';

/** Where the bytes of one file go. `close` returns the finished item (a File, a path, …). */
export interface ByteSink<T> {
  write(chunk: Uint8Array): void | Promise<void>;
  close(): Promise<T>;
  /** Drops whatever was written (called on any failure or cancel; must not throw). */
  abort(): void | Promise<void>;
}

/** Makes sinks for files by repository path, and reads a finished item back (for the external-data scan). */
export interface FileStore<T> {
  open(path: string, expectedBytes: number | null): ByteSink<T> | Promise<ByteSink<T>>;
  read(item: T): Promise<Uint8Array>;
  /** A complete copy from an earlier run (same path and size), or null; optional (the CLI's cache has it). */
  cached?(path: string, expectedBytes: number | null): Promise<T | null>;
}

/** Progress of a whole load (all files), bytes. */
export interface TransferProgress {
  /** Bytes received so far, all files. */
  loaded: number;
  /** Bytes expected in all, or null when unknown (no size from the listing or the server). */
  total: number | null;
  /** The file being received (repository path or URL file name). */
  file: string;
  /** Average rate since the start, bytes per second; null in the first half second. */
  bytesPerSecond: number | null;
  /** Seconds left at that rate; null when the total or the rate is unknown. */
  etaSeconds: number | null;
}

/** Counts bytes and estimates the time left (average rate since the first byte; `now` in milliseconds, injectable). */
export class ProgressMeter {
  loaded = 0;
  private start: number | null = null;
  constructor(
    public total: number | null,
    private readonly now: () => number = () => Date.now(),
  ) {}
  add(n: number): void {
    if (this.start === null) this.start = this.now();
    this.loaded += n;
  }
  snapshot(file: string): TransferProgress {
    const elapsed = this.start === null ? 0 : (this.now() - this.start) / 1000;
    const rate = elapsed >= 0.5 && this.loaded > 0 ? this.loaded / elapsed : null;
    const eta = rate && this.total !== null ? Math.max(0, (this.total - this.loaded) / rate) : null;
    return { loaded: this.loaded, total: this.total, file, bytesPerSecond: rate, etaSeconds: eta };
  }
}

/**
 * GETs `url` and streams its body into `sink`. `expectedBytes` (from the listing) is checked at the end; without it
 * the Content-Length is (when the body is not compressed). Throws HubError; the sink is aborted on every failure.
 * @param onBytes called with each chunk's length as it arrives.
 */
export async function downloadTo<T>(
  url: string,
  ctx: RequestContext,
  sink: ByteSink<T>,
  client: HubClient,
  opts: { expectedBytes?: number | null; onBytes?: (n: number) => void } = {},
): Promise<T> {
  const { signal, audience } = client;
  const fetchFn: FetchLike = client.fetch;
  const label = ctx.what === 'file' ? ctx.path : url;
  try {
    if (signal?.aborted) throw cancelledError();
    let res: Response;
    try {
      res = await fetchFn(url, { signal, credentials: 'omit', mode: 'cors', redirect: 'follow' });
    } catch (e) {
      throw networkError(e, url, audience, signal);
    }
    if (!res.ok) throw await responseError(res, ctx, audience);
    const lengthHeader = res.headers.get('Content-Length');
    const compressed = !!res.headers.get('Content-Encoding') && res.headers.get('Content-Encoding') !== 'identity';
    const contentLength = lengthHeader && /^\d+$/.test(lengthHeader) && !compressed ? Number(lengthHeader) : null;
    const expected = opts.expectedBytes ?? contentLength;
    let received = 0;
    if (res.body) {
      const reader = res.body.getReader();
      try {
        for (;;) {
          let r: ReadableStreamReadResult<Uint8Array>;
          try {
            r = await reader.read();
          } catch (e) {
            if (signal?.aborted) throw cancelledError();
            const where = expected !== null ? `${received} of ${expected} bytes` : `${received} bytes`;
            throw new HubError(
              'network',
              `the download of '${label}' from ${hostOf(res.url || url)} broke off after ${where} (${(e as Error).message || 'connection lost'}): check the connection and try again`,
              { url },
            );
          }
          if (r.done) break;
          received += r.value.byteLength;
          if (expected !== null && received > expected)
            throw new HubError(
              'bad-response',
              `'${label}' from ${hostOf(res.url || url)} is longer than the ${expected} bytes announced: refused`,
              { url },
            );
          await sink.write(r.value);
          opts.onBytes?.(r.value.byteLength);
        }
      } catch (e) {
        // Close the connection (a stalled or oversized body must not keep downloading in the background).
        void reader.cancel().catch(() => {});
        throw e;
      }
    }
    if (signal?.aborted) throw cancelledError();
    if (expected !== null && received !== expected)
      throw new HubError(
        'network',
        `the download of '${label}' from ${hostOf(res.url || url)} ended after ${received} of ${expected} bytes: check the connection and try again`,
        { url },
      );
    return await sink.close();
  } catch (e) {
    await sink.abort();
    if (e instanceof HubError) throw e;
    throw networkError(e, url, audience, signal);
  }
}
