/** Parsing: the AST and its spans, recovery (several errors per file), positions, and hostile input. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pathText } from '../../grammar/ast.ts';
import { MAX_NESTING, parseSpec } from '../../grammar/parse.ts';
import { SourceText, firstInvalidUtf8 } from '../../grammar/source.ts';

const SPEC = `mohawk 0.1
// comment
student llamba {
  mixer  = discrete_mamba2(d_state: 8, heads: 8)
  layout = [ssm, attention @frozen, ssm]
}
stage orient : matrix_orientation { tokens = 250K, layers = llamba.ssm_layers }
`;

describe('parser', () => {
  it('builds an AST whose spans cut the source exactly', () => {
    const r = parseSpec(SPEC, 'x.mohawk');
    expect(r.problems).toEqual([]);
    const spec = r.spec!;
    const text = (s: { start: number; end: number }) => SPEC.slice(s.start, s.end);
    expect(spec.edition?.version).toBe('0.1');
    expect(spec.blocks.map((b) => [b.kind.text, b.name?.text, b.stageKind?.text])).toEqual([
      ['student', 'llamba', undefined],
      ['stage', 'orient', 'matrix_orientation'],
    ]);
    const [mixer, layout] = spec.blocks[0].entries;
    expect(text(mixer.span)).toBe('mixer  = discrete_mamba2(d_state: 8, heads: 8)');
    expect(text(mixer.value.span)).toBe('discrete_mamba2(d_state: 8, heads: 8)');
    expect(mixer.value.type === 'path' && mixer.value.args!.map((a) => [a.name!.text, text(a.value.span)])).toEqual([['d_state', '8'], ['heads', '8']]);
    expect(layout.value.type === 'list' && layout.value.items.map((i) => text(i.span))).toEqual(['ssm', 'attention @frozen', 'ssm']);
    const layers = spec.blocks[1].entries[1].value;
    expect(layers.type === 'path' && pathText(layers)).toBe('llamba.ssm_layers');
    expect(text(spec.blocks[1].header)).toBe('stage orient : matrix_orientation {');
    expect(r.comments.map((c) => c.image)).toEqual(['// comment']);
  });

  it('recovers and reports several syntax errors in one file, in order', () => {
    const r = parseSpec('mohawk 0.1\nteacher t {\n  a = [1 2]\n}\nstudent s {\n  b = (\n}\nstage x : end_to_end {\n  c = = 1\n}\n', 'x.mohawk');
    expect(r.spec).toBeUndefined();
    expect(r.problems.length).toBeGreaterThanOrEqual(3);
    const lines = r.problems.map((p) => r.source.position(p.span.start).line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    expect(new Set(lines).size).toBeGreaterThanOrEqual(3);
  });

  it('refuses nesting deeper than the limit before the parser recurses', () => {
    const ok = parseSpec(`mohawk 0.1\ns x : end_to_end { a = ${'['.repeat(MAX_NESTING - 1)}${']'.repeat(MAX_NESTING - 1)} }`, 'x');
    expect(ok.problems.map((p) => p.code)).toEqual([]);
    const deep = parseSpec(`mohawk 0.1\ns x : end_to_end { a = ${'['.repeat(100_000)} }`, 'x');
    expect(deep.problems.map((p) => p.code)).toEqual(['MHK0007']);
  });

  it('gives oversized, binary and non-UTF-8 input one clear problem', () => {
    expect(parseSpec(new Uint8Array((1 << 20) + 1), 'x').problems.map((p) => p.code)).toEqual(['MHK0010']);
    expect(parseSpec(Buffer.from('mohawk 0.1\n\u0000\u0001'), 'x').problems.map((p) => p.code)).toEqual(['MHK0006']);
    const latin1 = parseSpec(Buffer.from([0x6d, 0x6f, 0x0a, 0xe9, 0x74, 0xe9]), 'x');
    expect(latin1.problems.map((p) => [p.code, latin1.source.position(p.span.start)])).toEqual([['MHK0006', { line: 2, column: 1 }]]);
    expect(parseSpec('', 'x').problems).toEqual([]);
    expect(parseSpec('\ufeffmohawk 0.1\n', 'x').spec?.edition?.version).toBe('0.1');
  });
});

describe('source positions', () => {
  it('agree with a naive line/column count for LF, CRLF and CR line breaks', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', ' ', '\n', '\r\n', '\r', '\t', 'é'), { maxLength: 60 }), fc.nat(), (parts, k) => {
        const text = parts.join('');
        const src = new SourceText('x', text);
        const o = text.length ? k % (text.length + 1) : 0;
        let line = 1;
        let col = 1;
        for (let i = 0; i < o; i++) {
          if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] !== '\n')) {
            line++;
            col = 1;
          } else if (text[i] !== '\r') col++;
          else col++;
        }
        expect(src.position(o)).toEqual({ line, column: col });
        expect(src.lineText(line)).not.toMatch(/[\r\n]/);
      }),
      { numRuns: 500, seed: 5 },
    );
  });

  it('the UTF-8 validator agrees with TextDecoder on random bytes and on valid text', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true });
    const valid = (b: Uint8Array) => {
      try {
        fatal.decode(b);
        return true;
      } catch {
        return false;
      }
    };
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => new TextEncoder().encode(s))), (b) => {
        const at = firstInvalidUtf8(b);
        expect(at === -1).toBe(valid(b));
        if (at >= 0) {
          expect(valid(b.subarray(0, at))).toBe(true);
          expect(valid(b.subarray(0, at + 4))).toBe(false);
        }
      }),
      { numRuns: 2000, seed: 9 },
    );
  });
});
