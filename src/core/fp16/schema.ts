/**
 * Operator type signatures (default ONNX domain), from the table generated out of the ONNX schemas
 * (schema.generated.ts). Only element types: which formal parameter carries which type variable, and which
 * element types each variable allows.
 */
import { SCHEMAS } from './schema.generated.js';

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

/** The signature of `op` in force at opset `version` of the default domain, or null if unknown. */
export function signatureOf(op: string, version: number): OpSignature | null {
  const key = `${op}@${version}`;
  if (cache.has(key)) return cache.get(key)!;
  const versions = Object.prototype.hasOwnProperty.call(SCHEMAS, op) ? SCHEMAS[op]! : [];
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
