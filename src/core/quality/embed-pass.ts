/**
 * Phase "embed": every text through one model's session, in batches of similar length, plus the batch-composition
 * runs (the same texts alone and all together). One model at a time: the caller creates a session, runs its pass,
 * and releases it before the other model's, so only one model is in memory. Each session.run depends only on its
 * own batch, so the numbers are the same as when the two models' batches were interleaved.
 */
import { QualityError, type Embedder } from './embedder.js';
import type { Item } from './texts.js';

export interface PassPlan {
  /** Batches of item indices, in run order. */
  batches: number[][];
  /** Items embedded alone and in one batch for the batch-composition measurement ([] = not measured). */
  batchEffect: number[];
}

/** What one model gave for every item. */
export interface ModelPass {
  dim: number | null;
  vectors: Float32Array[];
  norms: number[];
  nonFinite: number[];
  /** Time spent in session.run for the main pass (ms). */
  runMs: number;
  /** Batch composition: the chosen items all in one padded batch, and each alone (empty when not measured). */
  mixed: Float32Array[];
  alone: Float32Array[];
  /** Time spent on the batch-composition runs (ms). */
  batchEffectMs: number;
}

/** Batches of indices (in the order given), bounded by count and by batch × longest length. */
export function makeBatches(order: number[], lengths: number[], batchSize: number, maxTokens: number): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  let longest = 0;
  for (const i of order) {
    const L = Math.max(longest, lengths[i]!);
    if (cur.length > 0 && (cur.length >= batchSize || L * (cur.length + 1) > maxTokens)) {
      out.push(cur);
      cur = [];
      longest = 0;
    }
    cur.push(i);
    longest = Math.max(longest, lengths[i]!);
  }
  if (cur.length) out.push(cur);
  return out;
}

/**
 * The run plan: similar lengths together (less padding; stable sort, so deterministic), and `batchEffectItems` texts
 * of spread-out lengths for the batch-composition runs (sentences or random ids; any texts when there are too few).
 */
export function planPass(items: readonly Item[], batchSize: number, maxBatchTokens: number, batchEffectItems: number): PassPlan {
  const lengths = items.map((it) => it.enc.ids.length);
  const order = items.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const batches = makeBatches(order, lengths, batchSize, maxBatchTokens);
  const n = Math.min(Math.max(0, Math.floor(batchEffectItems)), items.length);
  let batchEffect: number[] = [];
  if (n >= 2) {
    const pool = items.map((_, i) => i).filter((i) => items[i]!.role === 'sentence' || items[i]!.role === 'random');
    const candidates = (pool.length >= n ? pool : items.map((_, i) => i)).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
    const pick: number[] = [];
    for (let j = 0; j < n; j++) pick.push(candidates[Math.round((j * (candidates.length - 1)) / (n - 1))]!);
    batchEffect = [...new Set(pick)];
  }
  return { batches, batchEffect };
}

/** Session runs one model's pass makes (main batches, then one mixed batch and each text alone). */
export function passRuns(plan: PassPlan): number {
  return plan.batches.length + (plan.batchEffect.length ? plan.batchEffect.length + 1 : 0);
}

/** A model failed while running (not while loading): the report names the model and the reason. */
export class PassError extends QualityError {
  constructor(
    readonly role: 'original' | 'quantized',
    readonly detail: string,
  ) {
    super(`${role} model failed to run: ${detail}`);
  }
}

const now = (): number => (globalThis.performance ? globalThis.performance.now() : Date.now());

/**
 * Runs one model's pass. `step` is called before each session.run (after the abort check), with a message.
 * A run that fails (not an abort) rejects with PassError ("<role> model failed to run: …").
 */
export async function runPass(
  role: 'original' | 'quantized',
  emb: Embedder,
  items: readonly Item[],
  plan: PassPlan,
  padId: number,
  signal: AbortSignal | undefined,
  step: (message: string) => void,
  explain: (e: unknown) => string,
): Promise<ModelPass> {
  const n = items.length;
  const pass: ModelPass = {
    dim: null,
    vectors: new Array<Float32Array>(n),
    norms: new Array<number>(n),
    nonFinite: new Array<number>(n),
    runMs: 0,
    mixed: [],
    alone: [],
    batchEffectMs: 0,
  };
  const run = async (idx: readonly number[]) => {
    try {
      return await emb.embed(
        idx.map((i) => items[i]!.enc),
        padId,
      );
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new PassError(role, explain(err));
    }
  };
  for (const [bi, batch] of plan.batches.entries()) {
    signal?.throwIfAborted();
    step(`${role}: batch ${bi + 1} of ${plan.batches.length}`);
    const s = now();
    const r = await run(batch);
    pass.runMs += now() - s;
    pass.dim = r.dim;
    batch.forEach((idx, j) => {
      pass.vectors[idx] = r.vectors[j]!;
      pass.norms[idx] = r.norms[j]!;
      pass.nonFinite[idx] = r.nonFinite[j]!;
    });
  }
  const chosen = plan.batchEffect;
  if (chosen.length) {
    const tb = now();
    signal?.throwIfAborted();
    step(`${role}: batch composition, ${chosen.length} texts in one batch`);
    pass.mixed = (await run(chosen)).vectors;
    for (const [k, i] of chosen.entries()) {
      signal?.throwIfAborted();
      step(`${role}: batch composition, text ${k + 1} of ${chosen.length} alone`);
      pass.alone.push((await run([i])).vectors[0]!);
    }
    pass.batchEffectMs = now() - tb;
  }
  return pass;
}
