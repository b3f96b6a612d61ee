/**
 * Validates an IR against compiler/ir/schema.json with ajv (all errors, one line each). Emitters and the
 * runtime may call it on IR files they did not produce themselves (a run directory's ir.json).
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

let validator: ValidateFunction | undefined;

function compiled(): ValidateFunction {
  if (validator) return validator;
  const schema = JSON.parse(readFileSync(new URL('./schema.json', import.meta.url), 'utf8'));
  validator = new Ajv({ allErrors: true, strict: true }).compile(schema);
  return validator;
}

/** Problems as `path: message` lines; empty when the value is a valid IR. */
export function validateIr(value: unknown): string[] {
  const v = compiled();
  if (v(value)) return [];
  return (v.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : ''}`);
}
