import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeUtf8, pyStrip, splitLines, splitParagraphs } from '../../../runtime/data/text.ts';
import { TRAIN_TXT, VALID_TXT } from '../../helpers/paths.ts';

// Expected values below are what CPython 3 gives for the same expressions (derived by hand from the
// definitions of re.split(r"\n\s*\n"), str.strip() and str.isspace()).
describe('Python-exact text splitting', () => {
  it('splits on a newline, any Python whitespace, a newline; strips; drops empties', () => {
    expect(splitParagraphs('a\n\nb')).toEqual(['a', 'b']);
    expect(splitParagraphs('  a \n \t \n\n b\nc \n\n\n')).toEqual(['a', 'b\nc']);
    expect(splitParagraphs('\n\n\n')).toEqual([]);
    expect(splitParagraphs('')).toEqual([]);
    // U+00A0 and U+3000 are whitespace to Python's \s; U+FEFF and U+200B are not.
    expect(splitParagraphs('a\n\u00a0\u3000\nb')).toEqual(['a', 'b']);
    expect(splitParagraphs('a\n\ufeff\nb')).toEqual(['a\n\ufeff\nb']);
    expect(splitParagraphs('a\n\u200b\nb')).toEqual(['a\n\u200b\nb']);
    // U+001C..U+001F and U+0085 are whitespace to Python (not to JavaScript's trim()).
    expect(splitParagraphs('a\n\x1c\x85\nb')).toEqual(['a', 'b']);
    expect(pyStrip('\x1f\x85 x \u2029')).toBe('x');
    expect(pyStrip('\ufeffx')).toBe('\ufeffx');
  });

  it('lines: strip each line, drop the blank ones', () => {
    expect(splitLines(' a \n\n\t\nb\r\n  c')).toEqual(['a', 'b', 'c']);
  });

  it('strict UTF-8 keeps a BOM (as Python) and names the file when bytes are invalid', () => {
    expect(decodeUtf8('f.txt', Uint8Array.from([0xef, 0xbb, 0xbf, 0x41]))).toBe('\ufeffA');
    expect(() => decodeUtf8('f.txt', Uint8Array.from([0x41, 0xc3]))).toThrow(/^f\.txt: is not valid UTF-8 text$/);
  });

  it('the shared corpora split as documented (valid 4,302 paragraphs; train 4,667 paragraphs, 5,758 lines)', () => {
    expect(splitParagraphs(readFileSync(VALID_TXT, 'utf8')).length).toBe(4302);
    const train = readFileSync(TRAIN_TXT, 'utf8');
    expect(splitParagraphs(train).length).toBe(4667);
    expect(splitLines(train).length).toBe(5758);
  });
});
