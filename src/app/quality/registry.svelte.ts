/**
 * The models dropped on the page (one entry per model card), for "Compare with…": a card lists the others. Cards add
 * themselves while they are mounted; nothing else writes here.
 */
export interface DroppedModel {
  id: number;
  name: string;
  file: File;
  /** The other files of the same drop (tokenizer, pooling config, external data…). */
  others: File[];
  /** The card found quantization ops / weights in it. */
  quantized: boolean;
}

import { untrack } from 'svelte';

let nextId = 1;

class DroppedModels {
  list = $state<DroppedModel[]>([]);

  /** Registers a model; returns the function that removes it again. */
  add(m: Omit<DroppedModel, 'id'>): () => void {
    const id = nextId++;
    // Untracked: cards call this from an $effect, which must not come to depend on the list it changes.
    untrack(() => this.list.push({ ...m, id }));
    return () =>
      untrack(() => {
        const i = this.list.findIndex((x) => x.id === id);
        if (i >= 0) this.list.splice(i, 1);
      });
  }
}

export const droppedModels = new DroppedModels();
