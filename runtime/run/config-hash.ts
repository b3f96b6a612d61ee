/**
 * Hash of a training configuration: sha256 of its canonical JSON (object keys sorted at every level), so the
 * same configuration built in a different key order hashes the same. A checkpoint records it and a resume
 * under another configuration is refused.
 */
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} has no JSON form`);
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

export function configHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
