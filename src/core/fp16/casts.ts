/**
 * Phase 3, the casts: every consumer states the type it wants for each input; sources (initializers, Constants,
 * existing Casts, graph inputs) take float16 only if some consumer wants it and no policy rule marked them
 * float32; a consumer whose wanted type differs from the value's final type reads it through one shared Cast
 * (placed at emission, `readName`). So types agree at every edge by construction; no Cast pair is ever inserted
 * back to back, and Casts made no-ops by the conversion are removed.
 */
import { type AttrValue, encodeNode } from '../onnx/encode.js';
import type { NodeView } from '../onnx/model.js';
import { type Emitted, FLOAT, FLOAT16, type GCtx, type Run, type VRec, f2h, forEachCtx, resolve } from './graph.js';
import { UNKNOWN, castTarget, dependencyOrder } from './types.js';

/** Desired types of graph outputs, then every consumer's wanted input types, recorded on the values. */
export function collectWants(run: Run, main: GCtx): void {
  forEachCtx(main, (ctx) => {
    ctx.outWant = ctx.g.outputs.map((o, i) => {
      const t = ctx.scope.get(o.name) ?? UNKNOWN;
      if (ctx.fp32Outputs.has(i)) return t;
      if (ctx.kind === 'main') return run.opts.keepIoTypes || ctx.blockAll ? t : f2h(t);
      // If branches produce what their (converted) If node outputs; Loop/Scan bodies keep their interface.
      if (ctx.kind === 'branch' && ctx.owner?.mode === 'container') return ctx.owner.outCt[i] ?? t;
      return t;
    });
  });
  forEachCtx(main, (ctx) => {
    for (const p of ctx.plans)
      p.n.inputs.forEach((name, i) => {
        const w = p.inWant[i]!;
        if (!name || w <= 0) return;
        resolve(ctx, name)?.wants.add(w);
      });
    ctx.g.outputs.forEach((o, i) => {
      const w = ctx.outWant[i]!;
      if (w > 0) resolve(ctx, o.name)?.wants.add(w);
    });
  });
}

/** Initializers, Constants, Casts and graph inputs: their type follows what consumers want. */
export function decideSources(run: Run, main: GCtx): void {
  const keptFp32 = run.report.weights.keptFp32;
  forEachCtx(main, (ctx) => {
    for (const r of ctx.recs.values()) {
      if (r.kind === 'input') {
        r.ct = ctx.kind === 'main' && !run.opts.keepIoTypes && !ctx.blockAll ? f2h(r.orig) : r.orig;
      } else if (r.kind === 'init') {
        const t = r.tensor!;
        if (t.dataType === FLOAT && r.wants.has(FLOAT16)) {
          if (r.keepFp32) keptFp32.push({ name: t.name, reason: r.keepFp32.reason });
          else r.ct = FLOAT16;
        } else if (t.dataType === FLOAT) {
          keptFp32.push({ name: t.name, reason: ctx.blockAll ? 'inside a blocked node' : 'only read as float32' });
        }
      }
    }
    for (const p of ctx.plans) {
      const out = p.n.outputs[0] ? ctx.recs.get(p.n.outputs[0]) : undefined;
      if (p.mode === 'source' && out) {
        if (out.orig === FLOAT && out.wants.has(FLOAT16) && constantConvertible(p.n) && !out.keepFp32) {
          p.outCt = [FLOAT16];
          p.retype = true;
          p.mode = 'convert';
        } else {
          p.mode = 'neutral';
          if (out.orig === FLOAT)
            keptFp32.push({
              name: out.name,
              reason: !out.wants.has(FLOAT16)
                ? 'Constant only read as float32'
                : out.keepFp32
                  ? out.keepFp32.reason
                  : 'Constant form not convertible',
            });
        }
      } else if (p.mode === 'cast' && out) {
        const to = castTarget(p.n);
        if (to === FLOAT && out.wants.has(FLOAT16) && !out.keepFp32) {
          p.outCt = [FLOAT16];
          p.retype = true;
        } else p.outCt = [to];
      }
      p.n.outputs.forEach((o, i) => {
        const r = o ? ctx.recs.get(o) : undefined;
        if (r && r.producer === p) r.ct = p.outCt[i] ?? r.orig;
      });
    }
  });
}

function constantConvertible(n: NodeView): boolean {
  const a = n.attributes[0];
  if (!a || n.attributes.length !== 1) return false;
  if (a.name === 'value') return !!a.t && a.t.dataType === FLOAT && !(a.t.external && !a.t.data);
  return a.name === 'value_float' || a.name === 'value_floats';
}

/** Main-graph outputs whose value ends in another type: the producer writes a new name, a Cast restores the output. */
export function decideOutputs(run: Run, main: GCtx): void {
  main.g.outputs.forEach((o, i) => {
    const r = resolve(main, o.name);
    const want = main.outWant[i]!;
    if (!r || !want || !r.ct || r.ct === want || main.renamedOutputs.has(o.name)) return;
    if (r.ctx !== main || r.kind === 'input') {
      throw new Error(`internal: graph output '${o.name}' would change type but cannot be renamed`);
    }
    r.stored = fresh(run, `${o.name}_fp16`);
    main.renamedOutputs.set(o.name, want);
    main.casts.set(castKey(run, r, want), o.name);
    main.extra.push(castNode(run, r.stored, o.name, want, Number.MAX_SAFE_INTEGER));
  });
}

/** Casts whose input already has the target type: consumers read the input directly. */
export function removeNoopCasts(run: Run, main: GCtx): void {
  forEachCtx(main, (ctx) => {
    const outs = new Set(ctx.g.outputs.map((o) => o.name));
    for (const idx of dependencyOrder(ctx.g)) {
      const p = ctx.plans[idx]!;
      if (p.mode !== 'cast') continue;
      const inName = p.n.inputs[0];
      const outName = p.n.outputs[0];
      if (!inName || !outName || outs.has(outName)) continue;
      const src = resolve(ctx, inName);
      const out = ctx.recs.get(outName);
      if (!src || !out || !src.ct || src.ct !== p.outCt[0]) continue;
      p.removed = true;
      out.alias = src;
      run.report.nodes.castsRemoved++;
    }
  });
}

function castKey(run: Run, r: VRec, to: number): string {
  return `${run.recId.get(r)}|${to}`;
}

/** Cast's `to` attribute: an int from opset 6 on, a type name before (Cast-1). */
export function castTo(run: Run, to: number): AttrValue {
  return run.opset >= 6
    ? { kind: 'int', value: to }
    : { kind: 'string', value: to === FLOAT16 ? 'FLOAT16' : to === FLOAT ? 'FLOAT' : String(to) };
}

function castNode(run: Run, input: string, output: string, to: number, order: number): Emitted {
  run.report.nodes.castsInserted++;
  const name = fresh(run, `${output}_Cast`);
  return {
    parts: encodeNode({ opType: 'Cast', inputs: [input], outputs: [output], name, attributes: { to: castTo(run, to) } }),
    reads: [input],
    writes: [output],
    order,
  };
}

/** The name a consumer in ctx reads to get `name` as type `want`; adds the shared Cast when one is needed. */
export function readName(run: Run, ctx: GCtx, name: string, want: number, order: number): string {
  const r = resolve(ctx, name);
  if (!r) return name;
  if (want <= 0 || !r.ct || r.ct === want) return r.stored;
  const key = castKey(run, r, want);
  for (let c: GCtx | null = ctx; c; c = c.parent) {
    const hit = c.casts.get(key);
    if (hit) return hit;
  }
  const out = fresh(run, `${r.name}_${want === FLOAT16 ? 'fp16' : want === FLOAT ? 'fp32' : `t${want}`}`);
  ctx.casts.set(key, out);
  ctx.extra.push(castNode(run, r.stored, out, want, order));
  return out;
}

function fresh(run: Run, base: string): string {
  let n = base;
  for (let i = 1; run.names.has(n); i++) n = `${base}_${i}`;
  run.names.add(n);
  return n;
}
