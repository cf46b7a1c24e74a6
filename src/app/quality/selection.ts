/**
 * What the check embeds: the shipped probe sets (public/probes/*.json, fetched relative to the page so a copy served
 * from a sub-path works) and the user's pasted sentences / documents / queries.
 */
import { COSINE_BAR_RANGE, loadProbes, retrievalSetFromStrings, type RetrievalSet, type SentenceSet } from '../../core/quality/index.js';
import { numberRangeProblem, numberRangeText } from '../../core/modes/options.js';

export interface ProbeChoice {
  file: string;
  label: string;
  hint: string;
}

export const PROBE_CHOICES: readonly ProbeChoice[] = [
  { file: 'en.json', label: 'English', hint: '107 sentences: queries, passages, numbers, code, negation' },
  { file: 'multi.json', label: 'Multilingual', hint: '112 sentences in 14 languages (de, fr, es, zh, ja, ar, hi, …)' },
  { file: 'retrieval.json', label: 'Retrieval', hint: '52 documents, 21 queries (overlap@k, Spearman, MRR)' },
  { file: 'seed-4doc.json', label: 'Seed 4-doc', hint: '"AI and ML" must not rank the weather document first' },
];

export interface SelectionForm {
  /** Checked probe files. */
  probes: string[];
  /** One sentence per line. */
  sentences: string;
  /** One document per line. */
  documents: string;
  /** One query per line. */
  queries: string;
  threshold: string;
}

export const defaultForm = (): SelectionForm => ({
  probes: PROBE_CHOICES.map((p) => p.file),
  sentences: '',
  documents: '',
  queries: '',
  threshold: '0.95',
});

const FORM_KEY = 'ava-quality-form';

/** The last form used (localStorage), so a reload shows the same selection (and so its cached reports). */
export function loadForm(): SelectionForm {
  const d = defaultForm();
  try {
    const raw = JSON.parse(localStorage.getItem(FORM_KEY) ?? 'null') as Partial<SelectionForm> | null;
    if (!raw || typeof raw !== 'object') return d;
    const str = (v: unknown, dflt: string) => (typeof v === 'string' ? v : dflt);
    const known = new Set(PROBE_CHOICES.map((p) => p.file));
    return {
      probes: Array.isArray(raw.probes) ? raw.probes.filter((x): x is string => typeof x === 'string' && known.has(x)) : d.probes,
      sentences: str(raw.sentences, ''),
      documents: str(raw.documents, ''),
      queries: str(raw.queries, ''),
      threshold: str(raw.threshold, d.threshold),
    };
  } catch {
    return d;
  }
}

export function loadGpuChoice(): boolean | null {
  try {
    const v = (JSON.parse(localStorage.getItem(FORM_KEY) ?? 'null') as { webgpu?: unknown } | null)?.webgpu;
    return typeof v === 'boolean' ? v : null;
  } catch {
    return null;
  }
}

/** Best effort: a full or blocked localStorage only means the form is not remembered. */
export function saveForm(formJson: string, webgpu: boolean | null): void {
  try {
    localStorage.setItem(FORM_KEY, JSON.stringify({ ...(JSON.parse(formJson) as object), webgpu }));
  } catch {
    /* not remembered */
  }
}

export const lines = (text: string): string[] =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);

export interface Selection {
  probes: string[];
  sentences: string[];
  documents: string[];
  queries: string[];
  threshold: number;
}

/** Validates the form; returns what to run or the problems to show next to the fields. */
export function readForm(f: SelectionForm): { ok: true; selection: Selection } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const threshold = Number(f.threshold.trim());
  if (f.threshold.trim() === '' || !Number.isFinite(threshold) || numberRangeProblem(COSINE_BAR_RANGE, threshold, 'Threshold'))
    errors.push(`Threshold must be a number ${numberRangeText(COSINE_BAR_RANGE)} (e.g. 0.95).`);
  const sentences = lines(f.sentences);
  const documents = lines(f.documents);
  const queries = lines(f.queries);
  if (documents.length > 0 && documents.length < 2) errors.push('Give at least 2 documents (one per line) to measure retrieval.');
  if (documents.length > 0 && queries.length === 0) errors.push('Give at least one query (one per line) for your documents.');
  if (queries.length > 0 && documents.length === 0) errors.push('Your queries need documents to rank (one per line).');
  if (f.probes.length === 0 && sentences.length === 0 && documents.length === 0)
    errors.push('Choose at least one probe set, or paste your own sentences.');
  if (errors.length) return { ok: false, errors };
  const known = new Set(PROBE_CHOICES.map((p) => p.file));
  return {
    ok: true,
    selection: {
      probes: PROBE_CHOICES.map((p) => p.file).filter((x) => f.probes.includes(x) && known.has(x)),
      sentences,
      documents,
      queries,
      threshold,
    },
  };
}

/** The pasted texts as one canonical string (hashed into the cache key); "" when there are none. */
export function userTextsCanonical(s: Selection): string {
  if (!s.sentences.length && !s.documents.length && !s.queries.length) return '';
  return JSON.stringify({ sentences: s.sentences, documents: s.documents, queries: s.queries });
}

const fetched = new Map<string, Promise<unknown>>();

/** URL of a shipped probe file, relative to the page (works from any sub-path). */
export function probeUrl(file: string, base: string = document.baseURI): string {
  return new URL(`probes/${encodeURIComponent(file)}`, base).href;
}

export async function readProbe(file: string): Promise<unknown> {
  let p = fetched.get(file);
  if (!p) {
    p = fetch(probeUrl(file)).then(async (r) => {
      if (!r.ok) throw new Error(`could not load the probe set ${file}: HTTP ${r.status}`);
      return r.json() as Promise<unknown>;
    });
    fetched.set(file, p);
    p.catch(() => fetched.delete(file));
  }
  return p;
}

/** The sets to embed for a selection (shipped files validated by the core's parser). */
export async function resolveSelection(s: Selection): Promise<{ sentenceSets: SentenceSet[]; retrievalSets: RetrievalSet[] }> {
  const bundle = await loadProbes(readProbe, s.probes);
  const retrievalSets = [...bundle.retrievalSets];
  if (s.documents.length >= 2 && s.queries.length >= 1) retrievalSets.push(retrievalSetFromStrings(s.documents, s.queries));
  return { sentenceSets: bundle.sentenceSets, retrievalSets };
}
