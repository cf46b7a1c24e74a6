/** Who made a report / manifest: this app and its package version. */
import pkg from '../../../package.json' with { type: 'json' };
import type { ToolInfo } from '../../core/share/report.js';

export const TOOL: ToolInfo = Object.freeze({ name: 'ava-quantizer', version: pkg.version });
