/** Syntax error texts in the language's own words (chevrotain's defaults name internal token types). */
import { EOF, tokenLabel } from 'chevrotain';
import type { IParserErrorMessageProvider, IToken, TokenType } from 'chevrotain';

export function describeToken(t: IToken): string {
  if (t.tokenType === EOF) return 'the end of the file';
  const image = t.image.length > 24 ? `${t.image.slice(0, 24)}…` : t.image;
  return `\`${image}\``;
}

const RULE_WHAT: Record<string, string> = {
  primary: 'a value (a number, a string, a list `[…]` or a name)',
  value: 'a value',
  unary: 'a value',
  spec: 'a block (e.g. `stage NAME : KIND { … }`)',
};

function label(t: TokenType): string {
  return tokenLabel(t);
}

export const syntaxMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, previous, ruleName }) {
    const found = describeToken(actual);
    if (expected.name === 'RCurly' && ruleName === 'block' && actual.tokenType.name === 'Identifier')
      return `expected '}' to close the block before ${found} starts a new one`;
    if (expected.name === 'Equals' && ruleName === 'entry') return `expected '=' after the key \`${previous.image}\`, found ${found}`;
    if (expected.name === 'Identifier' && ruleName === 'entry') return `expected a key (\`name = value\`) or '}', found ${found}`;
    if (expected.name === 'NumberLit' && ruleName === 'edition') return `expected an edition number after \`mohawk\` (e.g. \`mohawk 0.1\`), found ${found}`;
    return `expected ${label(expected)}, found ${found}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    if (firstRedundant.tokenType.name === 'RCurly') return `unexpected '}': no block is open here`;
    return `expected a block (e.g. \`stage NAME : KIND { … }\`), found ${describeToken(firstRedundant)}`;
  },
  buildNoViableAltMessage({ actual, ruleName }) {
    return `expected ${RULE_WHAT[ruleName] ?? 'something else'}, found ${describeToken(actual[0])}`;
  },
  buildEarlyExitMessage({ actual, ruleName }) {
    return `expected ${RULE_WHAT[ruleName] ?? 'more input'}, found ${describeToken(actual[0])}`;
  },
};
