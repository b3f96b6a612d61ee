/**
 * Diagnostics are data: a code, a severity, a message, a primary span, secondary spans with labels, help and
 * notes. Renderers (render-text.ts, render-json.ts) turn them into what users read.
 */
import type { Span } from '../../grammar/ast.ts';
import { CODES, type Code, type Severity } from './codes.ts';

export interface Label {
  span: Span;
  message?: string;
}

export interface Diagnostic {
  code: Code;
  severity: Severity;
  message: string;
  /** The spec file (as the user named it). */
  file: string;
  /** Undefined for problems about the whole file (e.g. it cannot be read). */
  primary?: Label;
  secondary: Label[];
  help?: string;
  notes: string[];
}

export interface DiagnosticOptions {
  label?: string;
  secondary?: Label[];
  help?: string;
  notes?: string[];
}

/** Collects diagnostics for one file; severity comes from the code's registry entry. */
export class DiagnosticSink {
  readonly list: Diagnostic[] = [];

  constructor(readonly file: string) {}

  report(code: Code, span: Span | undefined, message: string, opts: DiagnosticOptions = {}): void {
    this.list.push({
      code,
      severity: CODES[code].severity,
      message,
      file: this.file,
      primary: span ? { span, message: opts.label } : undefined,
      secondary: opts.secondary ?? [],
      help: opts.help,
      notes: opts.notes ?? [],
    });
  }

  get errorCount(): number {
    return this.list.filter((d) => d.severity === 'error').length;
  }
}

/**
 * Position order, duplicates dropped: a bad value in `defaults` is read once per stage but reported once.
 */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const unique = list.filter((d) => {
    const key = `${d.code}|${d.primary?.span.start}|${d.primary?.span.end}|${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort((a, b) => (a.primary?.span.start ?? -1) - (b.primary?.span.start ?? -1) || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

/** Exit status for a set of diagnostics: 0 clean (warnings allowed), 2 when a file outside the spec is at fault, else 1. */
export function exitCodeFor(list: Diagnostic[]): 0 | 1 | 2 {
  const errors = list.filter((d) => d.severity === 'error');
  if (!errors.length) return 0;
  return errors.some((d) => (CODES[d.code] as { io?: boolean }).io) ? 2 : 1;
}
