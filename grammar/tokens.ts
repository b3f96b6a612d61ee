/**
 * Tokens of the .mohawk language (edition 0.1). Newlines are whitespace to the parser; the rule "entries on one
 * line need a comma" is checked on token positions after parsing, which keeps the grammar free of newline
 * tokens inside lists and calls. Comments go to their own group so the formatter can put them back.
 */
import { createToken, Lexer } from 'chevrotain';
import type { TokenType } from 'chevrotain';

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n\f\v]+/, group: Lexer.SKIPPED, line_breaks: true });
export const Comment = createToken({ name: 'Comment', pattern: /\/\/[^\n\r]*/, group: 'comments' });

/** Unterminated strings become one token so the error names the string, not every character after it. */
export const BadString = createToken({ name: 'BadString', pattern: /"[^\n\r]*/, label: 'unterminated string' });
export const StringLit = createToken({ name: 'StringLit', pattern: /"(?:[^"\\\n\r]|\\.)*"/, label: 'string' });

/**
 * Numbers: 12, 0.5, 1e-4, with an optional count suffix (K M B = 10^3 10^6 10^9; Ki Mi Gi = 2^10 2^20 2^30) or
 * a percent sign. A number must not run into letters or a second decimal point ("0..4" is fine: a range).
 */
export const NumberLit = createToken({
  name: 'NumberLit',
  pattern: /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:Ki|Mi|Gi|K|M|B|%)?(?![A-Za-z0-9_]|\.\d)/,
  label: 'number',
});
/** Anything else that starts with a digit (12KM, 1.2.3, 3x): reported as a malformed number. */
export const BadNumber = createToken({ name: 'BadNumber', pattern: /\d[A-Za-z0-9_.]*/, label: 'malformed number' });

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: 'name' });
export const Mohawk = createToken({ name: 'Mohawk', pattern: /mohawk/, longer_alt: Identifier, label: "'mohawk'" });

export const RangeInclusive = createToken({ name: 'RangeInclusive', pattern: /\.\.=/, label: "'..='" });
export const RangeOp = createToken({ name: 'RangeOp', pattern: /\.\./, label: "'..'" });
export const Dot = createToken({ name: 'Dot', pattern: /\./, label: "'.'" });
export const LCurly = createToken({ name: 'LCurly', pattern: /\{/, label: "'{'" });
export const RCurly = createToken({ name: 'RCurly', pattern: /\}/, label: "'}'" });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: 'RBracket', pattern: /\]/, label: "']'" });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: "')'" });
export const Equals = createToken({ name: 'Equals', pattern: /=/, label: "'='" });
export const Colon = createToken({ name: 'Colon', pattern: /:/, label: "':'" });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" });
export const At = createToken({ name: 'At', pattern: /@/, label: "'@'" });
export const Minus = createToken({ name: 'Minus', pattern: /-/, label: "'-'" });

/** Order matters: chevrotain takes the first pattern that matches, so longer operators come first. */
export const ALL_TOKENS: TokenType[] = [
  WhiteSpace,
  Comment,
  StringLit,
  BadString,
  NumberLit,
  BadNumber,
  Mohawk,
  Identifier,
  RangeInclusive,
  RangeOp,
  Dot,
  LCurly,
  RCurly,
  LBracket,
  RBracket,
  LParen,
  RParen,
  Equals,
  Colon,
  Comma,
  At,
  Minus,
];

export const mohawkLexer = new Lexer(ALL_TOKENS, { ensureOptimizations: false, positionTracking: 'full' });
