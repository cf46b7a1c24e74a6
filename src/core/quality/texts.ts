/**
 * Phase "tokenize": the texts the check embeds, each tokenized once (or random valid token ids without a tokenizer),
 * and which of them the verdict's statistics are over (the chosen probe set; retrieval texts are reported apart).
 */
import type { ProbeSentence, RetrievalSet, SentenceSet } from './probes.js';
import type { CosineBasis } from './report.js';
import { createTokenizer, randomTokenSequences, resolveMaxLength, type EncodedText, type TokenizerFiles } from './tokenize.js';

export interface Item {
  id: string;
  set: string;
  role: 'sentence' | 'document' | 'query' | 'random';
  lang: string | null;
  kind: string | null;
  text: string;
  enc: EncodedText;
}

export interface TextsInput {
  tokenizer: TokenizerFiles | null | undefined;
  sentenceSets: readonly SentenceSet[];
  sentences: readonly (string | ProbeSentence)[];
  retrievalSets: readonly RetrievalSet[];
  /** Explicit max length (special tokens included), else the tokenizer's / the model's. */
  maxLength: number | undefined;
  /** Smallest position table of the two models (null when not found). */
  modelMaxPositions: number | null;
  /** Smallest vocabulary of the two models (random-id mode). */
  vocabSize: number | null;
  randomSequences: number;
  seed: number;
}

export interface Texts {
  items: Item[];
  /** Indices of each retrieval set's documents and queries in `items`. */
  docIndex: Map<string, { docs: number[]; queries: number[] }>;
  /** Indices of the texts the verdict's cosine statistics are over. */
  basis: number[];
  basisInfo: CosineBasis;
  tokenization: { maxLength: number; maxLengthSource: string; padId: number; note: string };
  /** Set when there is nothing the check can embed (the report fails with it). */
  error: string | null;
  /** Retrieval is not measured (random ids): why. */
  retrievalSkipped: string | null;
}

/** Builds and tokenizes every text: sentence sets, pasted sentences ("user"), then each retrieval set's documents and queries. */
export function buildTexts(input: TextsInput): Texts {
  const items: Item[] = [];
  const docIndex = new Map<string, { docs: number[]; queries: number[] }>();
  let tokenization: Texts['tokenization'];
  let retrievalSkipped: string | null = null;
  if (input.tokenizer) {
    const tok = createTokenizer(input.tokenizer, { maxLength: input.maxLength, modelMaxPositions: input.modelMaxPositions });
    const add = (it: Omit<Item, 'enc'>) => items.push({ ...it, enc: tok.encode(it.text) });
    const userSentences: ProbeSentence[] = input.sentences.flatMap((s, i) => {
      if (typeof s !== 'string') return [s];
      const text = s.trim();
      return text ? [{ id: `user-${i + 1}`, text, lang: 'und' }] : [];
    });
    for (const set of input.sentenceSets)
      for (const s of set.sentences) add({ id: s.id, set: set.id, role: 'sentence', lang: s.lang, kind: s.kind ?? null, text: s.text });
    for (const s of userSentences) add({ id: s.id, set: 'user', role: 'sentence', lang: s.lang, kind: s.kind ?? null, text: s.text });
    for (const rs of input.retrievalSets) {
      const docs: number[] = [];
      const queries: number[] = [];
      for (const d of rs.documents) {
        docs.push(items.length);
        add({ id: d.id, set: rs.id, role: 'document', lang: d.lang ?? null, kind: null, text: d.text });
      }
      for (const q of rs.queries) {
        queries.push(items.length);
        add({ id: q.id, set: rs.id, role: 'query', lang: q.lang ?? null, kind: null, text: q.text });
      }
      docIndex.set(rs.id, { docs, queries });
    }
    tokenization = {
      maxLength: tok.maxLength,
      maxLengthSource: tok.maxLengthSource,
      padId: tok.padId,
      note: ["texts tokenized with the model's tokenizer.json (@huggingface/tokenizers)", ...tok.notes].join('; '),
    };
  } else {
    const { maxLength, source } = resolveMaxLength(null, { maxLength: input.maxLength, modelMaxPositions: input.modelMaxPositions });
    tokenization = { maxLength, maxLengthSource: source, padId: 0, note: '' };
    retrievalSkipped = 'no tokenizer: retrieval needs real text';
    if (input.vocabSize === null) {
      const error =
        'no tokenizer was given and the vocabulary size could not be read from the graph (no Gather on input_ids reading an embedding table): add tokenizer.json';
      return { items, docIndex, basis: [], basisInfo: basisOf(items, []), tokenization, error, retrievalSkipped };
    }
    const n = Math.max(1, input.randomSequences);
    const maxLen = Math.min(64, maxLength);
    randomTokenSequences(n, input.vocabSize, { seed: input.seed, minLen: Math.min(4, maxLen), maxLen }).forEach((enc, i) =>
      items.push({
        id: `random-${i + 1}`,
        set: 'random',
        role: 'random',
        lang: null,
        kind: null,
        text: `[random ids #${i + 1}: ${enc.ids.length} tokens]`,
        enc,
      }),
    );
    tokenization.note =
      `NO TOKENIZER: the check fed ${n} random token-id sequences (ids uniform in [0, ${input.vocabSize}), the vocabulary size read from the ` +
      `embedding table; lengths ${Math.min(4, maxLen)}–${maxLen}, seed ${input.seed}). Cosines measure numeric fidelity on unnatural input only; ` +
      'sentence sets, retrieval and the 4-document case were skipped. Add tokenizer.json for a real check.';
  }
  // The verdict is over the chosen sentences (or random ids); retrieval texts only when nothing else was chosen.
  let basis = items.flatMap((it, i) => (it.role === 'sentence' || it.role === 'random' ? [i] : []));
  if (basis.length === 0) basis = items.map((_, i) => i);
  const error = items.length === 0 ? 'nothing to embed: give sentence sets, sentences or retrieval sets' : null;
  return { items, docIndex, basis, basisInfo: basisOf(items, basis), tokenization, error, retrievalSkipped };
}

function basisOf(items: readonly Item[], basis: readonly number[]): CosineBasis {
  const sets = new Map<string, number>();
  for (const i of basis) sets.set(items[i]!.set, (sets.get(items[i]!.set) ?? 0) + 1);
  const list = [...sets].map(([id, texts]) => ({ id, texts }));
  const first = basis.length ? items[basis[0]!]!.role : null;
  const kind: CosineBasis['kind'] =
    first === 'random' ? 'random ids' : first === 'document' || first === 'query' ? 'retrieval texts' : 'probe sentences';
  const apart = items.length - basis.length;
  const parts = list.map((s) => `${s.id} ${s.texts}`).join(', ');
  const description =
    `${basis.length} text${basis.length === 1 ? '' : 's'}${parts ? `: ${parts}` : ''}` +
    (kind === 'retrieval texts' ? ' (no sentences were chosen: the retrieval documents and queries)' : '') +
    (apart > 0 ? ` (retrieval documents and queries reported apart: ${apart})` : '');
  return { kind, sets: list, description };
}
