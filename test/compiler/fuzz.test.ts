/**
 * Fuzzing the front end in-process with fast-check: the example specs mutated at the token level (delete,
 * duplicate, swap, replace, insert), at the byte level (random bytes, invalid UTF-8, NULs), truncated, deeply
 * nested, and pure noise — ≥ 10,000 cases per run. For every case: no exception, exit code 0/1/2, every
 * diagnostic registered with its registry severity and a span inside the text, a failing case always carries
 * an error, a clean case always yields an IR valid against the JSON Schema, and formatting is idempotent and
 * keeps the meaning (the same diagnostic codes; the same IR up to source line numbers).
 *
 * Seeded (FUZZ_SEED overrides) so a failure reproduces; fast-check prints the counterexample.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileSource, type CompileResult } from '../../compiler/compile.ts';
import { CODES, isCode } from '../../compiler/diagnostics/codes.ts';
import { diagnosticJson } from '../../compiler/diagnostics/render-json.ts';
import { renderDiagnostic } from '../../compiler/diagnostics/render-text.ts';
import { formatSpec } from '../../compiler/fmt/format.ts';
import { withHash } from '../../compiler/ir/canonical.ts';
import type { MohawkIR } from '../../compiler/ir/types.ts';
import { validateIr } from '../../compiler/ir/validate.ts';
import { DATA_DIR, REPO_ROOT } from '../helpers/paths.ts';

const SPECS = resolve(REPO_ROOT, 'specs');
const CORPUS = readdirSync(SPECS)
  .filter((f) => f.endsWith('.mohawk'))
  .sort()
  .map((f) => readFileSync(resolve(SPECS, f), 'utf8'));
const SEED = Number(process.env.FUZZ_SEED ?? 20240917);

/** Splits text into tokens that concatenate back to it (whitespace and comments included). */
const TOKEN = /\s+|\/\/[^\n]*|"[^"\n]*"?|[A-Za-z_][A-Za-z0-9_]*|\d[A-Za-z0-9_.%]*|\.\.=?|[\s\S]/g;
const tokenize = (s: string) => s.match(TOKEN) ?? [];
const TOKENS = CORPUS.map(tokenize);
const VOCAB = [...new Set(TOKENS.flat().filter((t) => t.trim()))].concat(['{', '}', '[', ']', '(', ')', '@', '"', '-', '..', '..=', ':', ',', '=', '1e999', '0', '-1', '12KM', 'mohawk', '\n', 'stage', 'kernels', 'eval', '@frozen', '"\\q"', '\u00e9', '\t', ';']);

const stats = { cases: 0, clean: 0, errors: 0, io: 0, withIr: 0, formatted: 0 };

function stripLines(ir: MohawkIR): unknown {
  return { ...ir, stages: ir.stages.map((s) => ({ ...s, source: { ...s.source, line: 0 } })) };
}

function invariants(input: string | Uint8Array, opts: { format?: boolean } = {}): CompileResult {
  stats.cases++;
  const r = compileSource(input, 'specs/fuzz.mohawk', { dataDir: DATA_DIR, specDir: SPECS });
  expect([0, 1, 2]).toContain(r.exitCode);
  const textLength = r.source?.text.length ?? 0;
  for (const d of r.diagnostics) {
    expect(isCode(d.code)).toBe(true);
    expect(d.severity).toBe(CODES[d.code].severity);
    expect(d.message.length).toBeGreaterThan(0);
    if (d.primary) {
      expect(d.primary.span.start).toBeGreaterThanOrEqual(0);
      expect(d.primary.span.end).toBeGreaterThanOrEqual(d.primary.span.start);
      expect(d.primary.span.end).toBeLessThanOrEqual(textLength);
    }
    expect(renderDiagnostic(d, r.source)).toContain(d.code);
    expect(diagnosticJson(d, r.source).code).toBe(d.code);
  }
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (r.exitCode !== 0) expect(errors.length).toBeGreaterThan(0);
  if (errors.length) {
    expect(r.ir).toBeUndefined();
    stats.errors++;
    if (r.exitCode === 2) stats.io++;
  } else {
    expect(r.ir).toBeDefined();
    expect(validateIr(withHash(r.ir!))).toEqual([]);
    stats.withIr++;
  }
  if (!r.diagnostics.length) stats.clean++;
  if (opts.format) {
    const f = formatSpec(input, 'specs/fuzz.mohawk');
    if (f.output !== undefined) {
      stats.formatted++;
      expect(formatSpec(f.output, 'specs/fuzz.mohawk').output).toBe(f.output);
      const again = compileSource(f.output, 'specs/fuzz.mohawk', { dataDir: DATA_DIR, specDir: SPECS });
      expect(again.diagnostics.map((d) => d.code).sort()).toEqual(r.diagnostics.map((d) => d.code).sort());
      if (r.ir) expect(stripLines(again.ir!)).toEqual(stripLines(r.ir));
    } else expect(r.diagnostics.some((d) => d.code < 'MHK0100')).toBe(true);
  }
  return r;
}

type Op = { kind: 'delete' | 'duplicate'; at: number } | { kind: 'swap'; at: number; with: number } | { kind: 'replace'; at: number; token: number } | { kind: 'insert'; at: number; token: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('delete' as const, 'duplicate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), token: fc.nat({ max: VOCAB.length - 1 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), token: fc.nat({ max: VOCAB.length - 1 }) }),
);

function applyOps(tokens: string[], ops: Op[]): string {
  const t = [...tokens];
  for (const op of ops) {
    if (!t.length) break;
    const i = op.at % t.length;
    switch (op.kind) {
      case 'delete':
        t.splice(i, 1);
        break;
      case 'duplicate':
        t.splice(i, 0, t[i]);
        break;
      case 'swap': {
        const j = op.with % t.length;
        [t[i], t[j]] = [t[j], t[i]];
        break;
      }
      case 'replace':
        t[i] = VOCAB[op.token];
        break;
      case 'insert':
        t.splice(i, 0, VOCAB[op.token]);
        break;
    }
  }
  return t.join('');
}

const specIndex = fc.nat({ max: CORPUS.length - 1 });

describe('fuzzing check and fmt', () => {
  it('the unmutated corpus is clean', () => {
    for (const s of CORPUS) expect(invariants(s, { format: true }).diagnostics).toEqual([]);
  });

  it('token mutations (4,000 cases, formatter properties on each)', () => {
    fc.assert(
      fc.property(specIndex, fc.array(opArb, { minLength: 1, maxLength: 4 }), (k, ops) => {
        invariants(applyOps(TOKENS[k], ops), { format: true });
      }),
      { numRuns: 4000, seed: SEED },
    );
  });

  it('byte mutations: random bytes replaced or inserted (2,500 cases)', () => {
    const edit = fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), insert: fc.boolean() });
    fc.assert(
      fc.property(specIndex, fc.array(edit, { minLength: 1, maxLength: 6 }), (k, edits) => {
        let bytes = Buffer.from(CORPUS[k], 'utf8');
        for (const e of edits) {
          const i = e.at % (bytes.length + 1);
          bytes = e.insert || i === bytes.length ? Buffer.concat([bytes.subarray(0, i), Buffer.from([e.byte]), bytes.subarray(i)]) : Buffer.concat([bytes.subarray(0, i), Buffer.from([e.byte]), bytes.subarray(i + 1)]);
        }
        invariants(bytes);
      }),
      { numRuns: 2500, seed: SEED + 1 },
    );
  });

  it('truncations, with line endings and indentation varied (1,500 cases)', () => {
    fc.assert(
      fc.property(specIndex, fc.nat(), fc.constantFrom('\n', '\r\n', '\r'), fc.constantFrom('', '\t'), (k, at, eol, indent) => {
        const text = CORPUS[k].replace(/\n/g, eol).replace(/^ {2}/gm, indent || '  ');
        invariants(text.slice(0, at % (text.length + 1)), { format: true });
      }),
      { numRuns: 1500, seed: SEED + 2 },
    );
  });

  it('nesting and repetition: brackets, lists and calls deep and long (1,000 cases)', () => {
    fc.assert(
      fc.property(specIndex, fc.nat(), fc.integer({ min: 1, max: 80 }), fc.constantFrom('[', '(', '{', 'f(', '[[', 'a(b: ['), (k, at, depth, open) => {
        const t = TOKENS[k];
        const i = at % (t.length + 1);
        invariants([...t.slice(0, i), open.repeat(depth), ...t.slice(i)].join(''));
      }),
      { numRuns: 1000, seed: SEED + 3 },
    );
  });

  it('noise: arbitrary strings and bytes (1,000 cases)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), fc.uint8Array({ maxLength: 400 }), fc.string({ unit: fc.constantFrom(...'{}[]()=:,.@-"/ \nabc0123456789KM%'.split('')), maxLength: 200 })), (x) => {
        invariants(x);
      }),
      { numRuns: 1000, seed: SEED + 4 },
    );
  });

  it('ran at least 10,000 cases, with a mix of outcomes', () => {
    expect(stats.cases).toBeGreaterThanOrEqual(10_000);
    // A fuzzer that only ever produces one outcome is not exploring: require every kind.
    expect(stats.errors).toBeGreaterThan(1000);
    expect(stats.withIr).toBeGreaterThan(100);
    expect(stats.formatted).toBeGreaterThan(1000);
    console.log(`fuzz: ${JSON.stringify(stats)}`);
  });
});
