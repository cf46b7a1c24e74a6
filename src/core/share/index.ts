/**
 * The shareable quality report: its type and schema (report.ts), the URL-fragment codec (link.ts) and the Markdown
 * export (markdown.ts). Pure TypeScript, no DOM: runs in the page, in workers and in Node.
 */
export {
  REPORT_FORMAT,
  REPORT_VERSION,
  REPORT_SCHEMA,
  buildShareableReport,
  reductionPercent,
  reportToJson,
  settingsOf,
  summarizeConversion,
  summarizeQuality,
  toSettings,
  validateReport,
  type ConversionSummary,
  type FileFacts,
  type OutputMode,
  type QualitySummary,
  type SettingValue,
  type Settings,
  type ShareableReport,
  type ShareableReportInput,
  type ToolInfo,
} from './report.js';
export {
  LINK_PREFIX,
  MAX_FRAGMENT_CHARS,
  MAX_REPORT_BYTES,
  ShareLinkError,
  decodeReport,
  encodeReport,
  type ShareLinkProblem,
} from './link.js';
export { escapeMarkdown, reportToMarkdown } from './markdown.js';
export { SchemaError } from './schema.js';
