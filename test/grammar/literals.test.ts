/** Number literals with count suffixes are exact; strings unescape; malformed literals are single problems. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { numberLiteralValue } from '../../grammar/build-ast.ts';
import { parseSpec } from '../../grammar/parse.ts';

const valueOf = (src: string) => {
  const r = parseSpec(`mohawk 0.1\nstage s : end_to_end {\n  x = ${src}\n}\n`, 'x.mohawk');
  return { problems: r.problems.map((p) => p.code), value: r.spec?.blocks[0].entries[0].value };
};

describe('number literals', () => {
  it('scale exactly by decimal and binary suffixes', () => {
    const table: [string, number][] = [
      ['250K', 250_000],
      ['0.25M', 250_000],
      ['2.76B', 2_760_000_000],
      ['1.1K', 1100],
      ['16Ki', 16_384],
      ['1Mi', 1_048_576],
      ['1Gi', 1_073_741_824],
      ['5%', 0.05],
      ['1e-4', 1e-4],
      ['3e8', 3e8],
      ['1.5e3K', 1_500_000],
      ['0', 0],
    ];
    for (const [text, v] of table) expect(numberLiteralValue(text), text).toEqual({ value: v, suffix: text.match(/(Ki|Mi|Gi|K|M|B|%)$/)?.[1] ?? '' });
  });

  it('decimal suffixes agree with exact integer arithmetic for any digits', () => {
    fc.assert(
      fc.property(fc.nat({ max: 999_999 }), fc.nat({ max: 999 }), fc.constantFrom(['K', 3], ['M', 6], ['B', 9]), (whole, frac, [suffix, pow]) => {
        const text = `${whole}.${String(frac).padStart(3, '0')}${suffix}`;
        // whole.fff × 10^pow computed with BigInt: (whole·1000 + fff) · 10^(pow−3)
        const exact = (BigInt(whole) * 1000n + BigInt(frac)) * 10n ** BigInt(pow - 3);
        expect(numberLiteralValue(text).value).toBe(Number(exact));
      }),
      { numRuns: 500, seed: 3 },
    );
  });

  it('parse with their sign, and malformed ones are one MHK0009 each', () => {
    expect(valueOf('-1e-3').value).toMatchObject({ type: 'number', value: -1e-3, text: '-1e-3' });
    expect(valueOf('12KM').problems).toEqual(['MHK0009']);
    expect(valueOf('1.2.3').problems).toEqual(['MHK0009']);
    expect(valueOf('3x').problems).toEqual(['MHK0009']);
    expect(valueOf('1e999').problems).toEqual(['MHK0009']);
    expect(valueOf('0..4').value).toMatchObject({ type: 'range', inclusive: false, from: { value: 0 }, to: { value: 4 } });
    expect(valueOf('0..=4').value).toMatchObject({ type: 'range', inclusive: true });
  });
});

describe('strings', () => {
  it('unescape \\n \\t \\" \\\\ and reject other escapes', () => {
    expect(valueOf('"a\\"b\\\\c\\nd\\te"').value).toMatchObject({ type: 'string', value: 'a"b\\c\nd\te' });
    expect(valueOf('"C:\\data"').problems).toEqual(['MHK0012']);
    expect(valueOf('"open').problems).toEqual(['MHK0002']);
  });
});
