/**
 * A small seeded random number generator for the fuzz suite (SplitMix32 mixing of a 32-bit counter): the same
 * (seed, case index) always gives the same case, on any machine and Node version.
 */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Derives an independent generator for a case: mixing seed and index, so cases never share streams. */
  static forCase(seed: number, index: number): Rng {
    const r = new Rng(seed ^ 0x9e3779b9);
    r.state = (r.u32() ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
    r.u32();
    return r;
  }
  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }
  /** Uniform float in [0, 1). */
  next(): number {
    return this.u32() / 2 ** 32;
  }
  /** Uniform integer in [0, n) (n ≥ 1, up to 2^53). */
  int(n: number): number {
    if (n <= 2 ** 32) return Math.floor(this.next() * n);
    return Math.floor(((this.u32() * 2 ** 21 + (this.u32() >>> 11)) / 2 ** 53) * n);
  }
  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    if (!xs.length) throw new Error('pick from an empty list');
    return xs[this.int(xs.length)]!;
  }
  /** Random bytes. */
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
}
