/**
 * The page's side of loading by Hugging Face id or URL: the Hub origin (VITE_HF_ENDPOINT at build time, default
 * https://huggingface.co), the browser's fetch, and a store that streams each file into a Blob built from chunks
 * (consolidated every few MiB, so the bytes are held once; Chromium keeps large Blobs on disk) and hands back Files
 * that carry their repository path (`all-MiniLM-L6-v2/onnx/model.onnx`), so they join the same flow as a dropped folder.
 * Nothing is fetched until the user presses the button.
 */
import {
  DEFAULT_HUB_ENDPOINT,
  HubError,
  type FileStore,
  type HubClient,
  type LoadedModel,
  type ModelPlan,
  type Offer,
  type TransferProgress,
  downloadPlan,
  offerFor,
  parseModelRef,
} from '../../core/hub/index.js';
import { withRelativePath } from '../quality/companions.js';

/** The Hub this build talks to. */
export const HUB_ENDPOINT: string = ((import.meta.env.VITE_HF_ENDPOINT as string | undefined) || DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');

/**
 * Origins the page may contact for a load by id (for a Content-Security-Policy `connect-src`): the Hub, and the
 * download hosts it redirects large files to (cdn-lfs.hf.co, cas-bridge.xethub.hf.co, us.aws.cdn.hf.co, … all
 * under hf.co). A plain .onnx URL contacts that URL's own host, which a strict policy would have to allow too.
 */
export const HUB_CONNECT_SOURCES: readonly string[] = [HUB_ENDPOINT, 'https://*.hf.co'];

const client = (signal?: AbortSignal): HubClient => ({ fetch: (u, i) => fetch(u, i), audience: 'page', signal });

/** True when the page's Content-Security-Policy (csp.config.ts) lets it fetch `url`: the Hub and its hosts only. */
export function pageMayFetch(url: string): boolean {
  const u = new URL(url);
  const h = u.hostname;
  return (
    u.origin === new URL(HUB_ENDPOINT).origin ||
    (u.protocol === 'https:' && (h === 'huggingface.co' || h.endsWith('.huggingface.co') || h === 'hf.co' || h.endsWith('.hf.co')))
  );
}

/**
 * Parses the input and lists the repository (or returns the plan for a file URL). Throws HubError; a URL on another
 * host is refused before any request (the browser would block it: the page connects to the Hub only).
 */
export function findModels(input: string, signal?: AbortSignal): Promise<Offer> {
  const ref = parseModelRef(input, HUB_ENDPOINT);
  if (ref.kind === 'url' && !pageMayFetch(ref.url))
    return Promise.reject(
      new HubError(
        'input',
        `'${input.trim()}': the page loads models only from ${new URL(HUB_ENDPOINT).host} (it may contact no other host); download the file and drop it here, or give the URL to the command line (ava-quant)`,
      ),
    );
  return offerFor(ref, client(signal));
}

/** Chunks are merged into a Blob part once this many bytes are pending. */
const PART_BYTES = 8 * 1024 * 1024;

/** Files by repository path, each a Blob of Blob parts; `folder` prefixes their relative path. */
export function blobStore(folder: string): FileStore<File> {
  return {
    open(path) {
      let parts: Blob[] = [];
      let pending: Uint8Array<ArrayBuffer>[] = [];
      let pendingBytes = 0;
      const flush = () => {
        if (pending.length) parts.push(new Blob(pending));
        pending = [];
        pendingBytes = 0;
      };
      return {
        write(chunk) {
          pending.push(chunk as Uint8Array<ArrayBuffer>);
          pendingBytes += chunk.byteLength;
          if (pendingBytes >= PART_BYTES) flush();
        },
        async close() {
          flush();
          const name = path.slice(path.lastIndexOf('/') + 1);
          const file = new File(parts, name, { type: /\.json$/i.test(name) ? 'application/json' : 'application/octet-stream' });
          parts = [];
          return withRelativePath(file, folder ? `${folder}/${path}` : path);
        },
        abort() {
          parts = [];
          pending = [];
        },
      };
    },
    async read(file) {
      return new Uint8Array(await file.arrayBuffer());
    },
  };
}

/** Downloads a plan's files as Files (model, its external data, tokenizer/pooling companions). Throws HubError. */
export function downloadModel(
  plan: ModelPlan,
  opts: { signal: AbortSignal; onProgress: (p: TransferProgress) => void },
): Promise<LoadedModel<File>> {
  const folder = plan.ref.kind === 'hub' ? plan.ref.repo.split('/')[1]! : '';
  return downloadPlan(plan, blobStore(folder), client(opts.signal), opts.onProgress);
}
