// Target mode from a script (the CLI has it as `ava-quant quantize in out target --min-cosine X`, src/cli/target-mode.ts):
//
//   npx tsx scripts/target-mode.ts <model.onnx> [<out.onnx>] --min-cosine 0.995 [--min-top5 0.95]
//       [--probes en,multi] [--subset 24] [--candidates fp16,int8,q4] [--int8-preset avx512-vnni]
//       [--max-verifications 6] [--no-uniform] [--report report.json]
//
// Progress on stderr; the answer's statement, sizes and timings on stdout. Exit 0 when a model smaller than the
// original met the bar (written to <out.onnx> when given), 7 when none did, 2 for bad arguments, 130 on Ctrl-C.
import { parseArgs } from 'node:util';
import { runTargetModeOnFiles } from '../src/node/target.js';
import type { Precision } from '../src/core/mixed/index.js';
import type { PresetName } from '../src/core/int8/presets.js';

const str = { type: 'string' } as const;
const { positionals: args, values: flags } = parseArgs({
  allowPositionals: true,
  options: {
    'min-cosine': str,
    'min-top5': str,
    probes: str,
    subset: str,
    candidates: str,
    'int8-preset': str,
    'max-verifications': str,
    report: str,
    'no-uniform': { type: 'boolean' },
  },
});
const num = (k: 'min-cosine' | 'min-top5' | 'subset' | 'max-verifications'): number | undefined =>
  flags[k] === undefined ? undefined : Number(flags[k]);
if (args.length < 1 || args.length > 2 || (flags['min-cosine'] === undefined && flags['min-top5'] === undefined)) {
  process.stderr.write('usage: npx tsx scripts/target-mode.ts <model.onnx> [<out.onnx>] --min-cosine X [--min-top5 Y] [--report FILE]\n');
  process.exit(2);
}
const ac = new AbortController();
process.once('SIGINT', () => ac.abort());
const t0 = Date.now();
let last = '';
try {
  const { report } = await runTargetModeOnFiles({
    input: args[0]!,
    ...(args[1] ? { output: args[1] } : {}),
    ...(typeof flags.report === 'string' ? { reportPath: flags.report } : {}),
    bar: {
      ...(num('min-cosine') !== undefined ? { minCosine: num('min-cosine') } : {}),
      ...(num('min-top5') !== undefined ? { minTop5Overlap: num('min-top5') } : {}),
    },
    ...(typeof flags.probes === 'string' ? { probeSets: flags.probes.split(',') } : {}),
    ...(num('subset') !== undefined ? { sensitivitySentences: num('subset') } : {}),
    ...(typeof flags.candidates === 'string' ? { candidates: flags.candidates.split(',') as Precision[] } : {}),
    ...(num('max-verifications') !== undefined ? { maxVerifications: num('max-verifications') } : {}),
    ...(flags['no-uniform'] ? { uniform: false } : {}),
    ...(typeof flags['int8-preset'] === 'string' ? { int8: { preset: flags['int8-preset'] as PresetName } } : {}),
    onProgress: (p) => {
      const line = `${(100 * p.fraction).toFixed(0).padStart(3)}% ${p.phase}: ${p.message}`;
      if (line !== last) process.stderr.write(`${line}\n`);
      last = line;
    },
    signal: ac.signal,
  });
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
  console.log(report.verdict.statement);
  console.log(
    `original ${mib(report.model.bytes)}; plain INT8 ${mib(report.int8.bytes)}; answer ${report.chosen ? mib(report.chosen.bytes) : '—'}`,
  );
  if (report.chosen)
    console.log(
      `per group: ${Object.entries(report.chosen.assignment)
        .map(([g, p]) => `${g}=${p}`)
        .join(' ')}`,
    );
  console.log(
    `time: ${(report.timings.totalMs / 1000).toFixed(1)} s (sensitivity ${(report.timings.sensitivityMs / 1000).toFixed(1)} s, verify ${(report.timings.verifyMs / 1000).toFixed(1)} s); wall ${((Date.now() - t0) / 1000).toFixed(1)} s; cache key ${report.cacheKey}`,
  );
  process.exit(report.chosen ? 0 : 7);
} catch (e) {
  if ((e as Error).name === 'AbortError') process.exit(130);
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit((e as Error) instanceof RangeError ? 2 : 1);
}
