/**
 * Errors of loading a model from the Hugging Face Hub or a URL. Every message says what failed and what to do;
 * `kind` lets the page and the CLI react (exit code, wording) without parsing text.
 */

/**
 * - `input`: the text is not a model id or an .onnx URL;
 * - `not-found`: 404 (no such repository, revision or file; `what` says which);
 * - `access`: 401/403 (private or gated repository: the tool sends no credentials);
 * - `network`: the server could not be reached, the browser blocked the response (CORS), or the body broke off;
 * - `http`: any other HTTP failure (5xx, 429, …);
 * - `bad-response`: the server answered something that is not what the Hub API sends, or fewer bytes than promised;
 * - `cancelled`: the user cancelled (AbortSignal).
 */
export type HubErrorKind = 'input' | 'not-found' | 'access' | 'network' | 'http' | 'bad-response' | 'cancelled';

/** Who reads the message: the page (drop the files) or the CLI (pass a local path). */
export type Audience = 'page' | 'cli';

export class HubError extends Error {
  override name = 'HubError';
  constructor(
    readonly kind: HubErrorKind,
    message: string,
    readonly detail: { status?: number; url?: string; what?: 'repository' | 'revision' | 'file' } = {},
  ) {
    super(message);
  }
}

/** The way out when the tool cannot fetch the files itself. */
export function selfDownloadAdvice(audience: Audience): string {
  return audience === 'cli'
    ? 'download the files yourself and pass the local .onnx path'
    : 'download the files yourself and drop them here';
}

/** The cancellation error (also what an AbortSignal's abort turns into). */
export const cancelledError = (): HubError => new HubError('cancelled', 'download cancelled');

/** Host (with port) of a URL, for messages; the input itself when it does not parse. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * A fetch that threw (no response): cancelled when the signal says so, else a network failure. In a browser a CORS
 * refusal and an unreachable host look the same (a TypeError with no detail), so the message names both; Node's
 * fetch (undici) puts the system error in `cause` (ECONNREFUSED, ENOTFOUND, …), which the message then shows.
 */
export function networkError(e: unknown, url: string, audience: Audience, signal?: AbortSignal): HubError {
  if (signal?.aborted || (e instanceof Error && e.name === 'AbortError')) return cancelledError();
  if (e instanceof HubError) return e;
  const cause = (e as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : null;
  const host = hostOf(url);
  const message =
    audience === 'cli'
      ? `could not reach ${host}${code ? ` (${code})` : ''}: check the connection${code === 'ECONNREFUSED' || code === 'ENOTFOUND' ? ' and AVA_HF_ENDPOINT' : ''}, or ${selfDownloadAdvice(audience)}`
      : `the browser could not reach ${host} (no connection, or the server does not allow this page to read it: CORS); check the connection, or ${selfDownloadAdvice(audience)}`;
  return new HubError('network', message, { url });
}
