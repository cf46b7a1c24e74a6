/**
 * The tool's name and version, defined once: recorded in every output's metadata (provenance), manifests, share
 * links and reports, and shown to people (`displayName`). The version is the package's.
 */
import pkg from '../../package.json' with { type: 'json' };

export interface ToolInfo {
  name: string;
  version: string;
}

/** Machine name (metadata, manifests, file names) and version. */
export const TOOL: Readonly<ToolInfo> = Object.freeze({ name: pkg.name, version: pkg.version });

/** The name people read (page title, Markdown headings, messages). */
export const TOOL_DISPLAY_NAME = 'AVA Quantizer';
