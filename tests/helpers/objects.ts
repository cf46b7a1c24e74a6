/**
 * The same value with every object's keys in reverse order, recursively (arrays keep their order): for tests that
 * check an encoding does not depend on key order.
 */
export function reverseKeys(v: unknown): unknown {
  return Array.isArray(v)
    ? v.map(reverseKeys)
    : v && typeof v === 'object'
      ? Object.fromEntries(
          Object.entries(v)
            .reverse()
            .map(([k, x]) => [k, reverseKeys(x)]),
        )
      : v;
}
