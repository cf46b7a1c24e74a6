/**
 * onnxruntime-web prints its C++ log (every level, warnings included) with console.error. A worker that runs
 * onnxruntime calls `captureOrtConsole()` once: from then on those lines never reach the page console as "errors";
 * while `capturing` is on they are kept in `lines` (ANSI colours removed), e.g. for node placements and the report.
 */
const ORT_LINE = /\[([VIWEF]):onnxruntime/;

export interface OrtConsole {
  readonly lines: string[];
  capturing: boolean;
}

export function captureOrtConsole(): OrtConsole {
  const state: OrtConsole = { lines: [], capturing: false };
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      const text = args.map((a) => (typeof a === 'string' ? a : String(a))).join(' ');
      if (ORT_LINE.test(text)) {
        if (state.capturing) state.lines.push(text.replace(/\u001b\[[0-9;]*m/g, ''));
        return;
      }
      original(...args);
    };
  }
  return state;
}
