/**
 * Parameter-name patterns as specs write them (`no_decay`, `freeze`): 'D', 'norm', 'bias', 'mlp', 'embed',
 * 'layers.2', 'model.layers.*.mixer.D'.
 * - With `*`: a glob over the whole dotted name; `*` matches any run of characters, dots included.
 * - Without: a substring of the name ('norm' matches input_layernorm.weight, 'bias' matches mixer.z_bias), except
 *   that a number in the pattern must be a whole number in the name, so 'layers.1' does not match 'layers.10'.
 * Matching is case-sensitive: 'D' is the mixer's skip vector, not every name with a 'd'.
 */

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}

export function matchesPattern(name: string, pattern: string): boolean {
  if (pattern.length === 0) return false;
  if (pattern.includes('*')) return globToRegExp(pattern).test(name);
  const startsWithDigit = /^\d/.test(pattern);
  const endsWithDigit = /\d$/.test(pattern);
  for (let at = name.indexOf(pattern); at >= 0; at = name.indexOf(pattern, at + 1)) {
    const before = name[at - 1] ?? '';
    const after = name[at + pattern.length] ?? '';
    if (startsWithDigit && /\d/.test(before)) continue;
    if (endsWithDigit && /\d/.test(after)) continue;
    return true;
  }
  return false;
}

export function matchesAny(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => matchesPattern(name, p));
}
