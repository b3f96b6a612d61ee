/** The .mohawk syntax tree: every node carries its source span (byte-free: UTF-16 offsets into the text). */

/** Half-open [start, end) range of offsets into the decoded source text. */
export interface Span {
  start: number;
  end: number;
}

export interface Name {
  text: string;
  span: Span;
}

export interface Spec {
  edition?: Edition;
  blocks: Block[];
  span: Span;
}

export interface Edition {
  version: string;
  span: Span;
  versionSpan: Span;
}

export interface Block {
  kind: Name;
  name?: Name;
  stageKind?: Name;
  entries: Entry[];
  span: Span;
  /** Span of the header `kind name : stageKind {`. */
  header: Span;
}

export interface Entry {
  key: Name;
  value: Value;
  span: Span;
}

export interface Attribute {
  name: Name;
  args?: Arg[];
  span: Span;
}

export interface Arg {
  name?: Name;
  value: Value;
  span: Span;
}

interface ValueBase {
  span: Span;
  attrs: Attribute[];
}

export type CountSuffix = '' | 'K' | 'M' | 'B' | 'Ki' | 'Mi' | 'Gi' | '%';

export interface NumberValue extends ValueBase {
  type: 'number';
  /** As written, sign included (the formatter prints it back unchanged). */
  text: string;
  value: number;
  suffix: CountSuffix;
}

export interface StringValue extends ValueBase {
  type: 'string';
  /** Unescaped contents. */
  value: string;
  raw: string;
}

export interface ListValue extends ValueBase {
  type: 'list';
  items: Value[];
}

/** A bare or dotted name (`ssm`, `llamba.ssm_layers`), or a constructor call when `args` is present. */
export interface PathValue extends ValueBase {
  type: 'path';
  parts: Name[];
  args?: Arg[];
}

export interface RangeValue extends ValueBase {
  type: 'range';
  from: Value;
  to: Value;
  inclusive: boolean;
}

/** `-x` where x is not a number literal (numbers fold the sign in); always a type error downstream. */
export interface NegValue extends ValueBase {
  type: 'neg';
  operand: Value;
}

/** A malformed literal; its syntax problem is already reported, so checks skip it silently. */
export interface BadValue extends ValueBase {
  type: 'bad';
  text: string;
}

export type Value = NumberValue | StringValue | ListValue | PathValue | RangeValue | NegValue | BadValue;

/** A problem found while reading the text: a code from the MHK00xx range, a message and where. */
export interface SyntaxProblem {
  code: string;
  message: string;
  span: Span;
  help?: string;
}

export function pathText(v: PathValue): string {
  return v.parts.map((p) => p.text).join('.');
}
