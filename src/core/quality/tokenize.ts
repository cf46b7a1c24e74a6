/**
 * Text -> token ids, through @huggingface/tokenizers (the model's own tokenizer.json), with truncation to a
 * max length and right padding for batches. Without a tokenizer: seeded random valid id sequences.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { mulberry32 } from './math.js';

/** The tokenizer files as parsed JSON objects (fetch(...).json() / JSON.parse(readFileSync(...))). */
export interface TokenizerFiles {
  /** tokenizer.json */
  tokenizerJson: object;
  /** tokenizer_config.json (optional: special tokens, model_max_length). */
  tokenizerConfig?: object | null;
}

export interface EncodedText {
  ids: number[];
  typeIds: number[];
  /** True when the text was cut to maxLength. */
  truncated: boolean;
}

export type MaxLengthSource =
  'option' | 'tokenizer.json truncation' | 'tokenizer_config model_max_length' | 'model position table' | 'default';

export interface TextTokenizer {
  encode(text: string): EncodedText;
  /** Token id used for padding. */
  readonly padId: number;
  readonly maxLength: number;
  readonly maxLengthSource: MaxLengthSource;
  /** Notes for the report, e.g. that the max length was capped by the model's position table. */
  readonly notes: string[];
  /** For tests and the UI: id of a token string in the vocabulary. */
  tokenToId(token: string): number | undefined;
}

export interface TokenizerOptions {
  /** Overrides the tokenizer's own max length (in tokens, special tokens included). */
  maxLength?: number;
  /** Rows of the model's position-embedding table; lengths beyond it would fail, so the max length is capped. */
  modelMaxPositions?: number | null;
}

const DEFAULT_MAX_LENGTH = 512;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});
const posInt = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 1e6 ? v : null);

export function resolveMaxLength(
  files: TokenizerFiles | null,
  opts: TokenizerOptions,
): { maxLength: number; source: MaxLengthSource; notes: string[] } {
  const notes: string[] = [];
  let maxLength: number;
  let source: MaxLengthSource;
  const trunc = posInt(obj(obj(files?.tokenizerJson).truncation).max_length);
  const cfg = posInt(obj(files?.tokenizerConfig).model_max_length);
  if (opts.maxLength !== undefined) {
    if (!posInt(opts.maxLength)) throw new RangeError(`maxLength must be a positive integer (got ${opts.maxLength})`);
    maxLength = opts.maxLength;
    source = 'option';
  } else if (trunc) {
    maxLength = trunc;
    source = 'tokenizer.json truncation';
  } else if (cfg) {
    maxLength = cfg;
    source = 'tokenizer_config model_max_length';
  } else if (opts.modelMaxPositions) {
    maxLength = opts.modelMaxPositions;
    source = 'model position table';
  } else {
    maxLength = DEFAULT_MAX_LENGTH;
    source = 'default';
  }
  if (opts.modelMaxPositions && maxLength > opts.modelMaxPositions) {
    notes.push(`max length ${maxLength} (${source}) capped to the model's ${opts.modelMaxPositions} positions`);
    maxLength = opts.modelMaxPositions;
  }
  return { maxLength, source, notes };
}

function sameRun(a: number[], at: number, b: number[]): boolean {
  for (let i = 0; i < b.length; i++) if (a[at + i] !== b[i]) return false;
  return true;
}

export function createTokenizer(files: TokenizerFiles, opts: TokenizerOptions = {}): TextTokenizer {
  const tok = new Tokenizer(files.tokenizerJson, files.tokenizerConfig ?? {});
  const { maxLength, source, notes } = resolveMaxLength(files, opts);
  const padding = obj(obj(files.tokenizerJson).padding);
  const cfgPad = obj(files.tokenizerConfig).pad_token;
  const cfgPadName = typeof cfgPad === 'string' ? cfgPad : typeof obj(cfgPad).content === 'string' ? (obj(cfgPad).content as string) : null;
  const padId =
    (typeof padding.pad_id === 'number' ? padding.pad_id : undefined) ??
    (cfgPadName ? tok.token_to_id(cfgPadName) : undefined) ??
    tok.token_to_id('[PAD]') ??
    tok.token_to_id('<pad>') ??
    0;

  const encode = (text: string): EncodedText => {
    const full = tok.encode(text, { return_token_type_ids: true });
    const ids = full.ids;
    const typeIds = full.token_type_ids ?? new Array<number>(ids.length).fill(0);
    if (ids.length <= maxLength) return { ids, typeIds, truncated: false };
    // Truncate the text part, keep the special tokens the post-processor added around it.
    const body = tok.encode(text, { add_special_tokens: false }).ids;
    const specials = ids.length - body.length;
    const keep = maxLength - specials;
    let at = -1;
    if (specials >= 0 && keep > 0)
      for (let p = 0; p <= specials; p++)
        if (sameRun(ids, p, body)) {
          at = p;
          break;
        }
    if (at < 0) return { ids: ids.slice(0, maxLength), typeIds: typeIds.slice(0, maxLength), truncated: true };
    const end = at + body.length;
    return {
      ids: [...ids.slice(0, at + keep), ...ids.slice(end)],
      typeIds: [...typeIds.slice(0, at + keep), ...typeIds.slice(end)],
      truncated: true,
    };
  };
  return { encode, padId, maxLength, maxLengthSource: source, notes, tokenToId: (t) => tok.token_to_id(t) };
}

/**
 * Seeded random id sequences in [0, vocabSize), for models without a tokenizer. Lengths vary from minLen to
 * maxLen so padding and masking are exercised like with real text.
 */
export function randomTokenSequences(
  count: number,
  vocabSize: number,
  opts: { seed?: number; minLen?: number; maxLen?: number } = {},
): EncodedText[] {
  if (!(vocabSize > 1)) throw new RangeError(`vocabulary size must be > 1 (got ${vocabSize})`);
  const rnd = mulberry32(opts.seed ?? 1234);
  const minLen = Math.max(1, opts.minLen ?? 4);
  const maxLen = Math.max(minLen, opts.maxLen ?? 64);
  const out: EncodedText[] = [];
  for (let i = 0; i < count; i++) {
    const len = minLen + Math.floor(rnd() * (maxLen - minLen + 1));
    const ids: number[] = [];
    for (let t = 0; t < len; t++) ids.push(Math.floor(rnd() * vocabSize));
    out.push({ ids, typeIds: new Array<number>(len).fill(0), truncated: false });
  }
  return out;
}

export interface PaddedBatch {
  batch: number;
  seq: number;
  /** Row-major [batch, seq]. */
  ids: number[];
  mask: number[];
  typeIds: number[];
}

/** Right-pads a batch to its longest sequence. */
export function padBatch(items: readonly EncodedText[], padId: number): PaddedBatch {
  const seq = Math.max(1, ...items.map((e) => e.ids.length));
  const n = items.length * seq;
  const ids = new Array<number>(n).fill(padId);
  const mask = new Array<number>(n).fill(0);
  const typeIds = new Array<number>(n).fill(0);
  items.forEach((e, b) => {
    for (let t = 0; t < e.ids.length; t++) {
      ids[b * seq + t] = e.ids[t]!;
      mask[b * seq + t] = 1;
      typeIds[b * seq + t] = e.typeIds[t] ?? 0;
    }
  });
  return { batch: items.length, seq, ids, mask, typeIds };
}
