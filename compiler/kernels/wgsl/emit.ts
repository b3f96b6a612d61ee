/**
 * One .wgsl file per variant. `// ==== <section> ====` lines split it: `enable` (f16 only), `common`, and for
 * each pass `pass <name> / bindings` and `pass <name> / code`. A pass's shader module is
 * [enable] + common + bindings + code when run through Dawn directly; tfjs-webgpu runs common + code inside
 * its own program preamble (runtime/kernels/wgsl-source.ts assembles both).
 */
import type { KernelVariantIR } from '../../ir/types.ts';
import { slashBanner } from '../banner.ts';
import { type OpPlan, opPlans } from '../plan.ts';
import { bindingsSection, commonSection } from './common.ts';
import { bwdMainCode, chunkScanCode } from './ssd-chunk-passes.ts';
import { chunkStateCode, revChunkStateCode, revStatePassCode, statePassCode } from './ssd-state-passes.ts';
import { matColsCode, matFinalCode, materializeCode, matRowsCode, stepCode } from './step-materialize-passes.ts';

export const SECTION_RE = /^\/\/ ==== (.+) ====$/;

const CONST_EXPR = /^[A-Z][A-Z0-9]*(\s*[-+*]\s*([A-Z][A-Z0-9]*|\d+))*$/;

/**
 * Loops whose trip count is a compile-time constant get `+ lz` (a uniform that is always 0) in their bound.
 * Mesa's llvmpipe (the CI adapter) fully unrolls constant-trip loops: bwd_main of the stories shape took 83 s
 * to compile that way and 3.8 s with the guard. GPUs lose little: these loops are memory-bound.
 */
export function guardConstantLoops(code: string): string {
  const guarded = code.replace(/for \(var (\w+) = ([^;]+); \1 (<=|<|>=) ([^;]+);/g, (all, v: string, init: string, op: string, bound: string) => {
    if (op === '>=' && CONST_EXPR.test(init.trim())) return `for (var ${v} = ${init} + lz; ${v} ${op} ${bound};`;
    if (op !== '>=' && CONST_EXPR.test(bound.trim())) return `for (var ${v} = ${init}; ${v} ${op} ${bound} + lz;`;
    return all;
  });
  return guarded === code ? code : guarded.replace(/fn main\(index: i32\) \{\n/, '$&  let lz = uniforms.loopZero;\n');
}

function passCode(v: KernelVariantIR, name: string): string {
  const continuous = v.decay === 'continuous';
  switch (name) {
    case 'chunk_state':
      return chunkStateCode;
    case 'state_pass':
      return statePassCode;
    case 'chunk_scan':
      return chunkScanCode;
    case 'rev_chunk_state':
      return revChunkStateCode;
    case 'rev_state_pass':
      return revStatePassCode;
    case 'bwd_main':
      return bwdMainCode(continuous);
    case 'step':
      return stepCode;
    case 'materialize':
      return materializeCode;
    case 'mat_rows':
      return matRowsCode;
    case 'mat_cols':
      return matColsCode;
    case 'mat_final':
      return matFinalCode(continuous);
  }
  throw new Error(`no WGSL template for pass '${name}'`);
}

function describe(v: KernelVariantIR): string {
  const what: Record<KernelVariantIR['kernel'], string> = {
    ssd_fwd: 'chunked SSD forward: y = SSD(x, decay, B, C) + D·x, final state out, optional initial state in',
    ssd_bwd: 'chunked SSD backward: dx, d(decay input), dB, dC, dS0 (and dA_log terms) from dy and dS_final',
    ssd_step: 'one-token recurrent step: S ← α·S + x̄ ⊗ B, y = S·C + D·x',
    ssd_materialize: 'stage-1 mixing matrix M[b,h,t,s] (+ D on the diagonal) and its backward',
  };
  return [
    `${v.key}: ${what[v.kernel]}.`,
    `Shape: d_state N=${v.n}, head_dim P=${v.p}, heads H=${v.h}, groups G=${v.g} (head h reads group h/${v.h / v.g}), chunk Q=${v.q};`,
    `decay ${v.decay}; x, B, C${v.kernel === 'ssd_materialize' ? ', M' : v.kernel === 'ssd_fwd' ? ', y' : ''} in ${v.dtype}, everything else f32.`,
  ]
    .map((l) => `// ${l}`)
    .join('\n');
}

export function emitWgsl(v: KernelVariantIR): string {
  const plans: OpPlan[] = Object.values(opPlans(v));
  const parts = [
    slashBanner().trimEnd(),
    '//',
    describe(v),
    '//',
    '// Sections: "common", then per pass "bindings" (standalone Dawn runs; tfjs-webgpu declares its own) and',
    '// "code". A pass module is [enable] + common + bindings + code. Passes run in the order listed.',
  ];
  if (v.dtype === 'f16') parts.push('// ==== enable ====', 'enable f16;');
  parts.push('// ==== common ====', commonSection(v).trimEnd());
  const seen = new Set<string>();
  for (const plan of plans) {
    for (const pass of plan.passes) {
      if (seen.has(pass.name)) continue;
      seen.add(pass.name);
      parts.push(`// ==== pass ${pass.name} / bindings ====`, bindingsSection(plan, pass).trimEnd());
      parts.push(`// ==== pass ${pass.name} / code ====`, guardConstantLoops(passCode(v, pass.name)).trimEnd());
    }
  }
  return parts.join('\n') + '\n';
}
