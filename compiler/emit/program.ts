/**
 * The per-spec training program: generated/<name>/program/{model.ts, stage<k>_<stage>.ts, run.ts} and
 * generated/<name>/ir.json. Everything specific to the spec (shapes, layer layout, stage list, budgets,
 * kernel variant names) is written out as constants so a spec change reads as a small PR diff; the logic
 * lives in the runtime library the files import.
 */
import { IndentationText, NewLineKind, Project, QuoteKind, StructureKind, VariableDeclarationKind } from 'ts-morph';
import type { StatementStructures } from 'ts-morph';

type Stmt = StatementStructures | string;
import type { MixerIR, MohawkIR, StageIR, StageKind } from '../ir/types.ts';
import { jsonBanner, tsBanner } from './banner.ts';
import { Code, tsLiteral } from './literal.ts';

export interface GeneratedFile {
  /** Path relative to the output root (generated/). */
  path: string;
  content: string;
}

/** Runtime definition per stage kind: [module under runtime/stages/, exported function (ctx, STAGE) → stage]. */
const STAGE_RUNNERS: Record<StageKind, [string, string]> = {
  matrix_orientation: ['matrix-orientation.ts', 'matrixOrientation'],
  hidden_state_alignment: ['hidden-state-alignment.ts', 'hiddenStateAlignment'],
  end_to_end: ['end-to-end.ts', 'endToEnd'],
};

export interface EmitOptions {
  /**
   * The mohawk checkout as seen from generated/<name>/program/ (default '../../..': generated/ at the repository
   * root). Other output folders (tests) get their own relative path, so the program imports this checkout.
   */
  repoFromProgram?: string;
}

export function programName(specPath: string): string {
  const base = specPath.split('/').pop() ?? specPath;
  return base.replace(/\.mohawk$/, '');
}

export function stageModuleName(index: number, stage: StageIR): string {
  return `stage${index + 1}_${stage.name.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

export function emitProgram(ir: MohawkIR, canonicalIrJson: (ir: MohawkIR) => string, opts: EmitOptions = {}): GeneratedFile[] {
  const name = programName(ir.spec);
  const repo = opts.repoFromProgram ?? '../../..';
  const paths: ImportPaths = { runtime: `${repo}/runtime`, irTypes: `${repo}/compiler/ir/types.ts` };
  const banner = tsBanner([ir.spec]);
  const files: GeneratedFile[] = [];
  const emit = (rel: string, statements: Stmt[], doc: string) =>
    files.push({ path: `${name}/program/${rel}`, content: render(banner, doc, statements) });

  emit('model.ts', modelStatements(ir, paths), `Shapes and layer layout of the ${ir.student.name} student and its teacher ${ir.teacher.name}.`);
  ir.stages.forEach((stage, i) => emit(`${stageModuleName(i, stage)}.ts`, stageStatements(stage, paths), stageDoc(stage, i)));
  emit('run.ts', runStatements(ir, paths), `Entry point: runs the stages of ${ir.spec} in order (npx mohawkc train ${ir.spec}).`);

  const irDoc = { _generated: jsonBanner([ir.spec]), ...JSON.parse(canonicalIrJson(ir)) };
  files.push({ path: `${name}/ir.json`, content: JSON.stringify(irDoc, null, 2) + '\n' });
  return files;
}

interface ImportPaths {
  runtime: string;
  irTypes: string;
}

function modelStatements(ir: MohawkIR, paths: ImportPaths): Stmt[] {
  // One constant per distinct mixer shape: changing d_state in the spec changes one line here.
  const mixers: MixerIR[] = [];
  const mixerRef = (m: MixerIR): Code => {
    let i = mixers.findIndex((x) => JSON.stringify(x) === JSON.stringify(m));
    if (i < 0) i = mixers.push(m) - 1;
    return new Code(mixerConstName(i));
  };
  const student = {
    ...ir.student,
    layers: ir.student.layers.map((l) => ({ ...l, mixer: l.mixer ? mixerRef(l.mixer) : undefined })),
  };
  const out: Stmt[] = [
    { kind: StructureKind.ImportDeclaration, isTypeOnly: true, moduleSpecifier: paths.irTypes, namedImports: ['DataSourceIR', 'EvalIR', 'MixerIR', 'StudentIR', 'TeacherIR'] },
    constant('TEACHER', 'TeacherIR', ir.teacher, `Teacher ${ir.teacher.name}: architecture as read from its checkpoint header.`),
  ];
  mixers.forEach((m, i) => out.push(constant(mixerConstName(i), 'MixerIR', m, `SSM mixer shape${mixers.length > 1 ? ` #${i + 1}` : ''} (N = dState, P = headDim, H = heads, G = groups, Q = chunk).`)));
  out.push(
    constant('STUDENT', 'StudentIR', student, 'Student layout: one entry per teacher layer.'),
    constant('DATA', 'DataSourceIR[]', ir.data, 'Data sources the stages draw from.'),
    constant('EVAL', 'EvalIR', ir.eval, 'Held-out evaluation.'),
    constant('KERNELS', 'readonly string[]', ir.kernels.map((k) => k.key), 'Kernel variants this student needs (generated/kernels/dispatch.ts).'),
  );
  return out;
}

function mixerConstName(i: number): string {
  return i === 0 ? 'MIXER' : `MIXER_${i + 1}`;
}

function stageDoc(stage: StageIR, i: number): string {
  const after = stage.after ? `, after ${stage.after}` : '';
  return `Stage ${i + 1}: ${stage.name} (${stage.kind}${after}) — from ${stage.source.file}:${stage.source.line}.`;
}

function stageStatements(stage: StageIR, paths: ImportPaths): Stmt[] {
  const [mod, fn] = STAGE_RUNNERS[stage.kind];
  return [
    { kind: StructureKind.ImportDeclaration, isTypeOnly: true, moduleSpecifier: paths.irTypes, namedImports: ['StageIR'] },
    { kind: StructureKind.ImportDeclaration, isTypeOnly: true, moduleSpecifier: `${paths.runtime}/stages/context.ts`, namedImports: ['MohawkStage', 'StageContext'] },
    { kind: StructureKind.ImportDeclaration, moduleSpecifier: `${paths.runtime}/stages/${mod}`, namedImports: [fn] },
    constant('STAGE', 'StageIR', stage, 'Budgets are in tokens; batchTokens = seqLen × microBatch × accumulation.'),
    { kind: StructureKind.Function, isExported: true, name: 'define', parameters: [{ name: 'ctx', type: 'StageContext' }], returnType: 'MohawkStage', statements: [`return ${fn}(ctx, STAGE);`] },
  ];
}

function runStatements(ir: MohawkIR, paths: ImportPaths): Stmt[] {
  const stageMods = ir.stages.map((s, i) => stageModuleName(i, s));
  const program = {
    spec: ir.spec,
    edition: ir.edition,
    teacher: new Code('TEACHER'),
    student: new Code('STUDENT'),
    data: new Code('DATA'),
    eval: new Code('EVAL'),
    kernels: new Code('KERNELS'),
    stages: stageMods.map((m) => new Code(m)),
  };
  return [
    { kind: StructureKind.ImportDeclaration, isTypeOnly: true, moduleSpecifier: `${paths.runtime}/program/types.ts`, namedImports: ['Program'] },
    { kind: StructureKind.ImportDeclaration, moduleSpecifier: `${paths.runtime}/program/run-program.ts`, namedImports: ['runProgram', 'type ProgramOptions', 'type ProgramResult'] },
    { kind: StructureKind.ImportDeclaration, moduleSpecifier: './model.ts', namedImports: ['DATA', 'EVAL', 'KERNELS', 'STUDENT', 'TEACHER'] },
    ...stageMods.map((m): Stmt => ({ kind: StructureKind.ImportDeclaration, moduleSpecifier: `./${m}.ts`, namespaceImport: m })),
    constant('PROGRAM', 'Program', program, 'The whole program, in stage order.'),
    { kind: StructureKind.Function, isExported: true, name: 'run', parameters: [{ name: 'options', type: 'ProgramOptions' }], returnType: 'Promise<ProgramResult>', statements: ['return runProgram(PROGRAM, options);'] },
  ];
}

function constant(name: string, type: string, value: unknown, doc: string): StatementStructures {
  return {
    kind: StructureKind.VariableStatement,
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: [doc],
    declarations: [{ name, type, initializer: tsLiteral(value) }],
  };
}

function render(banner: string, doc: string, statements: Stmt[]): string {
  const project = new Project({
    useInMemoryFileSystem: true,
    manipulationSettings: { indentationText: IndentationText.TwoSpaces, quoteKind: QuoteKind.Single, newLineKind: NewLineKind.LineFeed },
  });
  const file = project.createSourceFile('file.ts', { statements });
  file.formatText({ indentSize: 2, tabSize: 2, convertTabsToSpaces: true, semicolons: 'insert' as never });
  // A blank line between top-level declarations (ts-morph keeps structures adjacent).
  const text = file.getFullText().replace(/\n(\/\*\*|export function)/g, '\n\n$1').replace(/\n{3,}/g, '\n\n');
  return `${banner}// ${doc}\n\n${text}`;
}
