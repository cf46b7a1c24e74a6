/**
 * Errors across the worker boundary. Comlink re-creates a thrown Error on the page from {name, message, stack},
 * so each worker keeps the names the page classifies as the user's problem (bad input, options, a file the
 * browser cannot read) and turns everything else into "internal error: …".
 */

/** The browser could not give us the file's bytes (moved, permissions, out of memory). */
export class FileReadError extends Error {
  override name = 'FileReadError';
}

export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/** Browser file-reading failures, shown to the user as FileReadError. */
const READ_FAILURES = new Set(['NotReadableError', 'NotFoundError']);

/** An Error safe to throw through comlink: `userErrors` keep their name and message; the rest become internal. */
export function transferableError(e: unknown, userErrors: ReadonlySet<string>): Error {
  const name = e && typeof e === 'object' && 'name' in e ? String((e as { name: unknown }).name) : '';
  if (name === 'FileReadError' || READ_FAILURES.has(name)) {
    const err = new Error(name === 'FileReadError' ? messageOf(e) : `could not read the file: ${messageOf(e)}`);
    err.name = 'FileReadError';
    return err;
  }
  if (userErrors.has(name)) {
    const err = new Error(messageOf(e));
    err.name = name;
    return err;
  }
  const msg = messageOf(e);
  const err = new Error(msg.startsWith('internal error:') ? msg : `internal error: ${msg}`);
  err.name = 'InternalError';
  if (e instanceof Error && e.stack) err.stack = e.stack;
  return err;
}
