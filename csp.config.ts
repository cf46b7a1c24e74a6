/**
 * The page's Content-Security-Policy: only the app's own origin, plus the Hugging Face Hub for connections (a model
 * is fetched from huggingface.co, which redirects downloads to its CDN hosts under huggingface.co / hf.co, only when
 * the user loads one by id or presses "Try a sample model"; src/app/hub/hub.ts HUB_CONNECT_SOURCES lists the same hosts).
 * A plain https URL of another host is refused by the browser: the page loads models only from the Hub. No inline
 * script, no eval.
 *  - 'wasm-unsafe-eval': compiling WebAssembly. onnxruntime-web (the quality check) is a WebAssembly build and
 *    hash-wasm (SHA-256 / MD5 of inputs and outputs) compiles its hashers; without it both fail with "Refused to
 *    compile or instantiate WebAssembly module". It does not allow eval() or new Function().
 *  - connect-src blob:: the quality worker hands a model's external-data files to onnxruntime-web as blob: URLs of
 *    the dropped Files, which it fetches (local bytes; a blob: URL is only ever created by this page).
 *  - worker-src 'self': the app's workers (inspect, quantize, quality, hash), onnxruntime-web's threads (its own
 *    .mjs, same origin) and the service worker; no blob: workers.
 *  - object-src 'none', base-uri 'self', form-action 'self'; frame-ancestors 'none' (headers only: a meta tag
 *    cannot carry it).
 * Built index.html carries it as a meta tag (static hosts send no headers); `vite preview` sends it as a header on every
 * response too, which also covers the workers (a worker takes the policy of its own script's response, not the
 * page's meta tag).
 */
/** A build for another Hub (VITE_HF_ENDPOINT, read by src/app/hub/hub.ts) may connect to it too. */
const extraHub = ((): string[] => {
  const e = typeof process !== 'undefined' ? process.env.VITE_HF_ENDPOINT : undefined;
  if (!e) return [];
  try {
    return [new URL(e).origin];
  } catch {
    return [];
  }
})();

export const CSP: Record<string, string[]> = {
  'default-src': ["'self'"],
  'script-src': ["'self'", "'wasm-unsafe-eval'"],
  'worker-src': ["'self'"],
  'connect-src': ["'self'", 'blob:', 'https://huggingface.co', 'https://*.huggingface.co', 'https://hf.co', 'https://*.hf.co', ...extraHub],
  'img-src': ["'self'"],
  'style-src': ["'self'"],
  'font-src': ["'self'"],
  'manifest-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
};

export const cspString = (p: Record<string, string[]>): string =>
  Object.entries(p)
    .map(([k, v]) => `${k} ${v.join(' ')}`)
    .join('; ');
