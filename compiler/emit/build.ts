/**
 * `mohawkc build` as a library: compile specs, emit each spec's program, emit the kernel files every spec
 * (and the default benchmark shapes) need, and plan the generated/ tree. `mohawkc train` uses the same plan to
 * decide whether a spec's program is current.
 *
 * Paths: the project root is the folder that holds the output folder (generated/ → the repository). Spec
 * paths in the IR, banners and the manifest are relative to that root, so the tree does not depend on the
 * directory the command runs from.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileSpecFile, type CompileResult } from '../compile.ts';
import { canonicalIrJson, hashSpec, irHash } from '../ir/canonical.ts';
import type { KernelVariantIR, MohawkIR } from '../ir/types.ts';
import { DEFAULT_VARIANTS } from '../kernels/default-variants.ts';
import { emitKernelFiles } from '../kernels/emit.ts';
import { emitProgram, programName } from './program.ts';
import { planTree, type Contribution, type SpecRecord, type TreePlan } from './tree.ts';

export interface CompiledSpec {
  /** Root-relative, '/'-separated. */
  spec: string;
  result: CompileResult;
  /** The IR with root-relative spec paths (absent when the spec has errors). */
  ir?: MohawkIR;
  /** sha256 of the spec's bytes. */
  sourceSha256?: string;
}

export function projectRoot(outDir: string): string {
  return dirname(resolve(outDir));
}

export function rootRelative(root: string, file: string): string {
  const rel = relative(root, resolve(file));
  return rel.split(sep).join('/');
}

/** Compiles one spec and rewrites every path it records (ir.spec, stage sources) to be root-relative. */
export function compileForBuild(file: string, root: string, dataDir?: string): CompiledSpec {
  const spec = rootRelative(root, file);
  const result = compileSpecFile(file, { dataDir });
  if (!result.ir) return { spec, result };
  const ir: MohawkIR = {
    ...result.ir,
    spec,
    stages: result.ir.stages.map((s) => ({ ...s, source: { ...s.source, file: spec } })),
  };
  return { spec, result, ir, sourceSha256: hashSpec(readFileSync(file)) };
}

/** The kernel variants of all recorded specs plus the defaults (emitKernelFiles merges duplicate keys). */
export function allKernelVariants(records: Record<string, SpecRecord>): KernelVariantIR[] {
  return [...DEFAULT_VARIANTS, ...Object.keys(records).sort().flatMap((s) => records[s].kernels)];
}

/** This checkout (compiler/emit/ is two levels below it): what generated programs import. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function contribution(c: CompiledSpec, outDir = 'generated'): Contribution {
  if (!c.ir || !c.sourceSha256) throw new Error(`contribution: ${c.spec} did not compile`);
  const repoFromProgram = relative(programDir(outDir, c.spec), REPO_ROOT).split(sep).join('/');
  return {
    spec: c.spec,
    record: { sha256: c.sourceSha256, irHash: irHash(c.ir), kernels: c.ir.kernels },
    files: emitProgram(c.ir, canonicalIrJson, { repoFromProgram }),
  };
}

/** The tree after building `specs` (all clean), keeping the other specs the manifest records. */
export function planBuild(outDir: string, specs: CompiledSpec[]): TreePlan {
  const root = projectRoot(outDir);
  return planTree(outDir, specs.map((s) => contribution(s, outDir)), (records) => emitKernelFiles(allKernelVariants(records)), root);
}

/** Where a spec's generated program lives. */
export function programDir(outDir: string, spec: string): string {
  return resolve(outDir, programName(spec), 'program');
}
