/**
 * A tiny validating schema for untrusted JSON (share links, manifests read back from disk).
 *
 * A `Schema<T>` is a function `(value, path) => T` that either returns a **fresh, normalised copy** of the value or
 * throws `SchemaError` naming the path (`outputs[1].sha256: expected 64 lowercase hex digits`). Objects are strict
 * (unknown or missing keys are errors) and come back with their keys in the schema's order, records with their keys
 * sorted, so `JSON.stringify(schema(x))` is a stable serialisation. Strings are length-capped, numbers must be
 * finite, arrays and records are size-capped: a hostile document cannot make the validator or the UI do unbounded
 * work. No `__proto__` keys are ever copied.
 */

export class SchemaError extends Error {
  override name = 'SchemaError';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path || '(root)'}: ${problem}`);
  }
}

export type Schema<T> = (value: unknown, path: string) => T;
export type Infer<S> = S extends Schema<infer T> ? T : never;

const describe = (v: unknown): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return Number.isFinite(v) ? `the number ${v}` : `${v}`;
  if (typeof v === 'string') return `a string of ${v.length} characters`;
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
};

export function str(max: number, opts: { min?: number; pattern?: RegExp; what?: string } = {}): Schema<string> {
  return (v, path) => {
    if (typeof v !== 'string') throw new SchemaError(path, `expected a string, got ${describe(v)}`);
    if (v.length > max) throw new SchemaError(path, `string too long (${v.length} characters, at most ${max})`);
    if (opts.min !== undefined && v.length < opts.min) throw new SchemaError(path, `string too short (at least ${opts.min} characters)`);
    if (opts.pattern && !opts.pattern.test(v)) throw new SchemaError(path, `expected ${opts.what ?? `a string matching ${opts.pattern}`}`);
    return v;
  };
}

export function num(opts: { min?: number; max?: number; int?: boolean } = {}): Schema<number> {
  return (v, path) => {
    if (typeof v !== 'number') throw new SchemaError(path, `expected a number, got ${describe(v)}`);
    if (!Number.isFinite(v)) throw new SchemaError(path, `expected a finite number, got ${v}`);
    if (opts.int && !Number.isSafeInteger(v)) throw new SchemaError(path, `expected an integer, got ${v}`);
    if (opts.min !== undefined && v < opts.min) throw new SchemaError(path, `${v} is below the minimum ${opts.min}`);
    if (opts.max !== undefined && v > opts.max) throw new SchemaError(path, `${v} is above the maximum ${opts.max}`);
    return v;
  };
}

/** A non-negative integer (byte counts, counts). */
export const count = num({ min: 0, int: true });

export const bool: Schema<boolean> = (v, path) => {
  if (typeof v !== 'boolean') throw new SchemaError(path, `expected true or false, got ${describe(v)}`);
  return v;
};

export function lit<const T extends string | number | boolean>(...values: T[]): Schema<T> {
  return (v, path) => {
    if (!values.includes(v as T))
      throw new SchemaError(
        path,
        `expected ${values.map((x) => JSON.stringify(x)).join(' or ')}, got ${typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : describe(v)}`,
      );
    return v as T;
  };
}

export function nullable<T>(s: Schema<T>): Schema<T | null> {
  return (v, path) => (v === null ? null : s(v, path));
}

export function arr<T>(s: Schema<T>, max: number): Schema<T[]> {
  return (v, path) => {
    if (!Array.isArray(v)) throw new SchemaError(path, `expected an array, got ${describe(v)}`);
    if (v.length > max) throw new SchemaError(path, `too many items (${v.length}, at most ${max})`);
    return v.map((x, i) => s(x, `${path}[${i}]`));
  };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const keyPath = (path: string, k: string): string =>
  /^[A-Za-z_$][\w$]*$/.test(k) ? (path ? `${path}.${k}` : k) : `${path}[${JSON.stringify(k.slice(0, 60))}]`;

type Shape = Record<string, Schema<unknown>>;
export type FromShape<S extends Shape> = { [K in keyof S]: Infer<S[K]> };

/** A strict object: exactly these keys, returned in this order. */
export function obj<S extends Shape>(shape: S): Schema<FromShape<S>> {
  const keys = Object.keys(shape);
  return (v, path) => {
    if (!isPlainObject(v)) throw new SchemaError(path, `expected an object, got ${describe(v)}`);
    for (const k of Object.keys(v))
      if (!Object.prototype.hasOwnProperty.call(shape, k)) throw new SchemaError(keyPath(path, k), 'unexpected key');
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      if (!Object.prototype.hasOwnProperty.call(v, k)) throw new SchemaError(keyPath(path, k), 'missing');
      out[k] = shape[k]!(v[k], keyPath(path, k));
    }
    return out as FromShape<S>;
  };
}

/** A string-keyed map with at most `maxKeys` keys of at most `keyMax` characters, returned with sorted keys. */
export function record<T>(s: Schema<T>, maxKeys: number, keyMax = 100): Schema<Record<string, T>> {
  return (v, path) => {
    if (!isPlainObject(v)) throw new SchemaError(path, `expected an object, got ${describe(v)}`);
    const keys = Object.keys(v);
    if (keys.length > maxKeys) throw new SchemaError(path, `too many keys (${keys.length}, at most ${maxKeys})`);
    const out: Record<string, T> = {};
    for (const k of keys.sort()) {
      if (k.length > keyMax) throw new SchemaError(path, `key too long (${k.length} characters, at most ${keyMax})`);
      if (k === '__proto__') throw new SchemaError(path, "key '__proto__' is not allowed");
      out[k] = s(v[k], keyPath(path, k));
    }
    return out;
  };
}

/** The first schema that accepts the value (the error names what was expected). */
export function oneOf<T>(what: string, ...schemas: Schema<T>[]): Schema<T> {
  return (v, path) => {
    for (const s of schemas) {
      try {
        return s(v, path);
      } catch (e) {
        if (!(e instanceof SchemaError)) throw e;
      }
    }
    throw new SchemaError(path, `expected ${what}, got ${describe(v)}`);
  };
}

// ---- shared field schemas ----------------------------------------------------------------------------------

export const SHA256_RE = /^[0-9a-f]{64}$/;
export const MD5_RE = /^[0-9a-f]{32}$/;
export const sha256 = str(64, { pattern: SHA256_RE, what: '64 lowercase hex digits (SHA-256)' });
export const md5 = str(32, { pattern: MD5_RE, what: '32 lowercase hex digits (MD5)' });
/** ISO 8601 date-time as produced by Date.prototype.toISOString (also accepts an offset instead of Z). */
export const isoDate = str(40, {
  pattern: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/,
  what: 'an ISO 8601 date-time such as 2025-01-31T12:00:00.000Z',
});

/** A record's creation date as an ISO 8601 string: the one given (a string is kept as is), else now. */
export function createdAtIso(d: string | Date | undefined): string {
  return d === undefined ? new Date().toISOString() : typeof d === 'string' ? d : d.toISOString();
}

/** Caps used for strings that come from models, file names and reports. */
export const LIMITS = {
  name: 512,
  text: 1000,
  short: 200,
  listItems: 256,
  notes: 50,
  optionKeys: 64,
} as const;

/** Truncates a string to `max` characters (with an ellipsis) so it passes a `str(max)` schema. */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`;
}
