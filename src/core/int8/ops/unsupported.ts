/**
 * Registry entries of the reference that AVA does not rewrite. The nodes stay in float (their inputs are
 * dequantized if needed, as for any float consumer) and the report says why.
 */
import type { OpRewriter } from '../quantizer.js';

export function leftInFloat(reason: string): OpRewriter {
  return {
    check(q, node) {
      return q.nodeSelection(node) ?? reason;
    },
    quantize() {
      throw new Error('unreachable');
    },
  };
}
