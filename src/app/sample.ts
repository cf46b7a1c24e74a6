/**
 * "Try a sample model": all-MiniLM-L6-v2.
 * In dev it comes from the fixtures fetched by `npm run fixtures` (served by the dev-only `/__fixtures/` plugin);
 * a built/hosted copy downloads it from Hugging Face.
 */
export const SAMPLE_MODEL_NAME = 'all-MiniLM-L6-v2';
export const SAMPLE_MODEL_URL = 'https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/main/onnx/model.onnx';
/** File name given to the downloaded sample (shown on its card). */
export const SAMPLE_FILE_NAME = `${SAMPLE_MODEL_NAME}.onnx`;

export interface DownloadProgress {
  loaded: number;
  /** null when the server sent no Content-Length. */
  total: number | null;
}

export class SampleError extends Error {
  override name = 'SampleError';
}

/** The sample's tokenizer (all-MiniLM-L6-v2 has mean pooling, the quality check's default). */
export const SAMPLE_TOKENIZER_URL = 'https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/main/tokenizer.json';

interface DevManifest {
  models: { name: string; kind: string | null; url: string; bytes: number | null; tokenizerUrl?: string | null }[];
}

async function devSampleEntry(signal?: AbortSignal): Promise<DevManifest['models'][number]> {
  let res: Response;
  try {
    res = await fetch('/__fixtures/manifest.json', { signal, cache: 'no-store' });
  } catch (e) {
    throw new SampleError(`Could not reach the dev fixtures server: ${(e as Error).message}`);
  }
  if (!res.ok) {
    throw new SampleError(`No local sample model (${res.status}): run \`npm run fixtures\` to fetch ${SAMPLE_MODEL_NAME}.`);
  }
  const manifest = (await res.json()) as DevManifest;
  const entry =
    manifest.models.find((m) => m.name === SAMPLE_MODEL_NAME) ??
    manifest.models.find((m) => m.name.toLowerCase().includes('minilm-l6') && /\.onnx$/i.test(m.url));
  if (!entry) throw new SampleError(`The fixtures manifest has no ${SAMPLE_MODEL_NAME}: run \`npm run fixtures\`.`);
  return entry;
}

/** Streams a response body into memory, reporting bytes as they arrive. */
async function readBody(res: Response, onProgress?: (p: DownloadProgress) => void): Promise<Uint8Array<ArrayBuffer>> {
  const header = res.headers.get('Content-Length');
  const total = header && /^\d+$/.test(header) ? Number(header) : null;
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  let last = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    const now = Date.now();
    if (onProgress && now - last > 80) {
      last = now;
      onProgress({ loaded, total });
    }
  }
  onProgress?.({ loaded, total });
  const out = new Uint8Array(loaded);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

/** Fetches the sample model as a File. Throws SampleError with a readable message. */
export async function fetchSampleModel(
  opts: { signal?: AbortSignal; onProgress?: (p: DownloadProgress) => void; dev?: boolean } = {},
): Promise<File> {
  const { signal, onProgress, dev = import.meta.env.DEV } = opts;
  const url = dev ? (await devSampleEntry(signal)).url : SAMPLE_MODEL_URL;
  let res: Response;
  try {
    res = await fetch(url, { signal, mode: 'cors', credentials: 'omit' });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new SampleError(
      `Could not download the sample model from ${url} (${(e as Error).message || 'network error'}). ` +
        'Check your connection, or download the .onnx file yourself and drop it here.',
    );
  }
  if (!res.ok) {
    throw new SampleError(`Could not download the sample model from ${url}: HTTP ${res.status} ${res.statusText}`.trim());
  }
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await readBody(res, onProgress);
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new SampleError(`The sample model download from ${url} broke off: ${(e as Error).message}`);
  }
  return new File([bytes], SAMPLE_FILE_NAME, { type: 'application/octet-stream' });
}

/**
 * The sample's tokenizer.json as a File, for the quality check (dev: the fixture's, from /__fixtures/; built copy:
 * Hugging Face). Best effort: without it the check runs on random token ids and says so, so failures give [].
 */
export async function fetchSampleCompanions(opts: { signal?: AbortSignal; dev?: boolean } = {}): Promise<File[]> {
  const { signal, dev = import.meta.env.DEV } = opts;
  try {
    const url = dev ? (await devSampleEntry(signal)).tokenizerUrl : SAMPLE_TOKENIZER_URL;
    if (!url) return [];
    const res = await fetch(url, { signal, mode: 'cors', credentials: 'omit' });
    if (!res.ok) return [];
    return [new File([await res.blob()], 'tokenizer.json', { type: 'application/json' })];
  } catch {
    return [];
  }
}
