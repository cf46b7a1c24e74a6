/**
 * Operator type signatures: the default ONNX domain from the table generated out of the ONNX schemas
 * (schema.generated.ts), plus the few com.microsoft ops the project's own modes emit (CONTRIB_SCHEMAS). Only
 * element types: which formal parameter carries which type variable, and which element types each variable allows.
 */
import { SCHEMAS } from './schema.generated.js';

export const MS_DOMAIN = 'com.microsoft';

/**
 * com.microsoft signatures, same format as SCHEMAS ([since, inputs, outputs, type variables]; types are
 * TensorProto.DataType numbers). Copied from onnxruntime's registered contrib schemas (onnxruntime 1.30.0,
 * `onnxruntime.capi.onnxruntime_pybind11_state.get_all_operator_schema()`; onnxruntime/core/graph/contrib_ops/
 * contrib_defs.cc):
 *  - MatMulNBits-1: A T1, B T2, scales T1, zero_points T3?, g_idx T4?, bias T1? -> Y T1;
 *    T1 float / float16 / bfloat16, T2 uint8, T3 uint8 / float16 / float / bfloat16, T4 int32.
 *  - GatherBlockQuantized-1: data T1, indices Tind, scales T2, zero_points T1? -> output T2;
 *    T1 int4 / uint4 / uint8, T2 float / float16 / bfloat16, Tind int32 / int64.
 * Only these two: the Q4 / Q4F16 modes emit them. Other contrib ops stay unknown (policy rule `unknown-domain`).
 */
export const CONTRIB_SCHEMAS: Record<string, [number, string, string, string][]> = {
  MatMulNBits: [[1, 'T1 T2 T1 T3? T4? T1?', 'T1', 'T1:1,10,16 T2:2 T3:2,10,1,16 T4:6']],
  GatherBlockQuantized: [[1, 'T1 Tind T2 T1?', 'T2', 'T1:22,21,2 T2:1,10,16 Tind:6,7']],
};

/** True when the converter knows a signature for `op` of `domain` ('' / 'ai.onnx' = default domain). */
export function hasSignatureTable(domain: string, op: string): boolean {
  if (domain === '' || domain === 'ai.onnx') return Object.prototype.hasOwnProperty.call(SCHEMAS, op);
  return domain === MS_DOMAIN && Object.prototype.hasOwnProperty.call(CONTRIB_SCHEMAS, op);
}

export type FormalOpt = '' | '?' | '*' | '+';

export interface Formal {
  /** Type variable name, or '=<dtype>' for a fixed type. */
  v: string;
  opt: FormalOpt;
}

export interface TypeVar {
  /** Allowed tensor element types. */
  types: ReadonlySet<number>;
  /** Also allows sequence/optional types. */
  nonTensor: boolean;
}

export interface OpSignature {
  op: string;
  since: number;
  inputs: Formal[];
  outputs: Formal[];
  vars: Map<string, TypeVar>;
}

const cache = new Map<string, OpSignature | null>();

function parseFormals(s: string): Formal[] {
  if (!s) return [];
  return s.split(' ').map((t) => {
    const last = t[t.length - 1]!;
    const opt = (last === '?' || last === '*' || last === '+' ? last : '') as FormalOpt;
    return { v: opt ? t.slice(0, -1) : t, opt };
  });
}

/**
 * The signature of `op` in force at opset `version` of `domain` (default: the default domain; 'com.microsoft' for
 * CONTRIB_SCHEMAS), or null if unknown.
 */
export function signatureOf(op: string, version: number, domain = ''): OpSignature | null {
  const ms = domain === MS_DOMAIN;
  if (!ms && domain !== '' && domain !== 'ai.onnx') return null;
  const key = `${ms ? `${MS_DOMAIN}:` : ''}${op}@${version}`;
  if (cache.has(key)) return cache.get(key)!;
  const table = ms ? CONTRIB_SCHEMAS : SCHEMAS;
  const versions = Object.prototype.hasOwnProperty.call(table, op) ? table[op]! : [];
  let pick: [number, string, string, string] | undefined;
  for (const v of versions) if (v[0] <= version) pick = v;
  let sig: OpSignature | null = null;
  if (pick) {
    const vars = new Map<string, TypeVar>();
    for (const tok of pick[3] ? pick[3].split(' ') : []) {
      const [name, rest] = tok.split(':') as [string, string];
      const [list, flag] = rest.split(';');
      vars.set(name, { types: new Set(list ? list.split(',').map(Number) : []), nonTensor: flag === 's' });
    }
    const inputs = parseFormals(pick[1]);
    const outputs = parseFormals(pick[2]);
    for (const f of [...inputs, ...outputs])
      if (f.v.startsWith('=') && !vars.has(f.v)) vars.set(f.v, { types: new Set([Number(f.v.slice(1))]), nonTensor: false });
    sig = { op, since: pick[0], inputs, outputs, vars };
  }
  cache.set(key, sig);
  return sig;
}

/**
 * The formal parameter an actual input/output index maps to, and the key its type binds to (heterogeneous
 * variadic positions each get their own key). null when the index is beyond the signature.
 */
export function formalAt(list: Formal[], i: number): { formal: Formal; key: string } | null {
  if (list.length === 0) return null;
  const lastIdx = list.length - 1;
  const last = list[lastIdx]!;
  let formal: Formal;
  if (i < lastIdx) formal = list[i]!;
  else if (i === lastIdx || last.opt === '*' || last.opt === '+') formal = last;
  else return null;
  const key = formal.opt === '+' ? `${formal.v}#${i}` : formal.v;
  return { formal, key };
}

export const isFixed = (v: string): boolean => v.startsWith('=');
