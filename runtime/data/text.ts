/**
 * Text splitting that reproduces the Python of the reference protocols (shared/golden/README.md and
 * shared/bench/ref_distill.py): strict UTF-8 decoding (a BOM is kept, as Python's 'utf-8' codec does),
 * `re.split(r"\n\s*\n", text)` and `str.strip()`. Python's `\s` and `strip()` use `str.isspace()`, which differs
 * from JavaScript's `\s`/`trim()` (Python adds U+001C–U+001F and U+0085; JavaScript adds U+FEFF), so the
 * character class is spelled out. Newlines are not translated: the reference files are LF-only.
 */
import { FileFormatError } from '../io/types.ts';

/** Exactly the characters for which Python's str.isspace() is true. */
const PY_WS = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PARAGRAPH_BREAK = new RegExp(`\\n[${PY_WS}]*\\n`, 'u');
const LEADING = new RegExp(`^[${PY_WS}]+`, 'u');
const TRAILING = new RegExp(`[${PY_WS}]+$`, 'u');

export function decodeUtf8(file: string, bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new FileFormatError(file, 'is not valid UTF-8 text');
  }
}

/** Python `s.strip()`. */
export function pyStrip(s: string): string {
  return s.replace(LEADING, '').replace(TRAILING, '');
}

/** `[p.strip() for p in re.split(r"\n\s*\n", text)]` without the empty ones: the paragraph protocol. */
export function splitParagraphs(text: string): string[] {
  return text
    .split(PARAGRAPH_BREAK)
    .map(pyStrip)
    .filter((p) => p.length > 0);
}

/** `[l.strip() for l in text.split("\n") if l.strip()]`: the reference recipe's "lines" protocol. */
export function splitLines(text: string): string[] {
  return text
    .split('\n')
    .map(pyStrip)
    .filter((l) => l.length > 0);
}
