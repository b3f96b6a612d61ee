/**
 * Generates the IR's JSON Schema (compiler/ir/schema.json) from compiler/ir/types.ts with ts-morph, so the
 * TypeScript types stay the one source: interfaces become objects (no extra properties; optional members not
 * required), string-literal unions become enums, `typeof IR_SCHEMA_VERSION` becomes a const, doc comments
 * become descriptions (editors show them on hover).
 *
 *   npx tsx compiler/ir/gen-schema.ts          # rewrite schema.json
 *   npx tsx compiler/ir/gen-schema.ts --check  # exit 1 when schema.json is stale (the test does the same)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Node, Project, type InterfaceDeclaration, type JSDocableNode, type SourceFile, type TypeNode } from 'ts-morph';

type Schema = Record<string, unknown>;

const HERE = dirname(fileURLToPath(import.meta.url));
export const TYPES_FILE = resolve(HERE, 'types.ts');
export const SCHEMA_FILE = resolve(HERE, 'schema.json');
export const SCHEMA_ID = 'https://mohawk.dev/schemas/ir.schema.json';

function docOf(node: JSDocableNode): string | undefined {
  const text = node
    .getJsDocs()
    .map((d) => d.getDescription().trim())
    .filter(Boolean)
    .join('\n');
  return text ? text.replace(/\s*\n\s*/g, ' ') : undefined;
}

class Generator {
  readonly defs: Record<string, Schema> = {};

  constructor(private readonly sf: SourceFile) {}

  iface(decl: InterfaceDeclaration): Schema {
    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    for (const p of decl.getProperties()) {
      const tn = p.getTypeNode();
      if (!tn) throw new Error(`${decl.getName()}.${p.getName()} has no type annotation`);
      const s = this.type(tn);
      const doc = docOf(p);
      properties[p.getName()] = doc ? { description: doc, ...s } : s;
      if (!p.hasQuestionToken()) required.push(p.getName());
    }
    const doc = docOf(decl);
    return { ...(doc ? { description: doc } : {}), type: 'object', properties, required, additionalProperties: false };
  }

  ref(name: string): Schema {
    if (!this.defs[name]) {
      const iface = this.sf.getInterface(name);
      const alias = this.sf.getTypeAlias(name);
      this.defs[name] = {};
      if (iface) this.defs[name] = this.iface(iface);
      else if (alias) {
        const s = this.type(alias.getTypeNodeOrThrow());
        const doc = docOf(alias);
        this.defs[name] = doc ? { description: doc, ...s } : s;
      } else throw new Error(`type ${name} is not declared in types.ts`);
    }
    return { $ref: `#/definitions/${name}` };
  }

  type(tn: TypeNode): Schema {
    if (Node.isNumberKeyword(tn)) return { type: 'number' };
    if (Node.isStringKeyword(tn)) return { type: 'string' };
    if (Node.isBooleanKeyword(tn)) return { type: 'boolean' };
    if (Node.isArrayTypeNode(tn)) return { type: 'array', items: this.type(tn.getElementTypeNode()) };
    if (Node.isLiteralTypeNode(tn)) {
      const lit = tn.getLiteral();
      if (Node.isStringLiteral(lit)) return { const: lit.getLiteralValue() };
      if (Node.isNumericLiteral(lit)) return { const: lit.getLiteralValue() };
      throw new Error(`unsupported literal type ${tn.getText()}`);
    }
    if (Node.isUnionTypeNode(tn)) {
      const parts = tn.getTypeNodes().map((t) => this.type(t));
      if (parts.every((p) => 'const' in p)) return { enum: parts.map((p) => p.const) };
      return { anyOf: parts };
    }
    if (Node.isTypeLiteral(tn)) {
      const properties: Record<string, Schema> = {};
      const required: string[] = [];
      for (const m of tn.getProperties()) {
        properties[m.getName()] = this.type(m.getTypeNodeOrThrow());
        if (!m.hasQuestionToken()) required.push(m.getName());
      }
      return { type: 'object', properties, required, additionalProperties: false };
    }
    if (Node.isTypeQuery(tn)) {
      const v = this.sf.getVariableDeclarationOrThrow(tn.getExprName().getText());
      const init = v.getInitializerOrThrow().getText().replace(/\s+as\s+const$/, '');
      return { const: JSON.parse(init) };
    }
    if (Node.isTypeReference(tn)) return this.ref(tn.getTypeName().getText());
    throw new Error(`unsupported type ${tn.getText()} in types.ts`);
  }
}

export function generateIrSchema(typesFile = TYPES_FILE): Schema {
  const project = new Project({ skipAddingFilesFromTsConfig: true, compilerOptions: { allowJs: false } });
  const sf = project.addSourceFileAtPath(typesFile);
  const g = new Generator(sf);
  const root = g.ref('MohawkIR');
  const definitions = Object.fromEntries(Object.keys(g.defs).sort().map((k) => [k, g.defs[k]]));
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: SCHEMA_ID,
    title: 'mohawk IR',
    description: 'The checked .mohawk spec as plain data (generated from compiler/ir/types.ts by compiler/ir/gen-schema.ts; do not edit).',
    ...root,
    definitions,
  };
}

export function schemaText(schema: Schema = generateIrSchema()): string {
  return JSON.stringify(schema, null, 2) + '\n';
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = schemaText();
  if (process.argv.includes('--check')) {
    let old = '';
    try {
      old = readFileSync(SCHEMA_FILE, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (old !== text) {
      process.stderr.write('compiler/ir/schema.json is stale: run npx tsx compiler/ir/gen-schema.ts\n');
      process.exitCode = 1;
    }
  } else writeFileSync(SCHEMA_FILE, text);
}
