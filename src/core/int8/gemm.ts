/**
 * Gemm -> MatMul (+ Add for C), as onnxruntime/quantization/onnx_model.py replace_gemm_with_matmul, which the
 * reference applies to every graph (subgraphs included) before dynamic quantization, whatever the op types
 * selected. Only Gemms with alpha = beta = 1 and transA = 0 are converted; with transB = 1 an initializer B is
 * transposed into a new initializer `<B>_Transposed` (numbered when the name is taken), a non-initializer B gets a
 * Transpose node. Other Gemms stay (and are not quantized).
 */
import { DT, dtypeBits } from '../onnx/dtypes.js';
import { type WGraph, type WInit, type WNode, attrOf, forEachWGraph } from './graph.js';
import type { LeftInFloat } from './quantizer.js';
import { mk } from './ops/common.js';

export interface GemmResult {
  converted: number;
  left: LeftInFloat[];
  /** Transposed initializers created (their bytes are computed later, only if they are still used). */
  created: WInit[];
}

function allTensorNames(root: WGraph): Set<string> {
  const names = new Set<string>();
  forEachWGraph(root, (g) => {
    for (const t of g.inits) names.add(t.name);
    for (const v of [...g.src.inputs, ...g.src.outputs, ...g.src.valueInfo]) names.add(v.name);
    for (const n of g.nodes) {
      for (const i of n.inputs) names.add(i);
      for (const o of n.outputs) names.add(o);
    }
  });
  return names;
}

function findInPath(path: WGraph[], name: string): WInit | undefined {
  for (let i = path.length - 1; i >= 0; i--) {
    const t = path[i]!.inits.find((x) => x.name === name);
    if (t) return t;
  }
  return undefined;
}

const SUFFIXES = ['', '_quantized', '_scale', '_zero_point'];

export function replaceGemmWithMatMul(root: WGraph): GemmResult {
  const names = allTensorNames(root);
  const res: GemmResult = { converted: 0, left: [], created: [] };
  const visit = (path: WGraph[]) => {
    const g = path[path.length - 1]!;
    const out: WNode[] = [];
    const transposed = new Map<string, string>();
    for (const node of g.nodes) {
      if (node.subgraphs) for (const gs of node.subgraphs.values()) for (const sg of gs) visit([...path, sg]);
      if (node.opType !== 'Gemm') {
        out.push(node);
        continue;
      }
      const alpha = attrOf(node, 'alpha')?.f ?? 1;
      const beta = attrOf(node, 'beta')?.f ?? 1;
      const transA = attrOf(node, 'transA')?.i ?? 0;
      const transB = attrOf(node, 'transB')?.i ?? 0;
      const label = node.name || `(unnamed, output '${node.outputs[0] ?? ''}')`;
      if (!(alpha === 1 && beta === 1 && transA === 0)) {
        res.left.push({
          opType: 'Gemm',
          node: label,
          graph: g.path,
          reason: 'alpha/beta are not 1 or transA is set: kept as Gemm, not quantized (as the reference does)',
        });
        out.push(node);
        continue;
      }
      const [a = '', b = '', c] = node.inputs;
      if (node.inputs.length > 2 && !c) {
        // The reference would emit an Add reading an empty name (an invalid graph); keep the Gemm instead.
        res.left.push({
          opType: 'Gemm',
          node: label,
          graph: g.path,
          reason: 'it has an empty optional C input: kept as Gemm (AVA deviation: the reference emits an invalid Add)',
        });
        out.push(node);
        continue;
      }
      let inputB = b;
      if (transB === 1) {
        const B = findInPath(path, b);
        if (B) {
          const width = dtypeBits(B.dataType);
          if (
            B.dims.length !== 2 ||
            width % 8 !== 0 ||
            (!B.src?.rawData && !B.src?.external && B.dataType !== DT.FLOAT && B.dataType !== DT.FLOAT16)
          ) {
            res.left.push({
              opType: 'Gemm',
              node: label,
              graph: g.path,
              reason: `its B '${b}' cannot be transposed by AVA (not a 2-D numeric initializer): kept as Gemm`,
            });
            out.push(node);
            continue;
          }
          if (!transposed.has(b)) {
            let name = `${b}_Transposed`;
            let k = 0;
            while (SUFFIXES.some((s) => names.has(name + s))) name = `${b}_Transposed_${++k}`;
            for (const s of SUFFIXES) names.add(name + s);
            const t: WInit = { name, dataType: B.dataType, dims: [B.dims[1]!, B.dims[0]!], transposeOf: B };
            g.inits.push(t);
            res.created.push(t);
            transposed.set(b, name);
          }
          inputB = transposed.get(b)!;
        } else {
          inputB = `${b}_Transposed`;
          out.push(mk('Transpose', [b], [inputB], node.name ? `${node.name}_Transpose` : ''));
        }
      }
      const hasC = node.inputs.length > 2;
      const mmOut = node.outputs[0]! + (hasC ? '_MatMul' : '');
      out.push(mk('MatMul', [a, inputB], [mmOut], node.name ? `${node.name}_MatMul` : ''));
      if (hasC) out.push(mk('Add', [`${node.outputs[0]!}_MatMul`, c!], [...node.outputs], node.name ? `${node.name}_Add` : ''));
      res.converted++;
    }
    g.nodes = out;
  };
  visit([root]);
  return res;
}
