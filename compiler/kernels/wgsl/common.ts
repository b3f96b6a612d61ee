/**
 * Pieces every generated WGSL file shares: the shape constants of the variant, the decay parameterisation,
 * and the standalone binding block of a pass. The binding block mirrors what tfjs-backend-webgpu declares for
 * a program (result at binding 0, inputs at 1..n, a `uniforms` struct after them, the same private builtins
 * and a `_start` that calls `main`), so that a pass's code section runs unchanged both ways.
 */
import type { DType, KernelVariantIR } from '../../ir/types.ts';
import { type OpPlan, type PassPlan, UNIFORMS, WG, tileRows } from '../plan.ts';

export function wgslType(d: DType): string {
  if (d === 'f32') return 'f32';
  if (d === 'f16') return 'f16';
  throw new Error(`WGSL has no ${d}`);
}

export function commonSection(v: KernelVariantIR): string {
  const r = tileRows(v);
  const decay =
    v.decay === 'discrete'
      ? `// Discrete Mamba-2: log α = −softplus(a), input unscaled (dt_bias and A_log are unused).
fn mk_decay(v: f32, dtb: f32, alog: f32) -> vec2<f32> {
  return vec2<f32>(-mk_softplus(v), 1.0);
}`
      : `// Mamba-2: Δ = softplus(dt + dt_bias), log α = Δ·A with A = −exp(A_log), input scaled by Δ.
fn mk_decay(v: f32, dtb: f32, alog: f32) -> vec2<f32> {
  let d = mk_softplus(v + dtb);
  return vec2<f32>(-d * exp(alog), d);
}`;
  return `const N: i32 = ${v.n};
const P: i32 = ${v.p};
const H: i32 = ${v.h};
const G: i32 = ${v.g};
const Q: i32 = ${v.q};
// Heads per B/C group: head h reads group h / HPG.
const HPG: i32 = ${v.h / v.g};
const WG: i32 = ${WG};
// Rows of a workgroup tile (R·Q floats per tile).
const R: i32 = ${r};
const RQ: i32 = ${r * v.q};
alias io_t = ${wgslType(v.dtype)};

// log(1 + e^z) without overflow on either side.
fn mk_softplus(z: f32) -> f32 {
  return max(z, 0.0) + log(1.0 + exp(-abs(z)));
}

fn mk_sigmoid(z: f32) -> f32 {
  if (z >= 0.0) {
    return 1.0 / (1.0 + exp(-z));
  }
  let e = exp(z);
  return e / (1.0 + e);
}

// (log α, input scale) of one token from its raw decay input and the head's (dt_bias, A_log).
${decay}
`;
}

/** The binding block a standalone (Dawn) run prepends to a pass's code. */
export function bindingsSection(plan: OpPlan, pass: PassPlan): string {
  const dtypeOf = (name: string): DType => {
    const inp = plan.inputs.find((b) => b.name === name);
    if (inp) return inp.dtype;
    const prod = plan.passes.find((p) => p.output.name === name);
    if (prod) return prod.output.dtype;
    throw new Error(`pass ${pass.name}: unknown buffer ${name}`);
  };
  const lines = [
    `struct Uniforms { ${UNIFORMS.map((u) => `${u}: i32,`).join(' ')} };`,
    `@group(0) @binding(0) var<storage, read_write> result: array<${wgslType(pass.output.dtype)}>;`,
    ...pass.inputs.map((name, i) => `@group(0) @binding(${i + 1}) var<storage, read> ${name}: array<${wgslType(dtypeOf(name))}>;`),
    `@group(0) @binding(${pass.inputs.length + 1}) var<uniform> uniforms: Uniforms;`,
    `var<private> localId: vec3<u32>;`,
    `var<private> localIndex: u32;`,
    `var<private> globalId: vec3<u32>;`,
    `var<private> numWorkgroups: vec3<u32>;`,
    `var<private> workgroupId: vec3<u32>;`,
    `@compute @workgroup_size(${pass.workgroupSize.join(', ')})`,
    `fn _start(@builtin(local_invocation_id) LocalId: vec3<u32>, @builtin(global_invocation_id) GlobalId: vec3<u32>,`,
    `          @builtin(local_invocation_index) LocalIndex: u32, @builtin(workgroup_id) WorkgroupId: vec3<u32>,`,
    `          @builtin(num_workgroups) NumWorkgroups: vec3<u32>) {`,
    `  localId = LocalId;`,
    `  localIndex = LocalIndex;`,
    `  globalId = GlobalId;`,
    `  numWorkgroups = NumWorkgroups;`,
    `  workgroupId = WorkgroupId;`,
    `  main(0);`,
    `}`,
  ];
  return lines.join('\n') + '\n';
}
