/**
 * The .mohawk grammar as a chevrotain CstParser (grammar only; the AST is built from the CST in build-ast.ts).
 *
 *   spec      := edition? block*
 *   edition   := 'mohawk' NUMBER
 *   block     := NAME NAME? (':' NAME)? '{' (entry ','?)* '}'      (a missing ':' is reported, not a parse failure)
 *   entry     := NAME '=' value
 *   value     := unary (('..' | '..=') unary)?
 *   unary     := '-'? postfix
 *   postfix   := primary attribute*
 *   attribute := '@' NAME ('(' args? ')')?
 *   primary   := NUMBER | STRING | list | path
 *   path      := NAME ('.' NAME)* ('(' args? ')')?
 *   list      := '[' (value (',' value)* ','?)? ']'
 *   args      := arg (',' arg)* ','?
 *   arg       := (NAME ':')? value
 *
 * Block kinds are ordinary names here: the checker reports unknown kinds with a suggestion, which reads better
 * than a parse error. Recovery is on, so one file can report several syntax errors.
 */
import { CstParser } from 'chevrotain';
import type { CstNode, IToken, TokenType } from 'chevrotain';
import * as T from './tokens.ts';
import { syntaxMessages } from './syntax-messages.ts';

/** Names that open a block at the top level; used to notice a missing '}' before the next block. */
export const BLOCK_KINDS = ['teacher', 'student', 'data', 'defaults', 'stage', 'kernels', 'eval'] as const;

export class MohawkParser extends CstParser {
  constructor() {
    super(T.ALL_TOKENS, { recoveryEnabled: true, maxLookahead: 3, errorMessageProvider: syntaxMessages });
    this.performSelfAnalysis();
  }

  private startsBlock(): boolean {
    const a = this.LA(1);
    const b = this.LA(2).tokenType;
    return a.tokenType === T.Identifier && (BLOCK_KINDS as readonly string[]).includes(a.image) && (b === T.Identifier || b === T.LCurly);
  }

  public spec = this.RULE('spec', () => {
    this.OPTION(() => this.SUBRULE(this.edition));
    this.MANY(() => this.SUBRULE(this.block));
  });

  public edition = this.RULE('edition', () => {
    this.CONSUME(T.Mohawk);
    this.CONSUME(T.NumberLit);
  });

  public block = this.RULE('block', () => {
    this.CONSUME(T.Identifier, { LABEL: 'kind' });
    this.OPTION(() => this.CONSUME2(T.Identifier, { LABEL: 'name' }));
    // The colon is optional here so that `stage x end_to_end {` gets one clear error (build-ast.ts).
    this.OPTION2(() => {
      this.OPTION4(() => this.CONSUME(T.Colon));
      this.CONSUME3(T.Identifier, { LABEL: 'stageKind' });
    });
    this.CONSUME(T.LCurly);
    this.MANY({
      GATE: () => !this.startsBlock(),
      DEF: () => {
        this.SUBRULE(this.entry);
        this.OPTION3(() => this.CONSUME(T.Comma));
      },
    });
    this.CONSUME(T.RCurly);
  });

  public entry = this.RULE('entry', () => {
    this.CONSUME(T.Identifier, { LABEL: 'key' });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.value);
  });

  public value = this.RULE('value', () => {
    this.SUBRULE(this.unary, { LABEL: 'from' });
    this.OPTION(() => {
      this.OR([{ ALT: () => this.CONSUME(T.RangeOp) }, { ALT: () => this.CONSUME(T.RangeInclusive) }]);
      this.SUBRULE2(this.unary, { LABEL: 'to' });
    });
  });

  public unary = this.RULE('unary', () => {
    this.OPTION(() => this.CONSUME(T.Minus));
    this.SUBRULE(this.primary);
    this.MANY(() => this.SUBRULE(this.attribute));
  });

  public attribute = this.RULE('attribute', () => {
    this.CONSUME(T.At);
    this.CONSUME(T.Identifier);
    this.OPTION(() => this.SUBRULE(this.callArgs));
  });

  public primary = this.RULE('primary', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLit) },
      { ALT: () => this.CONSUME(T.StringLit) },
      // Malformed literals still parse as values: the lexer-level problem is reported once, without a cascade.
      { ALT: () => this.CONSUME(T.BadNumber) },
      { ALT: () => this.CONSUME(T.BadString) },
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.path) },
    ]);
  });

  public path = this.RULE('path', () => {
    this.CONSUME(T.Identifier);
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.CONSUME2(T.Identifier);
    });
    this.OPTION(() => this.SUBRULE(this.callArgs));
  });

  public callArgs = this.RULE('callArgs', () => {
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.arg);
      this.MANY({
        GATE: () => this.LA(1).tokenType === T.Comma && this.LA(2).tokenType !== T.RParen,
        DEF: () => {
          this.CONSUME(T.Comma);
          this.SUBRULE2(this.arg);
        },
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RParen);
  });

  public arg = this.RULE('arg', () => {
    this.OPTION(() => {
      this.CONSUME(T.Identifier, { LABEL: 'name' });
      this.CONSUME(T.Colon);
    });
    this.SUBRULE(this.value);
  });

  public list = this.RULE('list', () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.value);
      this.MANY({
        GATE: () => this.LA(1).tokenType === T.Comma && this.LA(2).tokenType !== T.RBracket,
        DEF: () => {
          this.CONSUME(T.Comma);
          this.SUBRULE2(this.value);
        },
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RBracket);
  });
}

let shared: MohawkParser | undefined;
/** Building the parser runs chevrotain's grammar analysis (tens of ms); do it once per process. */
export function parserInstance(): MohawkParser {
  return (shared ??= new MohawkParser());
}

export type { CstNode, IToken, TokenType };
