/**
 * What the user typed: a Hugging Face model id (`org/name`, `org/name@rev`, `hf:org/name[@rev]`), a Hub URL
 * (`https://huggingface.co/org/name`, `…/tree/<rev>`, `…/blob|resolve/<rev>/<path>`), or any https URL of a
 * `.onnx` file. Pure parsing, no network.
 */
import { HubError } from './errors.js';

/** The public Hub. The CLI overrides it with AVA_HF_ENDPOINT, the page with VITE_HF_ENDPOINT at build time. */
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

/** Hosts that are the public Hub whatever the configured endpoint. */
const PUBLIC_HUB_HOSTS = new Set(['huggingface.co', 'www.huggingface.co', 'hf.co']);

export const DEFAULT_REVISION = 'main';

export type ModelRef =
  | {
      kind: 'hub';
      /** Origin of the Hub, no trailing slash. */
      endpoint: string;
      /** `org/name`. */
      repo: string;
      /** Branch, tag or commit (may contain `/`, e.g. `refs/pr/1`). */
      revision: string;
      /** A file in the repository the input pointed at (a `/blob/` or `/resolve/` URL), else null. */
      file: string | null;
    }
  | { kind: 'url'; url: string; /** Last path segment, decoded. */ fileName: string };

/**
 * A repository id as the Hub accepts it: one `org/` then the name; letters, digits, `-`, `_`, `.`; no `--` or `..`;
 * not starting or ending with `-` or `.`; at most 96 characters (huggingface_hub `validate_repo_id`).
 */
export function isRepoId(s: string): boolean {
  if (s.length > 96 || s.includes('--') || s.includes('..')) return false;
  const parts = s.split('/');
  return parts.length === 2 && parts.every((p) => /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/.test(p));
}

function trimEndpoint(endpoint: string): string {
  return endpoint.replace(/\/+$/, '');
}

/** Loopback hosts may be plain http (local mirrors, tests); everything else must be https. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host.endsWith('.localhost');
}

const usage = (input: string) =>
  new HubError(
    'input',
    `'${input.length > 120 ? `${input.slice(0, 117)}…` : input}' is not a Hugging Face model id (org/name, org/name@revision, hf:org/name) or an https URL of an .onnx file`,
  );

function parseIdWithRevision(s: string, input: string, endpoint: string): ModelRef {
  const at = s.indexOf('@');
  const repo = at >= 0 ? s.slice(0, at) : s;
  const revision = at >= 0 ? s.slice(at + 1) : DEFAULT_REVISION;
  if (!isRepoId(repo)) throw usage(input);
  if (!revision || /\s/.test(revision)) throw new HubError('input', `'${input}': the revision after @ is empty or has spaces`);
  return { kind: 'hub', endpoint, repo, revision, file: null };
}

function decode(seg: string, input: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    throw usage(input);
  }
}

/** A Hub URL's repository, revision and file, or null when the path is not one of the Hub's forms. */
function hubUrlRef(url: URL, endpoint: string, input: string): ModelRef | null {
  const segs = url.pathname.split('/').filter(Boolean);
  if (segs[0] === 'models') segs.shift();
  const [org, name, verb, rev, ...rest] = segs;
  const repo = org && name ? `${decode(org, input)}/${decode(name, input)}` : '';
  if (!isRepoId(repo)) return null;
  if (!verb) return { kind: 'hub', endpoint, repo, revision: DEFAULT_REVISION, file: null };
  if (!rev || !['tree', 'blob', 'resolve'].includes(verb)) return null;
  const revision = decode(rev, input);
  if (verb === 'tree') return { kind: 'hub', endpoint, repo, revision, file: null };
  const file = rest.map((s) => decode(s, input)).join('/');
  if (!/\.onnx$/i.test(file))
    throw new HubError(
      'input',
      `'${input}' points at ${file ? `'${file}'` : 'a folder'}, not an .onnx file: give the repository (org/name) or an .onnx file's URL`,
    );
  return { kind: 'hub', endpoint, repo, revision, file };
}

/**
 * Parses the user's input. Throws HubError('input') with a message saying what is accepted.
 * @param endpoint the Hub origin to use for ids (default https://huggingface.co); URLs on this origin or on the
 *   public Hub's hosts are read as Hub URLs.
 */
export function parseModelRef(rawInput: string, endpoint: string = DEFAULT_HUB_ENDPOINT): ModelRef {
  const input = rawInput.trim();
  const ep = trimEndpoint(endpoint);
  if (!input) throw new HubError('input', 'type a Hugging Face model id (org/name) or the URL of an .onnx file');
  if (/^hf:/i.test(input)) return parseIdWithRevision(input.slice(3).replace(/^\/+/, ''), input, ep);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) return parseIdWithRevision(input, input, ep);

  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw usage(input);
  }
  let epUrl: URL | null = null;
  try {
    epUrl = new URL(ep);
  } catch {
    /* a bad endpoint only matters for ids */
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && (isLoopback(url.hostname) || url.origin === epUrl?.origin)))
    throw new HubError('input', `'${input}': only https URLs are fetched (http only from this machine)`);
  if (url.username || url.password) throw new HubError('input', `'${input}': URLs with a user name or password are not fetched`);

  const onHub = url.origin === epUrl?.origin || PUBLIC_HUB_HOSTS.has(url.hostname);
  if (onHub) {
    const hubRef = hubUrlRef(url, url.origin === epUrl?.origin ? ep : DEFAULT_HUB_ENDPOINT, input);
    if (hubRef) return hubRef;
    // Another URL on the Hub's host (a CDN-style path): fine when it is an .onnx file, like any URL.
    if (!/\.onnx$/i.test(url.pathname)) throw usage(input);
  }
  const last = url.pathname.split('/').pop() ?? '';
  const fileName = decode(last, input);
  if (!/\.onnx$/i.test(fileName))
    throw new HubError('input', `'${input}' does not end in .onnx: give the URL of an .onnx file, or a Hugging Face model id`);
  return { kind: 'url', url: url.href, fileName };
}

/** `org/name@rev` (or the URL) as shown to the user. */
export function describeRef(ref: ModelRef): string {
  return ref.kind === 'url' ? ref.url : `${ref.repo}${ref.revision === DEFAULT_REVISION ? '' : `@${ref.revision}`}`;
}

/** Percent-encodes each segment of a repository path (`onnx/model.onnx`), keeping the slashes. */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** `{endpoint}/{repo}/resolve/{revision}/{path}`: the download URL of a file (the Hub redirects big files to its CDN). */
export function resolveUrl(ref: Extract<ModelRef, { kind: 'hub' }>, path: string): string {
  return `${ref.endpoint}/${ref.repo}/resolve/${encodeURIComponent(ref.revision)}/${encodePath(path)}`;
}

/** `{endpoint}/api/models/{repo}/tree/{revision}?recursive=true`: the file listing (huggingface_hub `list_repo_tree`). */
export function treeUrl(ref: Extract<ModelRef, { kind: 'hub' }>): string {
  return `${ref.endpoint}/api/models/${ref.repo}/tree/${encodeURIComponent(ref.revision)}?recursive=true`;
}
