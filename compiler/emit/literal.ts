/**
 * Deterministic TypeScript literals for generated code: keys in the order given (the emitter passes IR
 * objects whose field order is fixed by the canonical IR), integers ≥ 10,000 with `_` digit groups so token
 * budgets read as budgets, short arrays of scalars on one line.
 */
/** A piece of code emitted verbatim (e.g. a reference to a shared constant). */
export class Code {
  constructor(readonly text: string) {}
}

export function tsLiteral(value: unknown, indent = ''): string {
  if (value instanceof Code) return value.text;
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'boolean') return String(value);
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const scalars = value.every((v) => v === null || typeof v !== 'object');
    const oneLine = `[${value.map((v) => tsLiteral(v, inner)).join(', ')}]`;
    if (scalars && oneLine.length + indent.length <= 100) return oneLine;
    return `[\n${value.map((v) => `${inner}${tsLiteral(v, inner)},`).join('\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  // Small flat records (a layer row, a schedule) read best on one line.
  const flat = entries.every(([, v]) => v === null || typeof v !== 'object' || v instanceof Code);
  if (flat) {
    const oneLine = `{ ${entries.map(([k, v]) => `${key(k)}: ${tsLiteral(v, inner)}`).join(', ')} }`;
    if (oneLine.length + indent.length <= 90) return oneLine;
  }
  return `{\n${entries.map(([k, v]) => `${inner}${key(k)}: ${tsLiteral(v, inner)},`).join('\n')}\n${indent}}`;
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`cannot emit non-finite number ${n}`);
  if (Number.isInteger(n) && Math.abs(n) >= 10_000 && Math.abs(n) < 1e21) {
    const s = Math.abs(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, '_');
    return n < 0 ? `-${s}` : s;
  }
  return String(n);
}

function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

function key(k: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : quote(k);
}
