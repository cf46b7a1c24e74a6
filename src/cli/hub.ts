/**
 * Model arguments that are a Hugging Face id (`org/name`, `org/name@rev`, `hf:org/name[@rev]`) or a URL: the files
 * are downloaded into a cache folder (AVA_CACHE_DIR, else ~/.cache/ava-quant) laid out like the repository, each
 * written to a temp file and renamed when complete, then the command runs on the local copy (tokenizer and
 * 1_Pooling/config.json are found beside it as for any local model). The Hub is AVA_HF_ENDPOINT or
 * https://huggingface.co. Ctrl-C cancels and leaves no partial file.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve, sep } from 'node:path';
import {
  DEFAULT_HUB_ENDPOINT,
  type FileStore,
  HubError,
  type HubClient,
  type ModelRef,
  describeRef,
  downloadPlan,
  isRepoId,
  offerFor,
  parseModelRef,
  planFromChoice,
} from '../core/hub/index.js';
import { CliError, type CliIo, EXIT, mb } from './io.js';
import { createProgress } from './progress.js';

/** Does this argument name a model on the Hub or at a URL (rather than a local path)? Existing local paths win. */
export function isRemoteModelArg(arg: string): boolean {
  if (existsSync(arg)) return false;
  if (/^hf:/i.test(arg) || /^https?:\/\//i.test(arg)) return true;
  const at = arg.indexOf('@');
  return isRepoId(at >= 0 ? arg.slice(0, at) : arg) && !/\.onnx$/i.test(arg);
}

/** The Hub origin: AVA_HF_ENDPOINT or https://huggingface.co. */
export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const v = env.AVA_HF_ENDPOINT?.trim();
  if (!v) return DEFAULT_HUB_ENDPOINT;
  try {
    const u = new URL(v);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('not http(s)');
    return v.replace(/\/+$/, '');
  } catch {
    throw new CliError(`AVA_HF_ENDPOINT='${v}' is not an http(s) URL`, EXIT.usage);
  }
}

/** AVA_CACHE_DIR, else $XDG_CACHE_HOME/ava-quant, else ~/.cache/ava-quant. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AVA_CACHE_DIR?.trim()) return resolve(env.AVA_CACHE_DIR.trim());
  return join(env.XDG_CACHE_HOME?.trim() || join(homedir(), '.cache'), 'ava-quant');
}

/** Where a reference's files go: hub/<org>/<name>/<revision>/… or url/<host>/<hash of the URL>/…. */
export function cacheFolder(ref: ModelRef, env: NodeJS.ProcessEnv = process.env): string {
  const root = cacheRoot(env);
  if (ref.kind === 'hub') return join(root, 'hub', ...ref.repo.split('/'), encodeURIComponent(ref.revision));
  const u = new URL(ref.url);
  const hash = createHash('sha256').update(ref.url).digest('hex').slice(0, 16);
  return join(root, 'url', encodeURIComponent(u.host), hash);
}

/** Files under `folder` by repository path; temp file + rename, so the cache only ever holds complete files. */
function cacheStore(folder: string): FileStore<string> {
  const target = (path: string) => {
    const p = resolve(folder, ...path.split('/'));
    if (!p.startsWith(resolve(folder) + sep)) throw new HubError('bad-response', `refused to write '${path}' outside the cache folder`);
    return p;
  };
  return {
    async cached(path, expected) {
      const p = target(path);
      try {
        return expected !== null && statSync(p).isFile() && statSync(p).size === expected ? p : null;
      } catch {
        return null;
      }
    },
    async open(path) {
      const final = target(path);
      mkdirSync(dirname(final), { recursive: true });
      const tmp = join(dirname(final), `.${basename(final)}.part-${process.pid}-${Date.now().toString(36)}`);
      let fh: FileHandle | null = await open(tmp, 'wx');
      const closeQuietly = async () => {
        const h = fh;
        fh = null;
        if (h) await h.close().catch(() => {});
      };
      return {
        async write(chunk) {
          let off = 0;
          while (off < chunk.byteLength) off += (await fh!.write(chunk, off, chunk.byteLength - off)).bytesWritten;
        },
        async close() {
          try {
            await fh!.sync();
            await closeQuietly();
            await rename(tmp, final);
          } catch (e) {
            await closeQuietly();
            await unlink(tmp).catch(() => {});
            const code = (e as NodeJS.ErrnoException).code;
            if (code === 'ENOSPC' || code === 'EDQUOT')
              throw new CliError(`disk full while saving ${final} (nothing was kept)`, EXIT.diskFull);
            throw e;
          }
          return final;
        },
        async abort() {
          await closeQuietly();
          await unlink(tmp).catch(() => {});
        },
      };
    },
    async read(item) {
      const b = readFileSync(item);
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    },
  };
}

function toCliError(e: HubError): CliError {
  const code =
    e.kind === 'input' ? EXIT.usage : e.kind === 'not-found' ? EXIT.notFound : e.kind === 'cancelled' ? EXIT.cancelled : EXIT.download;
  return new CliError(e.message, code);
}

export interface ResolveOptions {
  io: CliIo;
  /** `--file`: which .onnx of the repository (default onnx/model.onnx, model.onnx, or the only one). */
  file?: string | null;
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
}

/**
 * The local path for a model argument: the argument itself when it is a local path, else the downloaded model in
 * the cache (with its external data and companions beside it). Throws CliError: 2 bad input or several files to
 * choose from, 3 not found (repository, revision, file), 8 download failed (network, access denied, server), 130
 * cancelled (SIGINT).
 */
export async function resolveModelArg(arg: string, opts: ResolveOptions): Promise<string> {
  if (!isRemoteModelArg(arg)) {
    if (opts.file) throw new CliError('--file chooses a file of a Hugging Face repository; it does not apply to a local path', EXIT.usage);
    return arg;
  }
  const env = opts.env ?? process.env;
  const ctl = new AbortController();
  const onSigint = () => ctl.abort();
  process.once('SIGINT', onSigint);
  const client: HubClient = { fetch: opts.fetch ?? fetch, audience: 'cli', signal: ctl.signal };
  try {
    const ref = parseModelRef(arg, hubEndpoint(env));
    const offer = await offerFor(ref, client, opts.file ?? null);
    let plan;
    if (offer.kind === 'plan') plan = offer.plan;
    else if (offer.preselected) plan = planFromChoice(offer.ref, offer.preselected, offer.listing);
    else {
      const list = offer.choices.map((c) => `${c.model.path} (${mb(c.model.size)})`).join(', ');
      throw new CliError(
        `${describeRef(ref)} has several .onnx files and none is onnx/model.onnx: choose one with --file (${list})`,
        EXIT.usage,
      );
    }
    const folder = cacheFolder(ref, env);
    const progress = createProgress(opts.io, `download ${plan.label}`);
    const loaded = await downloadPlan(plan, cacheStore(folder), client, (p) =>
      progress.update(p.total ? p.loaded / p.total : 0, p.total ? { done: p.loaded, total: p.total } : undefined, p.file),
    );
    progress.update(1);
    progress.finish();
    const all = [loaded.model, ...loaded.externalData, ...loaded.companions];
    const bytes = all.reduce((s, f) => s + statSync(f.item).size, 0);
    opts.io.stderr(`${plan.label}: ${all.map((f) => f.path).join(', ')} (${mb(bytes)}) in ${folder}\n`);
    return loaded.model.item;
  } catch (e) {
    if (e instanceof HubError) throw toCliError(e);
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Takes `--file X` / `--file=X` out of a command's words (the mode parsers do not know it). */
export function takeFileFlag(args: string[]): { args: string[]; file: string | null } {
  const out: string[] = [];
  let file: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--file') {
      const v = args[++i];
      if (v === undefined || v.startsWith('--'))
        throw new CliError('--file needs a path in the repository (e.g. onnx/model_quantized.onnx)', EXIT.usage);
      file = v;
    } else if (a.startsWith('--file=')) file = a.slice(7);
    else out.push(a);
  }
  return { args: out, file };
}
