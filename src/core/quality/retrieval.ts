/**
 * Phase "retrieval": for each retrieval set, the documents ranked by cosine to each query under each model.
 * Overlap@k of the two top-k lists (k = 1, 3, 5, 10 below the number of documents), Spearman's rho over the full
 * ranking, hit@k and MRR for labelled queries, the set's own cosine statistics (apart from the verdict's), and rule
 * cases such as the seed's "AI and ML must not rank the weather document first".
 */
import { groupStats } from './metrics.js';
import { basicStats, dot, spearman, topK, topKOverlap } from './math.js';
import type { RetrievalSet } from './probes.js';
import type { QueryResult, RetrievalReport, RetrievalSetReport, RuleResult } from './report.js';

const KS = [1, 3, 5, 10];

/**
 * `index` gives each set's document and query positions in `vo` / `vq` (unit vectors of the original and quantized
 * model) and in `cos` (per-text cosine original vs quantized, null when non-finite).
 */
export function retrievalReport(
  sets: readonly RetrievalSet[],
  index: Map<string, { docs: number[]; queries: number[] }>,
  vo: Float32Array[],
  vq: Float32Array[],
  cos: readonly (number | null)[],
): RetrievalReport {
  const out: RetrievalSetReport[] = [];
  const skippedSets: string[] = [];
  for (const rs of sets) {
    const ix = index.get(rs.id)!;
    if (rs.documents.length < 2 || rs.queries.length === 0) {
      skippedSets.push(rs.id);
      continue;
    }
    const docIds = rs.documents.map((d) => d.id);
    const nDocs = docIds.length;
    const ks = KS.filter((k) => k < nDocs);
    const perQuery: QueryResult[] = [];
    const scoresOf = (v: Float32Array[], q: number) => ix.docs.map((d) => dot(v[q]!, v[d]!));
    const rankings = new Map<string, { so: number[]; sq: number[] }>();
    let labelled = 0;
    const hits = ks.map(() => ({ o: 0, q: 0 }));
    let rrO = 0;
    let rrQ = 0;
    rs.queries.forEach((q, qi) => {
      const qIdx = ix.queries[qi]!;
      const so = scoresOf(vo, qIdx);
      const sq = scoresOf(vq, qIdx);
      rankings.set(q.id, { so, sq });
      const ro = topK(so, nDocs);
      const rq = topK(sq, nDocs);
      const overlap: Record<string, number> = {};
      for (const k of ks) overlap[String(k)] = topKOverlap(ro.slice(0, k), rq.slice(0, k));
      const rel = new Set(q.relevant.map((id) => docIds.indexOf(id)));
      const firstRel = (r: number[]) => {
        const p = r.findIndex((d) => rel.has(d));
        return p < 0 ? null : p + 1;
      };
      const fo = rel.size ? firstRel(ro) : null;
      const fq = rel.size ? firstRel(rq) : null;
      if (rel.size) {
        labelled++;
        ks.forEach((k, j) => {
          if (fo !== null && fo <= k) hits[j]!.o++;
          if (fq !== null && fq <= k) hits[j]!.q++;
        });
        rrO += fo ? 1 / fo : 0;
        rrQ += fq ? 1 / fq : 0;
      }
      perQuery.push({
        id: q.id,
        text: q.text,
        relevant: q.relevant,
        topOriginal: ro.slice(0, 10).map((d) => docIds[d]!),
        topQuantized: rq.slice(0, 10).map((d) => docIds[d]!),
        overlap,
        spearman: spearman(so, sq),
        firstRelevantRank: { original: fo, quantized: fq },
      });
    });
    const rules: RuleResult[] = (rs.rules ?? []).map((rule) => {
      const q = rs.queries.find((x) => x.id === rule.query)!;
      const { so, sq } = rankings.get(rule.query)!;
      const judge = (scores: number[]) => {
        const ranking = topK(scores, nDocs).map((d) => ({ id: docIds[d]!, score: scores[d]! }));
        const top = ranking[0]?.id;
        const pass = top !== undefined && !(rule.notFirst ?? []).includes(top) && (!rule.firstOneOf || rule.firstOneOf.includes(top));
        return { pass, ranking };
      };
      const parts: string[] = [];
      if (rule.notFirst) parts.push(`${rule.notFirst.join(' / ')} must not rank first`);
      if (rule.firstOneOf) parts.push(`${rule.firstOneOf.join(' or ')} must rank first`);
      return {
        set: rs.id,
        query: rule.query,
        queryText: q.text,
        description: rule.description ?? `"${q.text}": ${parts.join('; ')}`,
        notFirst: rule.notFirst ?? [],
        firstOneOf: rule.firstOneOf ?? [],
        original: judge(so),
        quantized: judge(sq),
      };
    });
    const col = (f: (q: QueryResult) => number) => basicStats(perQuery.map(f));
    const sp = col((q) => q.spearman);
    out.push({
      id: rs.id,
      title: rs.title,
      documents: nDocs,
      queries: rs.queries.length,
      ks,
      overlap: ks.map((k) => {
        const s = col((q) => q.overlap[String(k)]!);
        return { k, mean: s.mean, min: s.min };
      }),
      spearman: { mean: sp.mean, min: sp.min },
      hitAt: labelled ? ks.map((k, j) => ({ k, original: hits[j]!.o / labelled, quantized: hits[j]!.q / labelled })) : null,
      mrr: labelled ? { original: rrO / labelled, quantized: rrQ / labelled } : null,
      cosine: groupStats([...ix.docs, ...ix.queries].map((i) => cos[i]).filter((c): c is number => c !== null && c !== undefined)),
      perQuery,
      rules,
    });
  }
  return {
    rankCorrelation: 'spearman',
    note:
      'documents are ranked by cosine to the query under each model; overlap@k = |top-k original ∩ top-k quantized| / k ' +
      "(k < number of documents); rank correlation = Spearman's rho over the full document ranking (tie-averaged ranks)" +
      (skippedSets.length ? `; skipped (fewer than 2 documents or no queries): ${skippedSets.join(', ')}` : ''),
    sets: out,
    skipped: out.length ? null : sets.length ? 'no retrieval set has 2+ documents and a query' : 'no retrieval sets given',
  };
}
