/**
 * Probe sets: the sentences and the small retrieval collections the check embeds. The app ships them as JSON in
 * public/probes/ (see PROBE_FILES); users can paste their own (sentencesFromStrings / retrievalSetFromStrings).
 */

export interface ProbeSentence {
  id: string;
  text: string;
  /** BCP 47 language tag ("en", "zh", "ja", ...); "und" when unknown. */
  lang: string;
  /** Free-form category: "query", "passage", "number", "code", "negation", ... */
  kind?: string;
}

export interface SentenceSet {
  kind: 'sentences';
  id: string;
  title: string;
  sentences: ProbeSentence[];
}

export interface ProbeDocument {
  id: string;
  text: string;
  lang?: string;
  title?: string;
}

export interface ProbeQuery {
  id: string;
  text: string;
  /** Ids of the documents that answer the query (may be empty for user queries). */
  relevant: string[];
  lang?: string;
}

/** A visible pass/fail case on one query's ranking, e.g. the seed's "AI and ML" must not rank the weather first. */
export interface RetrievalRule {
  query: string;
  /** The top document must not be any of these. */
  notFirst?: string[];
  /** The top document must be one of these. */
  firstOneOf?: string[];
  description?: string;
}

export interface RetrievalSet {
  kind: 'retrieval';
  id: string;
  title: string;
  documents: ProbeDocument[];
  queries: ProbeQuery[];
  rules?: RetrievalRule[];
}

export type ProbeSet = SentenceSet | RetrievalSet;

export interface ProbeBundle {
  sentenceSets: SentenceSet[];
  retrievalSets: RetrievalSet[];
}

/** Files in public/probes/, in the order the default check uses them. */
export const PROBE_FILES = ['en.json', 'multi.json', 'retrieval.json', 'seed-4doc.json'] as const;

export class ProbeFormatError extends Error {
  override name = 'ProbeFormatError';
}

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function str(o: Json, key: string, where: string, optional = false): string | undefined {
  const v = o[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string' || v.trim() === '') throw new ProbeFormatError(`${where}: "${key}" must be a non-empty string`);
  return v;
}

function strList(o: Json, key: string, where: string, optional = false): string[] | undefined {
  const v = o[key];
  if (v === undefined && optional) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    throw new ProbeFormatError(`${where}: "${key}" must be a list of strings`);
  return v as string[];
}

function list(o: Json, key: string, where: string): Json[] {
  const v = o[key];
  if (!Array.isArray(v) || v.length === 0) throw new ProbeFormatError(`${where}: "${key}" must be a non-empty list`);
  return v.map((x, i) => {
    if (!isObj(x)) throw new ProbeFormatError(`${where}: ${key}[${i}] must be an object`);
    return x;
  });
}

function uniqueIds(items: { id: string }[], where: string): void {
  const seen = new Set<string>();
  for (const it of items) {
    if (seen.has(it.id)) throw new ProbeFormatError(`${where}: duplicate id "${it.id}"`);
    seen.add(it.id);
  }
}

/** Validates a parsed probe file (a sentence set or a retrieval set). Extra keys are ignored. */
export function parseProbeSet(json: unknown, source = 'probe set'): ProbeSet {
  if (!isObj(json)) throw new ProbeFormatError(`${source}: not a JSON object`);
  const id = str(json, 'id', source)!;
  const title = str(json, 'title', source, true) ?? id;
  const where = `${source} (${id})`;
  if (json.kind === 'sentences') {
    const sentences = list(json, 'sentences', where).map((s, i): ProbeSentence => {
      const w = `${where} sentences[${i}]`;
      const kind = str(s, 'kind', w, true);
      return { id: str(s, 'id', w)!, text: str(s, 'text', w)!, lang: str(s, 'lang', w)!, ...(kind ? { kind } : {}) };
    });
    uniqueIds(sentences, where);
    return { kind: 'sentences', id, title, sentences };
  }
  if (json.kind === 'retrieval') {
    const documents = list(json, 'documents', where).map((d, i): ProbeDocument => {
      const w = `${where} documents[${i}]`;
      const lang = str(d, 'lang', w, true);
      const t = str(d, 'title', w, true);
      return { id: str(d, 'id', w)!, text: str(d, 'text', w)!, ...(lang ? { lang } : {}), ...(t ? { title: t } : {}) };
    });
    uniqueIds(documents, where);
    const docIds = new Set(documents.map((d) => d.id));
    const known = (ids: string[], w: string) => {
      for (const x of ids) if (!docIds.has(x)) throw new ProbeFormatError(`${w}: unknown document id "${x}"`);
      return ids;
    };
    const queries = list(json, 'queries', where).map((q, i): ProbeQuery => {
      const w = `${where} queries[${i}]`;
      const lang = str(q, 'lang', w, true);
      return { id: str(q, 'id', w)!, text: str(q, 'text', w)!, relevant: known(strList(q, 'relevant', w)!, w), ...(lang ? { lang } : {}) };
    });
    uniqueIds(queries, where);
    const qIds = new Set(queries.map((q) => q.id));
    const rules =
      json.rules === undefined
        ? undefined
        : list(json, 'rules', where).map((r, i): RetrievalRule => {
            const w = `${where} rules[${i}]`;
            const query = str(r, 'query', w)!;
            if (!qIds.has(query)) throw new ProbeFormatError(`${w}: unknown query id "${query}"`);
            const notFirst = strList(r, 'notFirst', w, true);
            const firstOneOf = strList(r, 'firstOneOf', w, true);
            const description = str(r, 'description', w, true);
            if (!notFirst && !firstOneOf) throw new ProbeFormatError(`${w}: needs "notFirst" or "firstOneOf"`);
            return {
              query,
              ...(notFirst ? { notFirst: known(notFirst, w) } : {}),
              ...(firstOneOf ? { firstOneOf: known(firstOneOf, w) } : {}),
              ...(description ? { description } : {}),
            };
          });
    return { kind: 'retrieval', id, title, documents, queries, ...(rules ? { rules } : {}) };
  }
  throw new ProbeFormatError(`${where}: "kind" must be "sentences" or "retrieval"`);
}

/**
 * Loads and validates the shipped probe files through a reader the caller supplies:
 *   browser/worker: loadProbes((f) => fetch(`${import.meta.env.BASE_URL}probes/${f}`).then((r) => r.json()))
 *   node:           loadProbes(async (f) => JSON.parse(await readFile(`public/probes/${f}`, 'utf8')))
 */
export async function loadProbes(read: (file: string) => Promise<unknown>, files: readonly string[] = PROBE_FILES): Promise<ProbeBundle> {
  const sets = await Promise.all(files.map(async (f) => parseProbeSet(await read(f), f)));
  return {
    sentenceSets: sets.filter((s): s is SentenceSet => s.kind === 'sentences'),
    retrievalSets: sets.filter((s): s is RetrievalSet => s.kind === 'retrieval'),
  };
}

/** A sentence set from pasted text (one sentence per entry; blank entries dropped). */
export function sentencesFromStrings(texts: readonly string[], id = 'user', lang = 'und'): SentenceSet {
  const sentences = texts
    .map((t) => t.trim())
    .filter((t) => t.length > 0)
    .map((text, i) => ({ id: `${id}-${i + 1}`, text, lang }));
  return { kind: 'sentences', id, title: 'Your sentences', sentences };
}

/** A retrieval set from pasted documents and queries (no relevance labels: overlap and rank correlation only). */
export function retrievalSetFromStrings(documents: readonly string[], queries: readonly string[], id = 'user-retrieval'): RetrievalSet {
  const clean = (xs: readonly string[]) => xs.map((t) => t.trim()).filter((t) => t.length > 0);
  return {
    kind: 'retrieval',
    id,
    title: 'Your documents',
    documents: clean(documents).map((text, i) => ({ id: `doc-${i + 1}`, text })),
    queries: clean(queries).map((text, i) => ({ id: `query-${i + 1}`, text, relevant: [] })),
  };
}

/**
 * The quick check's texts (run by itself after a quantize: seconds, not minutes): every sentence set thinned to
 * about `sentences` texts in all (evenly spaced, so every kind of text stays in), and every retrieval set whole (the
 * "same top result for N of N searches" answer needs all its queries). Set ids are kept, with "(quick)" in titles.
 */
export function quickSelection(bundle: ProbeBundle, sentences = 24): ProbeBundle {
  const total = bundle.sentenceSets.reduce((a, s) => a + s.sentences.length, 0);
  const keep = Math.min(1, Math.max(0, sentences) / Math.max(1, total));
  return {
    sentenceSets: bundle.sentenceSets.map((s) => {
      const n = Math.max(1, Math.round(s.sentences.length * keep));
      const step = s.sentences.length / n;
      const picked = Array.from({ length: Math.min(n, s.sentences.length) }, (_, i) => s.sentences[Math.floor(i * step)]!);
      return { ...s, title: `${s.title} (quick)`, sentences: picked };
    }),
    retrievalSets: bundle.retrievalSets,
  };
}
