/**
 * Translates the WGSL pass code (the subset the templates in ../wgsl use) into a CUDA kernel, so the passes
 * that are not hand-tuned for CUDA have one source of truth, already verified on lavapipe. The subset:
 * `let`/`var` declarations, `for`/`if`/`break`/`return`, workgroup arrays and scalars, `f32(…)`/`io_t(…)`
 * conversions, `exp`, `min`, the `mk_*` helpers, `uniforms.*`, `workgroupId`/`localIndex`, and
 * `workgroupBarrier()`. Anything else is an error at emit time, not a silent mistranslation.
 */
import type { BufferSpec, PassPlan } from '../plan.ts';

export class TranslateError extends Error {}

const cType = (d: string) => (d === 'f32' ? 'float' : 'io_t');

/** The kernel's parameter struct members for a pass: the output, the inputs, the uniforms. */
export function passParams(pass: PassPlan, dtypeOf: (name: string) => string): { name: string; type: string }[] {
  return [
    { name: 'result', type: `${cType(pass.output.dtype)}*` },
    ...pass.inputs.map((n) => ({ name: n, type: `const ${cType(dtypeOf(n))}*` })),
  ];
}

export function translatePass(code: string, pass: PassPlan, dtypeOf: (name: string) => string, ns: string): string {
  const shared: string[] = [];
  let body = code.replace(/^var<workgroup> (\w+): array<f32, (\w+)>;\n/gm, (_, n: string, size: string) => {
    shared.push(`__shared__ float ${n}[${size}];`);
    return '';
  });
  body = body.replace(/^var<workgroup> (\w+): f32;\n/gm, (_, n: string) => {
    shared.push(`__shared__ float ${n};`);
    return '';
  });
  const params = passParams(pass, dtypeOf);
  const sig = `__global__ void __launch_bounds__(${pass.workgroupSize[0]}) kernel(Uniforms uniforms, ${params.map((p) => `${p.type} __restrict__ ${p.name}`).join(', ')})`;
  body = body.replace(/^fn main\(index: i32\) \{/m, `${sig} {`);
  const rules: [RegExp, string][] = [
    [/\bvar (\w+): array<f32, (\w+)>;/g, 'float $1[$2];'],
    [/\bvar (\w+): f32 = /g, 'float $1 = '],
    [/\bfor \(var (\w+) = /g, 'for (int $1 = '],
    [/\bvar (\w+) = /g, 'auto $1 = '],
    [/\blet (\w+) = /g, 'const auto $1 = '],
    [/\bi32\(workgroupId\.([xyz])\)/g, '(int)blockIdx.$1'],
    [/\bi32\(localIndex\)/g, '(int)threadIdx.x'],
    [/\bworkgroupBarrier\(\)/g, '__syncthreads()'],
    [/\bf32\(/g, 'to_f('],
    [/\bio_t\(/g, 'from_f('],
    [/\bexp\(/g, 'expf('],
    [/(\d+\.\d+)(?![\d.f])/g, '$1f'],
  ];
  for (const [re, rep] of rules) body = body.replace(re, rep);
  const leftover = /\b(var|let|fn|vec2<|vec3<|array<|i32\(|u32\(|select\(|workgroupId|localIndex|lz)\b/.exec(body);
  if (leftover) throw new TranslateError(`pass ${pass.name}: cannot translate '${leftover[0]}' to CUDA`);
  return `namespace ${ns} {\n${shared.join('\n')}${shared.length ? '\n\n' : ''}${body.trim()}\n}  // namespace ${ns}\n`;
}

export function dtypeLookup(inputs: BufferSpec[], passes: PassPlan[]) {
  return (name: string): string => {
    const i = inputs.find((b) => b.name === name);
    if (i) return i.dtype;
    const p = passes.find((q) => q.output.name === name);
    if (p) return p.output.dtype;
    throw new TranslateError(`unknown buffer ${name}`);
  };
}
