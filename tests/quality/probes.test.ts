import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  PROBE_FILES,
  ProbeFormatError,
  parseProbeSet,
  retrievalSetFromStrings,
  sentencesFromStrings,
  type RetrievalSet,
  type SentenceSet,
} from '../../src/core/quality/index.js';
import { PROBES_DIR, probes } from './helpers.js';

const raw = (f: string) => JSON.parse(readFileSync(path.join(PROBES_DIR, f), 'utf8')) as unknown;

describe('shipped probe sets (public/probes)', () => {
  it('all four files load and validate', async () => {
    const b = await probes();
    expect(PROBE_FILES).toEqual(['en.json', 'multi.json', 'retrieval.json', 'seed-4doc.json']);
    expect(b.sentenceSets.map((s) => s.id)).toEqual(['en', 'multi']);
    expect(b.retrievalSets.map((s) => s.id)).toEqual(['retrieval', 'seed-4doc']);
  });

  it('en.json: >= 100 English sentences of every kind, short and long', () => {
    const s = parseProbeSet(raw('en.json')) as SentenceSet;
    expect(s.sentences.length).toBeGreaterThanOrEqual(100);
    expect(s.sentences.every((x) => x.lang === 'en')).toBe(true);
    const kinds = new Set(s.sentences.map((x) => x.kind));
    for (const k of ['query', 'passage', 'number', 'code', 'negation']) expect(kinds).toContain(k);
    expect(s.sentences.filter((x) => x.kind === 'passage').every((x) => x.text.split(' ').length >= 30)).toBe(true);
    expect(s.sentences.filter((x) => x.kind === 'query').every((x) => x.text.split(' ').length <= 8)).toBe(true);
    expect(s.sentences.filter((x) => x.kind === 'number').every((x) => /\d/.test(x.text))).toBe(true);
    expect(new Set(s.sentences.map((x) => x.text)).size).toBe(s.sentences.length);
  });

  it('multi.json: >= 10 languages incl. Chinese and Japanese, >= 8 sentences each, in the right script', () => {
    const s = parseProbeSet(raw('multi.json')) as SentenceSet;
    const by = new Map<string, string[]>();
    for (const x of s.sentences) by.set(x.lang, [...(by.get(x.lang) ?? []), x.text]);
    expect(by.size).toBeGreaterThanOrEqual(10);
    for (const [, texts] of by) expect(texts.length).toBeGreaterThanOrEqual(8);
    const script: Record<string, RegExp> = {
      zh: /\p{Script=Han}/u,
      ja: /[\p{Script=Hiragana}\p{Script=Katakana}]/u,
      ko: /\p{Script=Hangul}/u,
      ru: /\p{Script=Cyrillic}/u,
      ar: /\p{Script=Arabic}/u,
      hi: /\p{Script=Devanagari}/u,
    };
    expect(by.has('zh') && by.has('ja')).toBe(true);
    for (const [lang, re] of Object.entries(script)) if (by.has(lang)) for (const t of by.get(lang)!) expect(t).toMatch(re);
  });

  it('retrieval.json: >= 50 documents, >= 15 queries, each with relevant ids that exist', () => {
    const r = parseProbeSet(raw('retrieval.json')) as RetrievalSet;
    expect(r.documents.length).toBeGreaterThanOrEqual(50);
    expect(r.queries.length).toBeGreaterThanOrEqual(15);
    const ids = new Set(r.documents.map((d) => d.id));
    for (const q of r.queries) {
      expect(q.relevant.length).toBeGreaterThan(0);
      for (const id of q.relevant) expect(ids).toContain(id);
    }
  });

  it('seed-4doc.json: ML, AI, weather, cooking; "AI and ML" must not rank the weather first', () => {
    const r = parseProbeSet(raw('seed-4doc.json')) as RetrievalSet;
    expect(r.documents.map((d) => d.id)).toEqual(['doc-ml', 'doc-ai', 'doc-weather', 'doc-cooking']);
    expect(r.queries).toHaveLength(1);
    expect(r.queries[0]!.text).toBe('AI and ML');
    expect(r.rules).toEqual([expect.objectContaining({ query: r.queries[0]!.id, notFirst: ['doc-weather'] })]);
  });
});

describe('probe validation and user input', () => {
  const good = {
    kind: 'retrieval',
    id: 'x',
    documents: [
      { id: 'a', text: 'A' },
      { id: 'b', text: 'B' },
    ],
    queries: [{ id: 'q', text: 'Q', relevant: ['a'] }],
  };
  it('rejects malformed sets with a message naming the problem', () => {
    expect(() => parseProbeSet(null)).toThrow(ProbeFormatError);
    expect(() => parseProbeSet({ ...good, kind: 'other' })).toThrow(/"kind"/);
    expect(() => parseProbeSet({ ...good, documents: [] })).toThrow(/"documents" must be a non-empty list/);
    expect(() => parseProbeSet({ ...good, queries: [{ id: 'q', text: 'Q', relevant: ['zzz'] }] })).toThrow(/unknown document id "zzz"/);
    expect(() =>
      parseProbeSet({
        ...good,
        documents: [
          { id: 'a', text: 'A' },
          { id: 'a', text: 'B' },
        ],
      }),
    ).toThrow(/duplicate id "a"/);
    expect(() => parseProbeSet({ ...good, rules: [{ query: 'nope', notFirst: ['a'] }] })).toThrow(/unknown query id/);
    expect(() => parseProbeSet({ ...good, rules: [{ query: 'q' }] })).toThrow(/notFirst/);
    expect(() => parseProbeSet({ kind: 'sentences', id: 's', sentences: [{ id: '1', text: '', lang: 'en' }] })).toThrow(/"text"/);
    expect(parseProbeSet(good).kind).toBe('retrieval');
  });

  it('pasted strings become sets (blank lines dropped)', () => {
    const s = sentencesFromStrings(['  first ', '', 'second']);
    expect(s.sentences).toEqual([
      { id: 'user-1', text: 'first', lang: 'und' },
      { id: 'user-2', text: 'second', lang: 'und' },
    ]);
    const r = retrievalSetFromStrings(['d1', ' ', 'd2'], ['q1']);
    expect(r.documents.map((d) => d.id)).toEqual(['doc-1', 'doc-2']);
    expect(r.queries).toEqual([{ id: 'query-1', text: 'q1', relevant: [] }]);
  });
});
