/**
 * Stable topological order of a graph's nodes: a node comes after the producers of everything it reads
 * (its inputs and, for If/Loop/Scan, the outer-scope names its subgraphs read). Among ready nodes the one
 * that came first keeps coming first, so an already-sorted graph keeps its order.
 */

export interface SortItem {
  /** Names read: inputs plus implicit (subgraph outer-scope) inputs. '' is ignored. */
  reads: readonly string[];
  /** Names written. */
  writes: readonly string[];
}

export interface SortResult {
  /** Indices into the input list, in topological order. */
  order: number[];
  /** Indices that could not be placed (a cycle), appended to `order` in their original order. */
  cyclic: number[];
}

export function topoSort(items: readonly SortItem[]): SortResult {
  const producer = new Map<string, number>();
  items.forEach((it, i) => {
    for (const w of it.writes) if (w && !producer.has(w)) producer.set(w, i);
  });
  const indeg = new Array<number>(items.length).fill(0);
  const users: number[][] = items.map(() => []);
  items.forEach((it, i) => {
    const seen = new Set<number>();
    for (const r of it.reads) {
      if (!r) continue;
      const p = producer.get(r);
      if (p === undefined || p === i || seen.has(p)) continue;
      seen.add(p);
      indeg[i]!++;
      users[p]!.push(i);
    }
  });
  const heap = new MinHeap();
  indeg.forEach((d, i) => d === 0 && heap.push(i));
  const order: number[] = [];
  while (heap.size) {
    const i = heap.pop();
    order.push(i);
    for (const u of users[i]!) if (--indeg[u]! === 0) heap.push(u);
  }
  const cyclic: number[] = [];
  if (order.length < items.length) {
    const placed = new Set(order);
    for (let i = 0; i < items.length; i++) if (!placed.has(i)) cyclic.push(i);
    order.push(...cyclic);
  }
  return { order, cyclic };
}

class MinHeap {
  private a: number[] = [];
  get size(): number {
    return this.a.length;
  }
  push(v: number): void {
    const a = this.a;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= v) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = v;
  }
  pop(): number {
    const a = this.a;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && a[r]! < a[l]! ? r : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}
