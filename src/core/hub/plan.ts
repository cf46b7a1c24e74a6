/**
 * From a parsed input to downloaded files: list the repository (Hub) or take the URL, pick the `.onnx` file, then
 * download it, the external-data files the model itself names (its `external_data` locations, resolved against the
 * model's folder; `../` and absolute locations refused), and the tokenizer/pooling companions.
 */
import { type HubClient, type RepoFile, listRepoFiles } from './api.js';
import { type ByteSink, type FileStore, ProgressMeter, type TransferProgress, downloadTo } from './download.js';
import { HubError } from './errors.js';
import { type ModelRef, describeRef, resolveUrl } from './ref.js';
import { COMPANION_FILES, type OnnxChoice, defaultChoice, onnxChoices } from './select.js';
import { OnnxFormatError, inspectModel } from '../onnx/index.js';

export interface PlannedFile {
  /** Path in the repository (`onnx/model.onnx`), or the file name for a plain URL. */
  path: string;
  url: string;
  /** Bytes, when the listing says. */
  size: number | null;
}

export interface ModelPlan {
  ref: ModelRef;
  /** `org/name@rev` or the URL, for messages. */
  label: string;
  model: PlannedFile;
  /** Probable external-data files (by name) for the size estimate; the model's own locations decide. */
  dataGuess: PlannedFile[];
  companions: PlannedFile[];
  /** The repository's files (null for a plain URL): external data the model names must be among them. */
  listing: RepoFile[] | null;
}

export interface Downloaded<T> {
  path: string;
  item: T;
}

export interface LoadedModel<T> {
  model: Downloaded<T>;
  externalData: Downloaded<T>[];
  companions: Downloaded<T>[];
}

const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');

function planned(ref: Extract<ModelRef, { kind: 'hub' }>, f: RepoFile): PlannedFile {
  return { path: f.path, url: resolveUrl(ref, f.path), size: f.size };
}

/** The plan for one of a repository's `.onnx` files. */
export function planFromChoice(ref: Extract<ModelRef, { kind: 'hub' }>, choice: OnnxChoice, listing: RepoFile[]): ModelPlan {
  return {
    ref,
    label: describeRef(ref),
    model: planned(ref, choice.model),
    dataGuess: choice.dataFiles.map((f) => planned(ref, f)),
    companions: choice.companions.map((f) => planned(ref, f)),
    listing,
  };
}

/** The plan for a plain `.onnx` URL: the file alone (and later the external data it names, beside it). */
export function planFromUrl(ref: Extract<ModelRef, { kind: 'url' }>): ModelPlan {
  return { ref, label: ref.url, model: { path: ref.fileName, url: ref.url, size: null }, dataGuess: [], companions: [], listing: null };
}

/** What a repository offers, or the single file of a URL. */
export type Offer =
  | { kind: 'choose'; ref: Extract<ModelRef, { kind: 'hub' }>; choices: OnnxChoice[]; listing: RepoFile[]; preselected: OnnxChoice | null }
  | { kind: 'plan'; plan: ModelPlan };

/**
 * Lists a repository and returns its `.onnx` choices (with the default preselected), or directly a plan when the
 * input named a file (a `/blob/…/x.onnx` URL, `wanted`) or is a plain URL. Throws HubError.
 */
export async function offerFor(ref: ModelRef, client: HubClient, wanted?: string | null): Promise<Offer> {
  if (ref.kind === 'url') return { kind: 'plan', plan: planFromUrl(ref) };
  const listing = await listRepoFiles(ref, client);
  const choices = onnxChoices(listing);
  const want = wanted ?? ref.file;
  const preselected = defaultChoice(choices, `'${describeRef(ref)}'`, want);
  if (want && preselected) return { kind: 'plan', plan: planFromChoice(ref, preselected, listing) };
  return { kind: 'choose', ref, choices, listing, preselected };
}

/** Relative, inside the model's folder: no absolute paths, drive letters, backslashes or `..` (onnx's own rule). */
export function checkLocation(location: string): string {
  const clean = location.replace(/^\.\/+/, '');
  if (
    !clean ||
    /^[/\\]/.test(clean) ||
    /^[A-Za-z]:/.test(clean) ||
    clean.includes('\\') ||
    clean.split('/').some((s) => s === '..' || s === '')
  )
    throw new HubError('bad-response', `the model names its external data at '${location}', outside its own folder: refused`);
  return clean;
}

/** The distinct external-data locations a model names (empty when it has none or is not a readable model). */
export function externalDataLocations(bytes: Uint8Array): string[] {
  try {
    return [...new Set(inspectModel(bytes, { fileName: 'model.onnx' }).externalData.map((r) => r.location))];
  } catch (e) {
    if (e instanceof OnnxFormatError) return []; // the model card names the format problem
    throw e;
  }
}

const COMPANION_NAMES = new Set(COMPANION_FILES.map((c) => c.split('/').pop()!));

/** Could the model have external data? Only then is the downloaded model read back to find its locations. */
function mayHaveExternalData(plan: ModelPlan): boolean {
  if (!plan.listing) return true;
  const dir = dirOf(plan.model.path);
  return plan.listing.some((f) => {
    if (f.path === plan.model.path || !f.path.startsWith(dir ? `${dir}/` : '')) return false;
    const name = f.path.slice(f.path.lastIndexOf('/') + 1).toLowerCase();
    return (
      !/\.(onnx|md|txt|json|py|gitattributes|png|jpe?g|safetensors|pt|pth|h5|msgpack|ot|gguf|ckpt)$/.test(name) &&
      !COMPANION_NAMES.has(name) &&
      !name.startsWith('.')
    );
  });
}

/**
 * Downloads a plan's files into `store`: the model, then the external data it names, then the companions.
 * Progress covers all files (bytes and ETA). Throws HubError (`cancelled` when `client.signal` aborts); files
 * already finished stay in the store (the CLI's cache keeps them; the page drops them).
 */
export async function downloadPlan<T>(
  plan: ModelPlan,
  store: FileStore<T>,
  client: HubClient,
  onProgress?: (p: TransferProgress) => void,
  now?: () => number,
): Promise<LoadedModel<T>> {
  const known = [plan.model, ...plan.dataGuess, ...plan.companions];
  const meter = new ProgressMeter(known.every((f) => f.size !== null) ? known.reduce((s, f) => s + f.size!, 0) : null, now);
  const fetchOne = async (f: PlannedFile): Promise<Downloaded<T>> => {
    const hit = await store.cached?.(f.path, f.size);
    if (hit !== undefined && hit !== null) {
      meter.add(f.size ?? 0);
      onProgress?.(meter.snapshot(f.path));
      return { path: f.path, item: hit };
    }
    onProgress?.(meter.snapshot(f.path));
    const sink: ByteSink<T> = await store.open(f.path, f.size);
    const item = await downloadTo(f.url, { what: 'file', ref: plan.ref, path: f.path }, sink, client, {
      expectedBytes: f.size,
      onBytes: (n) => {
        meter.add(n);
        onProgress?.(meter.snapshot(f.path));
      },
    });
    return { path: f.path, item };
  };

  const model = await fetchOne(plan.model);
  const externalData: Downloaded<T>[] = [];
  if (mayHaveExternalData(plan)) {
    const locations = externalDataLocations(await store.read(model.item)).map(checkLocation);
    const dir = dirOf(plan.model.path);
    const byPath = new Map((plan.listing ?? []).map((f) => [f.path, f]));
    const files: PlannedFile[] = locations.map((loc) => {
      const path = dir ? `${dir}/${loc}` : loc;
      if (plan.ref.kind === 'url')
        return { path: loc, url: new URL(loc.split('/').map(encodeURIComponent).join('/'), plan.ref.url).href, size: null };
      const listed = byPath.get(path);
      if (!listed)
        throw new HubError('not-found', `${plan.model.path} keeps weights in '${loc}', but ${plan.label} has no file '${path}'`, {
          what: 'file',
        });
      return planned(plan.ref, listed);
    });
    // The exact total now that the model has said which data files it needs.
    const sizes = [plan.model, ...files, ...plan.companions].map((f) => f.size);
    meter.total = sizes.every((s) => s !== null) ? (sizes as number[]).reduce((a, b) => a + b, 0) : null;
    for (const f of files) externalData.push(await fetchOne(f));
  } else if (meter.total !== null) {
    meter.total -= plan.dataGuess.reduce((s, f) => s + (f.size ?? 0), 0);
  }
  const companions: Downloaded<T>[] = [];
  for (const f of plan.companions) companions.push(await fetchOne(f));
  return { model, externalData, companions };
}
