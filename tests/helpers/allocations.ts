/**
 * The biggest buffer JavaScript code allocates while a function runs, for the any-size rule (README: never a single
 * ArrayBuffer larger than the largest tensor). The global ArrayBuffer and typed-array constructors are replaced by
 * proxies that note the bytes of every new buffer (`new Uint8Array(n)`, `new Float32Array(array)`,
 * `Uint8Array.from(...)`, `new ArrayBuffer(n)`; a view over an existing buffer allocates nothing and is not counted),
 * then restored. Allocations inside Node or V8 (Buffer, fs, `slice()`, WebAssembly memory) are not seen.
 */

const NAMES = [
  'ArrayBuffer',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int8Array',
  'Uint16Array',
  'Int16Array',
  'Uint32Array',
  'Int32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
] as const;

export interface LargestAllocation<T> {
  result: T;
  /** Bytes of the biggest buffer allocated (0 when none). */
  bytes: number;
  /** Where it was allocated (a stack trace), for the failure message. */
  where: string;
}

/** Runs `fn` with every typed-array / ArrayBuffer allocation recorded; returns its result and the biggest one. */
export async function largestAllocation<T>(fn: () => Promise<T>): Promise<LargestAllocation<T>> {
  const g = globalThis as unknown as Record<string, unknown>;
  const saved = NAMES.map((n) => [n, g[n]] as const);
  let bytes = 0;
  let where = '';
  const note = (n: number): void => {
    if (n > bytes) {
      bytes = n;
      where = new Error().stack ?? '';
    }
  };
  for (const [name, ctor] of saved) {
    const per = name === 'ArrayBuffer' ? 1 : (ctor as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
    g[name] = new Proxy(ctor as new (...a: unknown[]) => object, {
      construct(target, args, newTarget) {
        const a = args[0];
        if (typeof a === 'number') note(a * per);
        else if (a && typeof a === 'object' && !(a instanceof (saved[0]![1] as typeof ArrayBuffer)) && !(a instanceof SharedArrayBuffer)) {
          const len = (a as { length?: number }).length;
          if (typeof len === 'number') note(len * per);
        }
        return Reflect.construct(target, args, newTarget) as object;
      },
    });
  }
  try {
    const result = await fn();
    return { result, bytes, where };
  } finally {
    for (const [name, ctor] of saved) g[name] = ctor;
  }
}
