/** Types of bin/v8-budget.mjs (plain JavaScript, run before the CLI bundle loads). */
export declare const CLI_INTERRUPT_BUDGET: number;
export declare function interruptBudgetFlag(execArgv: readonly string[], env: Record<string, string | undefined>): string | null;
