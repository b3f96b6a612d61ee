/** Diagnostics as JSON (`--format json`): positions are 1-based line/column plus 0-based offsets. */
import type { SourceText } from '../../grammar/source.ts';
import type { Diagnostic, Label } from './diagnostic.ts';

export interface JsonPosition {
  line: number;
  column: number;
  offset: number;
}

export interface JsonLabel {
  start: JsonPosition;
  end: JsonPosition;
  message?: string;
}

export interface JsonDiagnostic {
  code: string;
  severity: string;
  message: string;
  file: string;
  primary?: JsonLabel;
  secondary: JsonLabel[];
  help?: string;
  notes: string[];
}

function label(source: SourceText | undefined, l: Label): JsonLabel {
  const pos = (o: number): JsonPosition => ({ ...(source ? source.position(o) : { line: 1, column: 1 }), offset: o });
  return { start: pos(l.span.start), end: pos(l.span.end), ...(l.message ? { message: l.message } : {}) };
}

export function diagnosticJson(d: Diagnostic, source: SourceText | undefined): JsonDiagnostic {
  return {
    code: d.code,
    severity: d.severity,
    message: d.message,
    file: d.file,
    ...(d.primary ? { primary: label(source, d.primary) } : {}),
    secondary: d.secondary.map((s) => label(source, s)),
    ...(d.help ? { help: d.help } : {}),
    notes: d.notes,
  };
}
