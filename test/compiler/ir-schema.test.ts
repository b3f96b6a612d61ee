/**
 * compiler/ir/schema.json is generated from compiler/ir/types.ts and must be current; ajv accepts the IRs the
 * compiler produces and rejects IRs with a field missing, added, of the wrong type or outside an enum.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileSpecFile } from '../../compiler/compile.ts';
import { SCHEMA_FILE, generateIrSchema, schemaText } from '../../compiler/ir/gen-schema.ts';
import type { MohawkIR } from '../../compiler/ir/types.ts';
import { IR_SCHEMA_VERSION } from '../../compiler/ir/types.ts';
import { validateIr } from '../../compiler/ir/validate.ts';
import { DATA_DIR, REPO_ROOT } from '../helpers/paths.ts';

const ir = (): MohawkIR => compileSpecFile(resolve(REPO_ROOT, 'specs', 'stories260k-hybrid.mohawk'), { dataDir: DATA_DIR }).ir!;

describe('IR JSON Schema', () => {
  it('is up to date with types.ts (regenerate: npx tsx compiler/ir/gen-schema.ts)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(schemaText());
  });

  it('mirrors the TypeScript types: every interface, its required and optional fields, enums and the version', () => {
    const s = generateIrSchema() as { definitions: Record<string, { required?: string[]; properties?: Record<string, unknown>; enum?: unknown[] }> };
    const src = readFileSync(resolve(REPO_ROOT, 'compiler/ir/types.ts'), 'utf8');
    const interfaces = [...src.matchAll(/export interface (\w+)/g)].map((m) => m[1]);
    for (const name of interfaces) expect(s.definitions[name], name).toBeDefined();
    expect(s.definitions.MohawkIR.required).toEqual(['schemaVersion', 'edition', 'spec', 'teacher', 'student', 'data', 'stages', 'kernels', 'eval']);
    expect(s.definitions.MohawkIR.properties!.schemaVersion).toEqual({ const: IR_SCHEMA_VERSION });
    expect(s.definitions.StageKind.enum).toEqual(['matrix_orientation', 'hidden_state_alignment', 'end_to_end']);
    expect(s.definitions.MixerIR.required).not.toContain('kvHeads');
    expect(s.definitions.KernelVariantIR.required).not.toContain('sm');
  });

  it('accepts compiled IRs and rejects broken ones', () => {
    const good = ir();
    expect(validateIr(good)).toEqual([]);
    const broken: [string, (x: any) => void, RegExp][] = [
      ['missing field', (x) => delete x.teacher.vocab, /\/teacher: must have required property 'vocab'/],
      ['extra field', (x) => (x.stages[0].learningRate = 1), /\/stages\/0: must NOT have additional properties \(learningRate\)/],
      ['wrong type', (x) => (x.stages[1].tokens = '2M'), /\/stages\/1\/tokens: must be number/],
      ['outside an enum', (x) => (x.student.layers[0].mixer.dtype = 'f64'), /\/student\/layers\/0\/mixer\/dtype: must be equal to one of the allowed values/],
      ['wrong version', (x) => (x.schemaVersion = 2), /\/schemaVersion: must be equal to constant/],
      ['inline object', (x) => (x.data.push({ name: 'm', kind: 'mix', protocol: 'windows', seed: 0, parts: [{ source: 'a' }] })), /\/data\/1\/parts\/0: must have required property 'weight'/],
    ];
    for (const [what, mutate, expected] of broken) {
      const x = structuredClone(good);
      mutate(x);
      const problems = validateIr(x);
      expect(problems.join('\n'), what).toMatch(expected);
    }
  });
});
