/**
 * `mohawkc train SPEC [--stages a,b] [--resume] [--force] [--run DIR] [--out DIR] [--backend …] [--data DIR]
 * [--eval-max N] [--no-eval] [--json]`: make sure generated/<spec> is current (rebuilding it if stale), import
 * the generated program and run it.
 */
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderDiagnostic } from '../../compiler/diagnostics/render-text.ts';
import { compileForBuild, planBuild, programDir, projectRoot } from '../../compiler/emit/build.ts';
import { programName } from '../../compiler/emit/program.ts';
import { applyTree, describeDifferences } from '../../compiler/emit/tree.ts';
import type { ProgramOptions, ProgramResult } from '../../runtime/program/run-program.ts';
import { parseWorkers, type WorkersOption } from '../../runtime/parallel/workers.ts';
import { TrainingDivergedError } from '../../runtime/run/errors.ts';
import { createProgress } from '../../runtime/run/progress.ts';
import { EXIT_OK, EXIT_SPEC, UsageError, UserFacingError } from '../errors.ts';
import { backendFlag, COMMON_USAGE, numberFlag, parseVerbFlags, printJson } from '../options.ts';
import type { Verb } from '../verb.ts';
import { useColor } from './check.ts';

const USAGE = `usage: mohawkc train SPEC [--run DIR] [--stages A,B] [--resume | --force] [options]

Runs the MOHAWK stages of SPEC through its generated program (generated/<spec>/program/run.ts; rebuilt
first when stale), writing checkpoints and metrics.jsonl to the run directory, the trained student to
<run>/student/ (safetensors + config.json), and its held-out NLL to <run>/summary.json.

  --run DIR           run directory (default runs/<spec name>)
  --stages A,B        run only these stages (in spec order)
  --resume            continue the run in DIR from its latest checkpoint
  --force             delete the run in DIR and start over
  --out DIR           generated tree (default generated)
  --eval-max N        evaluate on the first N sequences only (default: the spec's eval.max_sequences)
  --no-eval           skip the final evaluation
  --workers N|auto    worker threads for the steps and the evaluation (default auto: one per core on
                      wasm/cpu; 0 or 1 runs in one thread; env MOHAWK_WORKERS)
${COMMON_USAGE}

Exit codes: 0 done, 1 spec errors, 2 usage or bad input, 3 training diverged (loss or gradient not finite).`;

const FLAGS = {
  run: { type: 'string' },
  stages: { type: 'string' },
  resume: { type: 'boolean' },
  force: { type: 'boolean' },
  out: { type: 'string' },
  'eval-max': { type: 'string' },
  'no-eval': { type: 'boolean' },
  workers: { type: 'string' },
} as const;

export const verb: Verb = {
  name: 'train',
  summary: 'run the MOHAWK stages of a spec',
  usage: USAGE,
  async run(argv) {
    const p = parseVerbFlags(argv, FLAGS, USAGE);
    const v = p.values;
    if (p.positionals.length !== 1) throw new UsageError(p.positionals.length ? 'train takes one spec' : 'no spec given', USAGE);
    if (v.resume && v.force) throw new UsageError('--resume and --force exclude each other', USAGE);
    const json = !!v.json;
    const backend = backendFlag(v, USAGE);
    const evalMax = numberFlag(v, 'eval-max', USAGE, { integer: true, min: 1 });
    const stages = typeof v.stages === 'string' ? v.stages.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
    let workers: WorkersOption | undefined;
    if (typeof v.workers === 'string') {
      try {
        workers = parseWorkers(v.workers);
      } catch (e) {
        throw new UsageError(`--workers: ${(e as Error).message}`, USAGE);
      }
    }
    const out = (v.out as string | undefined) ?? 'generated';
    const root = projectRoot(out);
    const dataDir = v.data as string | undefined;
    const say = (line: string) => {
      if (!json) process.stderr.write(line + '\n');
    };

    const compiled = compileForBuild(p.positionals[0], root, dataDir);
    if (!compiled.ir) {
      const color = useColor(process.stderr);
      process.stderr.write(compiled.result.diagnostics.map((d) => renderDiagnostic(d, compiled.result.source, { color })).join('\n\n') + '\n');
      return compiled.result.exitCode || EXIT_SPEC;
    }
    const ir = compiled.ir;
    if (stages) {
      const names = ir.stages.map((s) => s.name);
      for (const s of stages) if (!names.includes(s)) throw new UsageError(`--stages: ${compiled.spec} has no stage '${s}' (its stages: ${names.join(', ')})`, USAGE);
    }

    const plan = planBuild(out, [compiled]);
    const stale = describeDifferences(plan);
    if (stale.length) {
      applyTree(plan);
      say(`${out}/${programName(compiled.spec)} was out of date for ${compiled.spec}; rebuilt (${plan.write.length} written, ${plan.stale.length} removed)`);
    }

    const runDir = resolve((v.run as string | undefined) ?? join('runs', programName(compiled.spec)));
    prepareRunDir(runDir, { resume: !!v.resume, force: !!v.force });

    const entry = join(programDir(out, compiled.spec), 'run.ts');
    const program = (await import(pathToFileURL(entry).href)) as { run(o: ProgramOptions): Promise<ProgramResult> };
    const progress = createProgress({ json });
    let result: ProgramResult;
    try {
      result = await program.run({
        runDir,
        root,
        dataDir,
        backend,
        resume: true,
        stages,
        progress,
        evalMaxSequences: evalMax,
        skipEval: !!v['no-eval'],
        workers,
        log: say,
      });
    } catch (e) {
      if (e instanceof TrainingDivergedError) {
        if (json) printJson({ diverged: true, report: e.report, message: e.message });
        else process.stderr.write(`error: ${e.message}\n`);
        return e.exitCode;
      }
      throw e;
    }
    if (json) printJson(result);
    else process.stdout.write(describeResult(result) + '\n');
    return EXIT_OK;
  },
};

/** Refuses to train over an existing run unless asked to continue (--resume) or to start over (--force). */
function prepareRunDir(dir: string, opts: { resume: boolean; force: boolean }): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new UserFacingError(`${dir} exists and is not a directory`);
  const isRun = ['ir.json', 'latest', 'metrics.jsonl', 'checkpoints'].some((f) => existsSync(join(dir, f)));
  if (opts.force) {
    if (!isRun) throw new UserFacingError(`${dir} is not a run directory (no ir.json, latest or checkpoints); not deleting it`);
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  if (opts.resume || !existsSync(join(dir, 'latest'))) return;
  const finished = existsSync(join(dir, 'summary.json'));
  const latest = readFileSync(join(dir, 'latest'), 'utf8').trim();
  throw new UserFacingError(
    `${dir} already holds a ${finished ? 'finished run' : `run (latest checkpoint ${latest})`}; pass --resume to continue it or --force to delete it and start over`,
  );
}

function describeResult(r: ProgramResult): string {
  const lines = [`trained ${r.spec} on ${r.backend} in ${r.seconds.toFixed(1)} s${r.resumedFrom ? ` (resumed from ${r.resumedFrom})` : ''}`];
  for (const s of r.stages) {
    if (s.skipped) lines.push(`  ${s.name.padEnd(12)} ${s.kind.padEnd(24)} done earlier`);
    else lines.push(`  ${s.name.padEnd(12)} ${s.kind.padEnd(24)} ${s.tokens} tokens  ${s.steps} steps  last loss ${s.loss.toPrecision(4)}  ${s.seconds.toFixed(1)} s  ${Math.round(s.tokens / Math.max(s.seconds, 1e-9))} tok/s`);
  }
  lines.push(`  student: ${r.studentDir}`);
  if (r.eval) {
    const e = r.eval;
    lines.push(`  valid NLL (${e.data}, ${e.sequences} sequences): student ${e.student.meanNll.toFixed(4)}${e.teacher ? `, teacher ${e.teacher.meanNll.toFixed(4)}, ratio ${e.ratio!.toFixed(3)}` : ''}`);
  }
  lines.push(`  summary: ${join(r.runDir, 'summary.json')}`);
  return lines.join('\n');
}
