/**
 * The reference's last steps: onnx_model.clean_initializers (drop initializers no node or output uses, in every
 * graph, with their graph inputs) and ONNXModel.topological_sort (main graph only, run by save_model_to_file), and
 * what INT8 and Q4 share around them: finalizeGraph, scheduleJobs (the tensor work and its progress), abortError.
 */
import { type Job, type WGraph, type WInit, cmpCodePoints, forEachWGraph } from './graph.js';

/** Returns the names the graph needs from outside (outer scope); removes unused initializers in place. */
export function cleanInitializers(g: WGraph): Set<string> {
  const req = new Set<string>();
  for (const n of g.nodes) for (const i of n.inputs) if (i) req.add(i);
  for (const o of g.src.outputs) if (o.name) req.add(o.name);
  for (const n of g.nodes)
    if (n.subgraphs) for (const gs of n.subgraphs.values()) for (const sg of gs) for (const r of cleanInitializers(sg)) req.add(r);
  for (const n of g.nodes) for (const o of n.outputs) req.delete(o);
  const kept = [];
  for (const t of g.inits) {
    if (req.has(t.name)) {
      req.delete(t.name);
      kept.push(t);
    } else if (g.src.inputs.some((i) => i.name === t.name)) g.removedInputs.add(t.name);
  }
  g.inits = kept;
  for (const i of g.src.inputs) req.delete(i.name);
  return req;
}

/** ONNXModel.topological_sort, reproduced exactly (its order decides the output node order). */
export function topologicalSort(g: WGraph): void {
  const nodes = g.nodes;
  const deps = new Array<number>(nodes.length).fill(0);
  const consumers = new Map<string, number[]>();
  const sorted: number[] = [];
  nodes.forEach((n, idx) => {
    deps[idx] = n.inputs.filter((i) => i).length;
    if (deps[idx] === 0) {
      sorted.push(idx);
      return;
    }
    for (const i of n.inputs) {
      if (!i) continue;
      const l = consumers.get(i);
      if (l) l.push(idx);
      else consumers.set(i, [idx]);
    }
  });
  const inputNames = [...g.inits.map((t) => t.name), ...g.src.inputs.filter((i) => !g.removedInputs.has(i.name)).map((i) => i.name)];
  inputNames.sort(cmpCodePoints);
  let prev: string | null = null;
  for (const name of inputNames) {
    if (prev === name) continue;
    prev = name;
    for (const idx of consumers.get(name) ?? []) if (--deps[idx]! === 0) sorted.push(idx);
  }
  for (let start = 0; start < sorted.length; start++) {
    for (const o of nodes[sorted[start]!]!.outputs) for (const idx of consumers.get(o) ?? []) if (--deps[idx]! === 0) sorted.push(idx);
  }
  if (sorted.length !== nodes.length) {
    const missing = nodes
      .filter((_, i) => deps[i]! > 0)
      .slice(0, 3)
      .map((n) => n.name || n.outputs[0]);
    throw new Error(`the graph is not a DAG or reads undefined tensors (e.g. nodes ${missing.join(', ')})`);
  }
  g.nodes = sorted.map((i) => nodes[i]!);
}

/**
 * The last graph steps every quantizer (INT8, Q4) takes after rewriting: cleanInitializers over every graph, then
 * topologicalSort of the main graph. A tensor the graph reads and nothing defines, or a cycle, is thrown as
 * `refusal(message)` (the mode's refusal error).
 */
export function finalizeGraph(root: WGraph, refusal: (message: string) => Error): void {
  const missing = cleanInitializers(root);
  if (missing.size) throw refusal(`the model reads tensors nothing defines: ${[...missing].slice(0, 5).join(', ')}`);
  try {
    topologicalSort(root);
  } catch (e) {
    throw refusal((e as Error).message);
  }
}

/** Progress of a quantizer's tensor work: input bytes of the tensors done so far / in total, the tensor last done. */
export interface TensorProgress {
  done: number;
  total: number;
  tensor: string;
}

/**
 * The tensor jobs left after finalizeGraph (each once, in initializer order over every graph; `visit` sees each
 * initializer first and may attach a job), each reporting `onProgress` when done; reports {done: 0} once now. Jobs
 * run when the writer reaches their outputs.
 */
export function scheduleJobs(root: WGraph, onProgress?: (p: TensorProgress) => void, visit?: (t: WInit) => void): Job[] {
  const jobs: Job[] = [];
  const seen = new Set<Job>();
  forEachWGraph(root, (g) => {
    for (const t of g.inits) {
      visit?.(t);
      if (t.job && !seen.has(t.job)) {
        seen.add(t.job);
        jobs.push(t.job);
      }
    }
  });
  const total = jobs.reduce((a, j) => a + j.bytes, 0);
  let done = 0;
  for (const job of jobs)
    job.onDone = (j) => {
      done += j.bytes;
      onProgress?.({ done, total, tensor: j.label });
    };
  onProgress?.({ done, total, tensor: '' });
  return jobs;
}

/** The error a cancelled quantization throws: a DOMException named AbortError, as fetch and streams throw. */
export function abortError(): DOMException {
  return new DOMException('quantization was cancelled', 'AbortError');
}
