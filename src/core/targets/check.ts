/**
 * checkTarget: which nodes of a model a deployment target cannot run (or runs on a fallback, slowly, or possibly
 * wrong), with the runtime version each fact holds for and its source — so the page and the CLI can say so before
 * the download. Pure: reads the model's structure and the in-memory bytes of small weights only.
 */
import { DT, dtypeName, elementCount } from '../onnx/dtypes.js';
import type { GraphView, ModelView, NodeView, TensorView } from '../onnx/model.js';
import { inferShapes, modelFromView, type InferGraph } from '../onnx/infer/index.js';
import { BLOCKING, TARGETS, type Condition, type Rule, type Runtime, type Target, type TargetId, type Verdict } from './data.js';
import { sourceOf, type Source } from './sources.js';

export interface Finding {
  /** Op type, domain-qualified outside ai.onnx ("ConvInteger", "com.microsoft.MatMulNBits"); "(model)" for model-level notes. */
  op: string;
  /** Node name (or "<op>#<index>" when unnamed); "(model)" for model-level notes. */
  node: string;
  /** "" for the main graph, else the path of the subgraph ("If_0/then_branch"). */
  graph: string;
  verdict: Verdict;
  reason: string;
  /** Which runtime and version(s) the fact holds for. */
  holdsFor: string;
  source: Source[];
  rule: string;
}

export interface FindingGroup {
  op: string;
  verdict: Verdict;
  reason: string;
  blocking: boolean;
  count: number;
  /** Up to 5 node names. */
  nodes: string[];
  holdsFor: string;
  source: Source[];
}

export interface TargetCheck {
  target: TargetId;
  label: string;
  runtime: string;
  ep: string;
  /** The runtime version the verdicts are for. */
  version: string;
  /** Nodes that stop the model from loading or from running on the target. */
  unsupported: Finding[];
  /** Nodes that run, but on a fallback, slowly, only with a device feature, or with reported wrong results. */
  warnings: Finding[];
  /** The findings grouped by op, verdict and reason (for display), blocking first. */
  groups: FindingGroup[];
  ok: boolean;
  summary: string;
  /** How the check itself went (type inference gaps, weights not in memory). */
  notes: string[];
}

export interface CheckOptions {
  /** Runtime version to check against ("1.24", "1.30.0"); default: the target's `runtime.defaultVersion`. */
  runtimeVersion?: string;
}

/** Thrown for a bad runtime version string or an unknown target. */
export class TargetCheckError extends Error {
  override name = 'TargetCheckError';
}

// ---- versions ---------------------------------------------------------------------------------------------------

function parseVersion(v: string): number[] {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(v.trim());
  if (!m) throw new TargetCheckError(`not a runtime version: '${v}' (expected e.g. 1.22 or 1.30.0)`);
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

/** Whether `v` is a runtime version checkTarget takes ("1.24", "1.30.0"). */
export function isRuntimeVersion(v: string): boolean {
  return /^(\d+)\.(\d+)(?:\.(\d+))?$/.test(v.trim());
}

function cmp(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

function inRange(v: string, r: Rule['versions']): boolean {
  if (!r) return true;
  if (r.from && cmp(v, r.from) < 0) return false;
  if (r.before && cmp(v, r.before) >= 0) return false;
  return true;
}

/** The versions a target's facts were collected for, as text ("1.22.0–1.32.0"). */
function checkedRange(rt: Runtime): string {
  return rt.oldestVersion === rt.newestVersion ? rt.oldestVersion : `${rt.oldestVersion}–${rt.newestVersion}`;
}

/**
 * Whether `v` lies in the versions the target's facts were collected for: from oldestVersion to newestVersion's
 * patch releases (1.32.5 is in 1.22.0–1.32.0; 1.33.0 is not).
 */
export function isCheckedVersion(v: string, rt: Runtime): boolean {
  const [major, minor] = parseVersion(v);
  const [nMajor, nMinor] = parseVersion(rt.newestVersion);
  return cmp(v, rt.oldestVersion) >= 0 && (major! < nMajor! || (major === nMajor && minor! <= nMinor!));
}

/**
 * A rule's reason for one node: `{op}` becomes the node's op type, so a rule over several ops names the op each
 * finding is about (data.ts Rule.reason).
 */
export function ruleReason(r: Pick<Rule, 'reason'>, opType: string): string {
  return r.reason.replaceAll('{op}', opType);
}

function rangeText(r: Rule['versions'], rt: Runtime): string {
  if (!r) return `${checkedRange(rt)} (the versions checked)`;
  if (r.from && r.before) return `${r.from} to before ${r.before}`;
  if (r.from) return `${r.from} and later`;
  return `before ${r.before}`;
}

// ---- types of values --------------------------------------------------------------------------------------------

interface ValueType {
  elem: number;
  /** Known dims (numbers) or null per dim; undefined = rank unknown. */
  dims?: (number | null)[];
}

interface Scope {
  types: Map<string, ValueType>;
  inits: Map<string, TensorView>;
  parent: Scope | null;
}

function lookupType(s: Scope | null, name: string): ValueType | undefined {
  for (let c = s; c; c = c.parent) {
    const t = c.types.get(name);
    if (t) return t;
  }
  return undefined;
}

function lookupInit(s: Scope | null, name: string): TensorView | undefined {
  for (let c = s; c; c = c.parent) {
    const t = c.inits.get(name);
    if (t) return t;
  }
  return undefined;
}

const FLOATS = new Set<number>([DT.FLOAT, DT.FLOAT16, DT.DOUBLE, DT.BFLOAT16]);

/** Output element types of contrib / quantization ops the shared inference has no rule for. */
function contribOutputTypes(n: NodeView, typeOf: (name: string) => ValueType | undefined): (number | undefined)[] {
  const t = (i: number) => (n.inputs[i] ? typeOf(n.inputs[i]!)?.elem : undefined);
  const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType;
  switch (key) {
    case 'DynamicQuantizeLinear':
      return [DT.UINT8, DT.FLOAT, DT.UINT8];
    case 'com.microsoft.MatMulNBits':
    case 'com.microsoft.DynamicQuantizeMatMul':
    case 'com.microsoft.SkipLayerNormalization':
    case 'com.microsoft.SkipSimplifiedLayerNormalization':
      return [t(0)];
    case 'com.microsoft.GatherBlockQuantized':
      return [t(2)];
    case 'com.microsoft.MatMulIntegerToFloat':
      return [t(2)];
    default: {
      if (n.domain !== 'com.microsoft') return [];
      const f = n.inputs.map((x) => (x ? typeOf(x)?.elem : undefined)).find((e) => e !== undefined && FLOATS.has(e));
      return [f];
    }
  }
}

function buildScopes(model: ModelView, notes: string[]): Map<GraphView, Scope> {
  const byView = new Map<GraphView, InferGraph>();
  let decls: ReturnType<typeof inferShapes> | null = null;
  try {
    decls = inferShapes(modelFromView(model, {}, byView));
    if (decls.failure)
      notes.push(`type inference stopped early (${decls.failure}); types come from the file's declarations where it did not reach`);
  } catch (e) {
    notes.push(`type inference failed (${(e as Error).message}); types come from the file's declarations`);
  }
  const scopes = new Map<GraphView, Scope>();
  const walk = (g: GraphView, parent: Scope | null) => {
    const s: Scope = { types: new Map(), inits: new Map(), parent };
    const put = (name: string, elem: number, dims?: (number | null)[]) => {
      if (name && elem && !s.types.has(name)) s.types.set(name, dims ? { elem, dims } : { elem });
    };
    for (const t of g.initializers) {
      s.inits.set(t.name, t);
      put(t.name, t.dataType, t.dims);
    }
    const ig = byView.get(g);
    const d = ig && decls ? decls.graphs.get(ig) : undefined;
    if (d) {
      for (const v of [...d.inputs, ...d.outputs, ...d.valueInfo]) {
        const tt = v.type?.tensor;
        if (tt && tt.elem)
          put(
            v.name,
            tt.elem,
            tt.shape?.map((x) => (typeof x.value === 'number' ? x.value : null)),
          );
      }
    }
    for (const v of [...g.inputs, ...g.outputs, ...g.valueInfo])
      if (v.kind === 'tensor') put(v.name, v.elemType, v.shape?.map((x) => (typeof x.value === 'number' ? x.value : null)) ?? undefined);
    // Fill what inference left open (contrib ops), in node order.
    const typeOf = (name: string) => lookupType(s, name);
    for (const n of g.nodes) {
      if (n.outputs.every((o) => !o || typeOf(o))) continue;
      contribOutputTypes(n, typeOf).forEach((e, i) => {
        const o = n.outputs[i];
        if (o && e && !typeOf(o)) s.types.set(o, { elem: e });
      });
    }
    scopes.set(g, s);
    for (const n of g.nodes)
      for (const a of n.attributes) {
        if (a.g) walk(a.g, s);
        a.graphs?.forEach((sg) => walk(sg, s));
      }
  };
  walk(model.graph, null);
  return scopes;
}

// ---- conditions -------------------------------------------------------------------------------------------------

interface NodeCtx {
  node: NodeView;
  scope: Scope;
  notes: string[];
}

function inputType(c: NodeCtx, i: number): number | undefined {
  const name = c.node.inputs[i];
  return name ? lookupType(c.scope, name)?.elem : undefined;
}

function numel(c: NodeCtx, i: number): number | undefined {
  const name = c.node.inputs[i];
  if (!name) return undefined;
  const init = lookupInit(c.scope, name);
  if (init) return elementCount(init.dims);
  const t = lookupType(c.scope, name);
  if (t?.dims && t.dims.every((d) => d !== null)) return elementCount(t.dims as number[]);
  return undefined;
}

function touchesFloat16(c: NodeCtx): boolean {
  return [...c.node.inputs, ...c.node.outputs].some((x) => x && lookupType(c.scope, x)?.elem === DT.FLOAT16);
}

/** Largest |value| of an int8 initializer held in memory; null when its bytes are not in memory. */
function int8MaxAbs(t: TensorView): number | null {
  if (t.rawData) {
    let m = 0;
    const b = t.rawData;
    for (let i = 0; i < b.length; i++) {
      const v = (b[i]! << 24) >> 24;
      const a = v < 0 ? -v : v;
      if (a > m) m = a;
    }
    return m;
  }
  return null;
}

function holds(cond: Condition, c: NodeCtx): boolean {
  switch (cond.kind) {
    case 'always':
      return true;
    case 'all':
      return cond.of.every((x) => holds(x, c));
    case 'type-not-in':
      return cond.inputs.some(({ input, types }) => {
        const t = inputType(c, input);
        return t !== undefined && !types.includes(t);
      });
    case 'types-in':
      return cond.inputs.every(({ input, types }) => {
        const t = inputType(c, input);
        return t !== undefined && types.includes(t);
      });
    case 'numel-above': {
      const n = numel(c, cond.input);
      return n !== undefined && n > cond.n;
    }
    case 'numel-at-most': {
      const n = numel(c, cond.input);
      return n !== undefined && n <= cond.n;
    }
    case 'float16':
      return touchesFloat16(c);
    case 'blocked-1d': {
      const bs = c.node.attributes.find((a) => a.name === 'block_size')?.i ?? 0;
      const x = c.node.inputs[0];
      const dims = x ? (lookupInit(c.scope, x)?.dims ?? lookupType(c.scope, x)?.dims) : undefined;
      return bs > 0 && dims !== undefined && dims.length === 1;
    }
    case 'u8s8-weight-above': {
      if (inputType(c, cond.activation) !== DT.UINT8 && inputType(c, cond.activation) !== DT.FLOAT) return false;
      const name = c.node.inputs[cond.input];
      const w = name ? lookupInit(c.scope, name) : undefined;
      if (!w || w.dataType !== DT.INT8) return false;
      const m = int8MaxAbs(w);
      if (m === null) {
        c.notes.push(`'${w.name}': int8 weights not in memory, assumed to use the full 8-bit range`);
        return true;
      }
      return m > cond.limit;
    }
  }
}

// ---- the walk ---------------------------------------------------------------------------------------------------

function opKey(n: NodeView): string {
  return n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType;
}

function typesOf(c: NodeCtx): string {
  return c.node.inputs
    .map((x, i) => (x ? `${i}:${dtypeName(lookupType(c.scope, x)?.elem ?? 0)}` : null))
    .filter((x): x is string => x !== null)
    .join(', ');
}

/**
 * Checks a model against a deployment target.
 *
 * @param model  parsed model (parseModel / openModel); subgraphs are visited; only weights held in memory are read.
 * @param target a TargetId (data.ts TARGETS) or a Target object.
 * @param options.runtimeVersion the runtime version to check against (default: the target's defaultVersion:
 *   onnxruntime 1.22.0 for native targets — the oldest in scope —, onnxruntime-web 1.30.0 for the browser).
 * @returns unsupported (blocking: no kernel, fails at run, not in the build) and warnings (CPU fallback, float16
 *   through Casts, saturation, needs shader-f16, reported wrong results, older releases, not checked), each naming
 *   the op, node, reason, the version range the fact holds for and its sources (sources.ts).
 * @throws TargetCheckError for an unknown target or a malformed version.
 */
export function checkTarget(model: ModelView, target: TargetId | Target, options: CheckOptions = {}): TargetCheck {
  const t = typeof target === 'string' ? TARGETS[target] : target;
  if (!t) throw new TargetCheckError(`unknown target '${String(target)}' (known: ${Object.keys(TARGETS).join(', ')})`);
  const version = options.runtimeVersion ?? t.runtime.defaultVersion;
  parseVersion(version);
  const runtimeLabel = `${t.runtime.packages} ${version}`;
  const notes: string[] = [];
  const scopes = buildScopes(model, notes);
  const opsets = new Map(model.opsets.map((o) => [o.domain === 'ai.onnx' ? '' : o.domain, o.version]));
  const findings: Finding[] = [];
  const add = (f: Omit<Finding, 'source'> & { sources: string[] }) => {
    const { sources, ...rest } = f;
    findings.push({ ...rest, source: sources.map(sourceOf) });
  };
  let float16Nodes = 0;
  let int8Nodes = 0;

  const visit = (g: GraphView, path: string) => {
    const scope = scopes.get(g)!;
    g.nodes.forEach((n, idx) => {
      const key = opKey(n);
      const name = n.name || `${key}#${idx}`;
      const c: NodeCtx = { node: n, scope, notes };
      const base = { op: key, node: name, graph: path };
      const fp16 = touchesFloat16(c);
      if (fp16) float16Nodes++;
      if (key === 'DynamicQuantizeLinear' || key === 'MatMulInteger' || key === 'ConvInteger') int8Nodes++;
      let covered = false;
      for (const r of t.rules) {
        if (!r.ops.includes(key)) continue;
        const applies = inRange(version, r.versions);
        // Older releases are worth a warning when the page may pin one: a release the facts were checked for.
        const olderChecked =
          t.policy.warnOlderRuntimes &&
          r.versions?.before &&
          cmp(version, r.versions.before) >= 0 &&
          cmp(r.versions.before, t.runtime.oldestVersion) > 0 &&
          BLOCKING.has(r.verdict);
        if (!applies && !olderChecked) continue;
        if (!holds(r.when, c)) continue;
        const reason = ruleReason(r, n.opType);
        const holdsFor = `${t.runtime.packages} ${rangeText(r.versions, t.runtime)}`;
        if (applies) {
          covered ||= r.verdict === 'cpu-fallback';
          add({ ...base, verdict: r.verdict, reason: `${reason} [${typesOf(c)}]`, holdsFor, sources: r.sources, rule: r.id });
        } else {
          add({
            ...base,
            verdict: 'older-runtime',
            reason: `${n.opType} runs in ${runtimeLabel}; with a release ${rangeText(r.versions, t.runtime)}: ${reason} [${typesOf(c)}]`,
            holdsFor,
            sources: r.sources,
            rule: r.id,
          });
        }
      }

      const p = t.policy;
      if (p.kind === 'cpu') {
        if (fp16 && p.fp16Native && !p.fp16Native.has(key))
          add({
            ...base,
            verdict: 'cast-fallback',
            reason: `float16 ${key}: no float16 CPU kernel; ${p.fp16Note ?? ''}`.trim(),
            holdsFor: `${t.runtime.packages} ${checkedRange(t.runtime)} (measured on x86-64)`,
            sources: ['measured-fp16-cpu', 'ort-mlas-f16vec'],
            rule: 'cpu-fp16',
          });
        if (n.domain === 'com.microsoft' && !p.contribOps.has(n.opType))
          add({
            ...base,
            verdict: 'not-checked',
            reason: `no fact recorded for com.microsoft ${n.opType} on the CPU EP`,
            holdsFor: runtimeLabel,
            sources: ['ort-cpu-contrib'],
            rule: 'cpu-contrib-unknown',
          });
        else if (n.domain && n.domain !== 'ai.onnx' && n.domain !== 'com.microsoft')
          add({
            ...base,
            verdict: 'not-checked',
            reason: `${n.opType}: domain '${n.domain}' has no facts recorded`,
            holdsFor: runtimeLabel,
            sources: ['ort-cpu-contrib'],
            rule: 'domain-unknown',
          });
      } else if (p.kind === 'webgpu') {
        if (!covered) {
          if (!n.domain || n.domain === 'ai.onnx') {
            const r = p.gpuOps?.[n.opType];
            const opset = opsets.get('') ?? 0;
            if (!r || opset < r[0] || (r[1] !== null && opset > r[1]))
              add({
                ...base,
                verdict: 'cpu-fallback',
                reason: `no WebGPU kernel for ${n.opType} (opset ${opset}) in the native WebGPU EP: it runs on the CPU (WASM) EP, with copies between GPU and CPU memory`,
                holdsFor: runtimeLabel,
                sources: ['ort-webgpu-ep', 'ort-web-cpu-fallback'],
                rule: 'webgpu-coverage',
              });
          } else if (n.domain === 'com.microsoft') {
            if (!p.contribOps.has(n.opType))
              add({
                ...base,
                verdict: 'cpu-fallback',
                reason: `no WebGPU kernel for com.microsoft ${n.opType}: it runs on the CPU (WASM) EP`,
                holdsFor: runtimeLabel,
                sources: ['ort-webgpu-contrib', 'ort-web-cpu-fallback'],
                rule: 'webgpu-coverage',
              });
          } else
            add({
              ...base,
              verdict: 'not-checked',
              reason: `${n.opType}: domain '${n.domain}' has no facts recorded`,
              holdsFor: runtimeLabel,
              sources: ['ort-webgpu-ep'],
              rule: 'domain-unknown',
            });
        }
      } else if (p.kind === 'reduced-build') {
        if (!p.buildOps?.has(key))
          add({
            ...base,
            verdict: 'not-in-build',
            reason: `${key} is not in the ORT Mobile package's operator set: "no registered kernel" when the model loads`,
            holdsFor: runtimeLabel,
            sources: ['ort-mobile-ops'],
            rule: 'reduced-build-ops',
          });
        else if (fp16)
          add({
            ...base,
            verdict: 'not-in-build',
            reason: `float16 ${key}: the ORT Mobile package keeps float, int8 and uint8 kernels only`,
            holdsFor: runtimeLabel,
            sources: ['ort-mobile-ops'],
            rule: 'reduced-build-types',
          });
      }

      for (const a of n.attributes) {
        if (a.g) visit(a.g, `${path ? `${path}/` : ''}${name}/${a.name}`);
        a.graphs?.forEach((sg, i) => visit(sg, `${path ? `${path}/` : ''}${name}/${a.name}[${i}]`));
      }
    });
  };
  visit(model.graph, '');

  // Model-level facts.
  const model0 = { op: '(model)', node: '(model)', graph: '' };
  const outside = !isCheckedVersion(version, t.runtime);
  if (outside)
    add({
      ...model0,
      verdict: 'not-checked',
      reason: `the kernel facts were checked for ${t.runtime.packages} ${checkedRange(t.runtime)}; ${version} is outside that range, so a node with no finding here may still have no kernel there (only facts with a known first version, e.g. MatMulNBits from 1.17, are applied outside it)`,
      holdsFor: `${t.runtime.packages} ${checkedRange(t.runtime)}`,
      // Where the range comes from: the versions measured (or the reduced build's operator list).
      sources: [t.policy.kind === 'reduced-build' ? 'ort-mobile-ops' : 'measured-matmul-integer'],
      rule: 'version-not-checked',
    });
  if (t.policy.kind === 'webgpu') {
    if (float16Nodes)
      add({
        ...model0,
        verdict: 'needs-feature',
        reason: `${float16Nodes} float16 nodes: the WebGPU EP runs float16 only on an adapter with the 'shader-f16' feature; without it the session fails`,
        holdsFor: runtimeLabel,
        sources: ['measured-shader-f16'],
        rule: 'webgpu-shader-f16',
      });
    if (int8Nodes)
      add({
        ...model0,
        verdict: 'may-be-wrong',
        reason: `dynamic INT8 graph (${int8Nodes} DynamicQuantizeLinear / MatMulInteger / ConvInteger nodes): WebGPU and WASM results are reported to disagree for int8 models; compare on this backend (the quality check) before shipping`,
        holdsFor: runtimeLabel,
        sources: ['report-tjs-webgpu-int8'],
        rule: 'webgpu-int8-report',
      });
  }
  if (t.policy.kind === 'reduced-build') {
    const op = opsets.get('') ?? 0;
    if (op > 13)
      add({
        ...model0,
        verdict: 'not-checked',
        reason: `the model imports ai.onnx opset ${op}; the ORT Mobile package's kernels were chosen for opsets 12 and 13, so ops redefined after opset 13 (e.g. Add-14, Reshape-14) may have no kernel`,
        holdsFor: runtimeLabel,
        sources: ['ort-mobile-ops'],
        rule: 'reduced-build-opset',
      });
  }

  const unsupported = findings.filter((f) => BLOCKING.has(f.verdict));
  const warnings = findings.filter((f) => !BLOCKING.has(f.verdict));
  const groups = groupFindings(findings);
  const ok = unsupported.length === 0;
  const warned = warnings.length ? ` (${groups.filter((g) => !g.blocking).length} kinds of warning on ${warnings.length} nodes)` : '';
  const summary = ok
    ? outside
      ? `${t.label}: no known gap in ${runtimeLabel}, but the facts were checked for ${checkedRange(t.runtime)} only${warned}`
      : `${t.label}: every node has a kernel in ${runtimeLabel}${warned}`
    : `${t.label}: ${unsupported.length} node${unsupported.length === 1 ? '' : 's'} cannot run in ${runtimeLabel}: ${groups
        .filter((g) => g.blocking)
        .map((g) => `${g.op} x${g.count}`)
        .join(', ')}`;
  return {
    target: t.id,
    label: t.label,
    runtime: t.runtime.packages,
    ep: t.runtime.ep,
    version,
    unsupported,
    warnings,
    groups,
    ok,
    summary,
    notes: [...new Set(notes)],
  };
}

function groupFindings(findings: Finding[]): FindingGroup[] {
  const m = new Map<string, FindingGroup>();
  for (const f of findings) {
    const reason = f.reason.replace(/ \[[^\]]*\]$/, '');
    const k = `${f.op}\u0000${f.verdict}\u0000${reason}`;
    let g = m.get(k);
    if (!g) {
      g = {
        op: f.op,
        verdict: f.verdict,
        reason,
        blocking: BLOCKING.has(f.verdict),
        count: 0,
        nodes: [],
        holdsFor: f.holdsFor,
        source: f.source,
      };
      m.set(k, g);
    }
    g.count++;
    if (g.nodes.length < 5) g.nodes.push(f.node);
  }
  return [...m.values()].sort((a, b) => Number(b.blocking) - Number(a.blocking) || b.count - a.count || (a.op < b.op ? -1 : 1));
}
