/**
 * Canonical IR JSON and hashes. Top-level sections keep a fixed order; keys inside them are sorted; arrays
 * keep their order (it is semantic: layers, stages; kernel variants are already sorted by key); undefined
 * fields are dropped. The same IR therefore always prints, and hashes, to the same bytes.
 */
import { createHash } from 'node:crypto';
import type { MohawkIR } from './types.ts';

const TOP_ORDER: (keyof MohawkIR)[] = ['schemaVersion', 'edition', 'spec', 'hash', 'teacher', 'student', 'data', 'stages', 'kernels', 'eval'];

function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortDeep(x);
    }
    return out;
  }
  return v;
}

export function canonicalIr(ir: MohawkIR): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const rest = Object.keys(ir).filter((k) => !TOP_ORDER.includes(k as keyof MohawkIR)).sort();
  for (const k of [...TOP_ORDER, ...rest]) {
    const x = (ir as unknown as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = sortDeep(x);
  }
  return out;
}

/** Pretty canonical JSON (2-space indent, final newline): what `mohawkc ir` prints and run directories store. */
export function canonicalIrJson(ir: MohawkIR): string {
  return JSON.stringify(canonicalIr(ir), null, 2) + '\n';
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** sha256 of the compact canonical JSON of the IR without its `hash` field. */
export function irHash(ir: MohawkIR): string {
  const { hash: _ignored, ...rest } = ir;
  return sha256(JSON.stringify(canonicalIr(rest as MohawkIR)));
}

export function withHash(ir: MohawkIR): MohawkIR {
  const { hash: _ignored, ...rest } = ir;
  return { ...(rest as MohawkIR), hash: irHash(ir) };
}

/** sha256 of a spec's source bytes (for the generated-tree manifest). */
export function hashSpec(source: string | Uint8Array): string {
  return sha256(source);
}
