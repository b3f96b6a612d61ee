/** "Did you mean": the rolling-row edit distance equals the textbook matrix; suggestions stay close. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { editDistance, suggest } from '../../compiler/util/suggest.ts';

/** Optimal-string-alignment distance with the full (m+1)×(n+1) matrix. */
function reference(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.length][b.length];
}

describe('suggest', () => {
  it('editDistance equals the matrix form', () => {
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '_'), maxLength: 9 });
    fc.assert(fc.property(word, word, (a, b) => {
        expect(editDistance(a, b)).toBe(reference(a, b));
      }), { numRuns: 3000, seed: 17 });
  });

  it('suggests close names only', () => {
    expect(suggest('learning_rat', ['lr', 'learning_rate', 'tokens'])).toBe('learning_rate');
    expect(suggest('tokns', ['lr', 'tokens'])).toBe('tokens');
    expect(suggest('frozn', ['frozen'])).toBe('frozen');
    expect(suggest('xyz', ['tokens', 'lr'])).toBeUndefined();
    expect(suggest('Tokens', ['tokens'])).toBe('tokens');
  });
});
