/**
 * The V8 interrupt budget the CLI runs with (bin/ava-quant.mjs sets it before any of our code is compiled).
 *
 * V8 hands a function to its optimizing compiler (TurboFan, on background threads) once about 66 KB of its bytecode
 * has run (`--interrupt-budget=67584`, V8 11.3 in Node 20). A CLI run is over in a second or less and its heavy
 * loops are WebAssembly, so on a 2-core machine those compiles took about 0.3 s of CPU per run, on the core the
 * source hash needs. With a budget 15× V8's default, what runs long enough (Q4's loops, `check`, target mode) is
 * still optimized, later; output bytes cannot change (tiering never changes what JavaScript computes). Measured in
 * README "Models of any size" → "Compiling less".
 */

/** The CLI's budget: 15× V8's default. */
export const CLI_INTERRUPT_BUDGET = 1_000_000;

/**
 * The flag to pass to v8.setFlagsFromString, or null to leave V8's budget as it is. The user's choice wins:
 *  - node's own flags (`node --interrupt-budget=N bin/ava-quant.mjs`, either spelling, `-` or `_`): null;
 *  - AVA_QUANT_INTERRUPT_BUDGET=N (a positive integer) sets N; `=v8` leaves V8's default (Node refuses
 *    --interrupt-budget in NODE_OPTIONS, so this is how an installed `ava-quant` is told);
 *  - otherwise CLI_INTERRUPT_BUDGET.
 * Throws on an AVA_QUANT_INTERRUPT_BUDGET that is neither (a typo must not be ignored silently).
 * @param {readonly string[]} execArgv node's own flags (process.execArgv)
 * @param {Record<string, string | undefined>} env
 * @returns {string | null}
 */
export function interruptBudgetFlag(execArgv, env) {
  if (execArgv.some((a) => /^--interrupt[-_]budget(=|$)/.test(a))) return null;
  const want = env.AVA_QUANT_INTERRUPT_BUDGET;
  if (want === undefined || want === '') return `--interrupt-budget=${CLI_INTERRUPT_BUDGET}`;
  if (want === 'v8') return null;
  if (/^[1-9][0-9]{0,9}$/.test(want) && Number(want) <= 2 ** 31 - 1) return `--interrupt-budget=${want}`;
  throw new Error(`AVA_QUANT_INTERRUPT_BUDGET must be a positive integer or 'v8' (V8's default), not '${want}'`);
}
