/** Output modes: the registry, running one, the option tables' machinery, the shared report (see README.md). */
export {
  MODES,
  MODE_IDS,
  MODE_METAS,
  isModeId,
  modeMeta,
  type ModeId,
  type ModeReport,
  type ModeRequest,
  type OptionsOf,
  type ReportOf,
} from './registry.js';
export { alreadyQuantizedError, runMode, writeOutput, type ModeResult, type RunModeOptions } from './run.js';
export { alreadyQuantized, type AlreadyQuantized, type QuantizedEvidence } from './already.js';
export { groupKeptInFloat, nothingDone, rewrittenTotal } from './report.js';
export * from './options.js';
export type * from './types.js';
