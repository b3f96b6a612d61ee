/**
 * One self-contained .cu file per variant and CUDA architecture (compiled alone: `nvcc -O3 -arch=sm_XX -c FILE`). Device code lives
 * in an anonymous namespace; each op of the variant gets two extern "C" entry points:
 *   size_t mohawk_<key>_<op>_workspace(int batch, int seqLen)
 *   int    mohawk_<key>_<op>(int batch, int seqLen, <op inputs>, <op outputs>, void* workspace, cudaStream_t stream)
 * Inputs and outputs follow the op plan (compiler/kernels/plan.ts) in order, as device pointers (optional
 * inputs may be NULL); the return value is a cudaError_t. Pass outputs that are whole op outputs are written
 * in place, the others live in the workspace and slices are copied out.
 */
import type { KernelVariantIR } from '../../ir/types.ts';
import { slashBanner } from '../banner.ts';
import { type Expr, type GridAxis, type OpPlan, type PassPlan, opPlans } from '../plan.ts';
import { chunkScanCode } from '../wgsl/ssd-chunk-passes.ts';
import { bwdMainCode } from '../wgsl/ssd-chunk-passes.ts';
import { chunkStateCode, revChunkStateCode, revStatePassCode, statePassCode } from '../wgsl/ssd-state-passes.ts';
import { matColsCode, matFinalCode, materializeCode, matRowsCode, stepCode } from '../wgsl/step-materialize-passes.ts';
import { fastConfig, loadHelpers, tcChunkScan, tcChunkState, tcHelpers, vecStep } from './fast-kernels.ts';
import { dtypeLookup, translatePass } from './translate.ts';
import { cudaArchs } from '../variant.ts';

export interface CudaLaunchInfo {
  kernel: string;
  grid: [GridAxis, GridAxis, GridAxis];
  block: number;
  smem: number;
}

export interface CudaOpInfo {
  symbol: string;
  params: string[];
  workspaceSymbol?: string;
  /** Per architecture (compute capability × 10 as a string). */
  launches: Record<string, CudaLaunchInfo[]>;
}

interface CudaLauncherInfo {
  symbol: string;
  params: string[];
  workspaceSymbol?: string;
  launches: CudaLaunchInfo[];
}

const symbolOf = (v: KernelVariantIR, op: string) => `mohawk_${v.key}_${op}`;

function wgslPassCode(v: KernelVariantIR, name: string): string {
  const c = v.decay === 'continuous';
  const table: Record<string, string> = {
    chunk_state: chunkStateCode,
    state_pass: statePassCode,
    chunk_scan: chunkScanCode,
    rev_chunk_state: revChunkStateCode,
    rev_state_pass: revStatePassCode,
    bwd_main: bwdMainCode(c),
    step: stepCode,
    materialize: materializeCode,
    mat_rows: matRowsCode,
    mat_cols: matColsCode,
    mat_final: matFinalCode(c),
  };
  const code = table[name];
  if (!code) throw new Error(`no template for pass ${name}`);
  return code;
}

type Impl = { ns: string; block: number; smem: number; grid?: [GridAxis, GridAxis, GridAxis]; needsAttr: boolean };

function passImpl(v: KernelVariantIR, sm: number, pass: PassPlan): Impl {
  const cfg = fastConfig(v, sm);
  if (cfg.tcForward && pass.name === 'chunk_state') return { ns: 'pass_chunk_state_tc', block: 256, smem: cfg.stateSmem, needsAttr: true };
  if (cfg.tcForward && pass.name === 'chunk_scan') return { ns: 'pass_chunk_scan_tc', block: cfg.scanWarps * 32, smem: cfg.scanSmem, needsAttr: true };
  return { ns: `pass_${pass.name}`, block: pass.workgroupSize[0], smem: 0, needsAttr: false };
}

function cExpr(e: Expr): string {
  if (e.length === 0) return '0LL';
  return e.map((t) => (t.length === 0 ? '1LL' : t.map((f) => (typeof f === 'number' ? `${f}LL` : `(long long)${f}`)).join(' * '))).join(' + ');
}

const gridExpr = (a: GridAxis) => (a.per === 1 ? `(unsigned)(${cExpr(a.count)})` : `(unsigned)((${cExpr(a.count)} + ${a.per - 1}) / ${a.per})`);

/** Evaluates an Expr at sample symbol values: used to decide whether an output is a whole pass buffer. */
function sample(e: Expr, s: Record<string, number>): number {
  return e.reduce((acc, t) => acc + t.reduce<number>((p, f) => p * (typeof f === 'number' ? f : s[f]), 1), 0);
}

function isWhole(plan: OpPlan, outName: string): boolean {
  const o = plan.outputs.find((x) => x.name === outName)!;
  const pass = plan.passes.find((p) => p.output.name === o.from)!;
  const samples = [
    { batch: 3, seqLen: 7, chunks: 2 },
    { batch: 5, seqLen: 130, chunks: 9 },
  ];
  return o.offset.length === 0 && samples.every((s) => o.shape.reduce((p, d) => p * sample(d, s), 1) === sample(pass.output.size, s));
}

const cPtr = (dtype: string, isConst: boolean) => `${isConst ? 'const ' : ''}${dtype === 'f32' ? 'float' : 'void'}*`;
const cBuf = (dtype: string) => (dtype === 'f32' ? 'float' : 'io_t');

function launcher(v: KernelVariantIR, sm: number, op: string, plan: OpPlan): { code: string; info: CudaLauncherInfo } {
  const cfg = fastConfig(v, sm);
  const sym = symbolOf(v, op);
  const params = [
    'int batch',
    'int seqLen',
    ...plan.inputs.map((i) => `${cPtr(i.dtype, true)} ${i.name}`),
    ...plan.outputs.map((o) => `${cPtr(o.dtype, false)} ${o.name}`),
    'void* workspace',
    'cudaStream_t stream',
  ];
  const info: CudaLauncherInfo = { symbol: sym, params: params.map((p) => p.split(' ').pop()!), launches: [] };
  const lines: string[] = [];
  const chunks = `const long long chunks = ((long long)seqLen + Q - 1) / Q;`;
  const vecStepOp = v.kernel === 'ssd_step' && cfg.vecStep;
  // Workspace: every pass buffer that is not an op output as a whole.
  const direct = new Map<string, string>();
  for (const o of plan.outputs) if (!vecStepOp && isWhole(plan, o.name)) direct.set(o.from, o.name);
  const wsBuffers = vecStepOp ? [] : plan.passes.filter((p) => !direct.has(p.output.name)).map((p) => p.output);
  const bytes = (b: { size: Expr; dtype: string }) => `align_up((size_t)(${cExpr(b.size)}) * ${b.dtype === 'f32' ? 4 : 2})`;
  lines.push(`extern "C" size_t ${sym}_workspace(int batch, int seqLen) {`);
  lines.push(`  ${chunks}`);
  lines.push(`  (void)batch; (void)chunks;`);
  lines.push(`  return ${wsBuffers.length ? wsBuffers.map(bytes).join(' + ') : '0'};`);
  lines.push('}');
  info.workspaceSymbol = `${sym}_workspace`;
  lines.push('');
  lines.push(`extern "C" int ${sym}(${params.join(', ')}) {`);
  lines.push(`  if (batch < 1 || seqLen < 1) return (int)cudaErrorInvalidValue;`);
  lines.push(`  ${chunks}`);
  const sizes = [...plan.inputs.map((i) => i.size), ...plan.passes.map((p) => p.output.size)];
  lines.push(`  // Kernels index with 32-bit ints.`);
  lines.push(`  if (${sizes.map((s) => `${cExpr(s)} > INT_MAX`).join(' || ')}) return (int)cudaErrorInvalidValue;`);
  const required = plan.inputs.filter((i) => !plan.optional.some((o) => o.name === i.name)).map((i) => i.name);
  lines.push(`  if (${[...required, ...plan.outputs.map((o) => o.name)].map((n) => `!${n}`).join(' || ')}) return (int)cudaErrorInvalidValue;`);
  if (vecStepOp) {
    const total = `(long long)batch * ${v.h * v.p * (v.n / 4)}`;
    lines.push(`  (void)workspace; (void)chunks;`);
    lines.push(`  const unsigned blocks = (unsigned)((${total} + 1023) / 1024);`);
    lines.push(`  pass_step_vec::kernel<<<blocks, 256, 0, stream>>>(batch, static_cast<float*>(state), static_cast<float*>(y), stateBuf,`);
    lines.push(`      static_cast<const io_t*>(xBuf), decBuf, static_cast<const io_t*>(bBuf), static_cast<const io_t*>(cBuf), hpBuf);`);
    info.launches.push({ kernel: 'pass_step_vec', grid: [{ count: [['batch', v.h * v.p * (v.n / 4)]], per: 1024 }, { count: [[1]], per: 1 }, { count: [[1]], per: 1 }], block: 256, smem: 0 });
  } else {
    const flags = plan.optional.map((o) => `(${o.name} ? ${o.flag} : 0)`).join(' | ') || '0';
    lines.push(`  const Uniforms u{batch, seqLen, (int)chunks, ${flags}};`);
    if (wsBuffers.length) {
      lines.push(`  char* ws = static_cast<char*>(workspace);`);
      lines.push(`  size_t off = 0;`);
    } else lines.push(`  (void)workspace;`);
    const cast = (name: string, dtype: string, isConst: boolean) =>
      dtype === 'f32' ? name : `static_cast<${isConst ? 'const ' : ''}io_t*>(${name})`;
    const bufExpr = new Map<string, string>();
    for (const i of plan.inputs) bufExpr.set(i.name, cast(i.name, i.dtype, true));
    for (const p of plan.passes) {
      const out = p.output;
      const t = cBuf(out.dtype);
      if (direct.has(out.name)) lines.push(`  ${t}* ${out.name} = static_cast<${t}*>(${direct.get(out.name)});`);
      else {
        lines.push(`  ${t}* ${out.name} = reinterpret_cast<${t}*>(ws + off);`);
        lines.push(`  off += ${bytes(out)};`);
      }
      bufExpr.set(out.name, out.name);
    }
    for (const p of plan.passes) {
      const impl = passImpl(v, sm, p);
      const grid = p.grid.map(gridExpr).join(', ');
      if (impl.needsAttr) {
        lines.push(`  {`);
        lines.push(`    // More than 48 KiB of dynamic shared memory must be asked for explicitly.`);
        lines.push(`    static bool ready = false;`);
        lines.push(`    if (!ready) {`);
        lines.push(`      cudaError_t e = cudaFuncSetAttribute(${impl.ns}::kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)${impl.ns}::SMEM);`);
        lines.push(`      // The largest shared-memory carveout, so that blocks of this size can share an SM.`);
        lines.push(`      if (e == cudaSuccess) e = cudaFuncSetAttribute(${impl.ns}::kernel, cudaFuncAttributePreferredSharedMemoryCarveout, (int)cudaSharedmemCarveoutMaxShared);`);
        lines.push(`      if (e != cudaSuccess) return (int)e;`);
        lines.push(`      ready = true;`);
        lines.push(`    }`);
        lines.push(`  }`);
      }
      const args = ['u', p.output.name, ...p.inputs.map((n) => bufExpr.get(n)!)].join(', ');
      lines.push(`  ${impl.ns}::kernel<<<dim3(${grid}), ${impl.block}, ${impl.smem}, stream>>>(${args});`);
      info.launches.push({ kernel: impl.ns, grid: p.grid, block: impl.block, smem: impl.smem });
    }
    for (const o of plan.outputs) {
      if (direct.get(o.from) === o.name) continue;
      const elt = o.dtype === 'f32' ? 4 : 2;
      const count = o.shape.map((d) => `(${cExpr(d)})`).join(' * ');
      lines.push(`  {`);
      lines.push(`    const cudaError_t e = cudaMemcpyAsync(${o.name}, reinterpret_cast<const char*>(${o.from}) + (size_t)(${cExpr(o.offset)}) * ${elt},`);
      lines.push(`                                          (size_t)(${count}) * ${elt}, cudaMemcpyDeviceToDevice, stream);`);
      lines.push(`    if (e != cudaSuccess) return (int)e;`);
      lines.push(`  }`);
    }
  }
  lines.push(`  return (int)cudaGetLastError();`);
  lines.push('}');
  return { code: lines.join('\n'), info };
}

function commonSection(v: KernelVariantIR): string {
  const bf16 = v.dtype === 'bf16';
  const f16 = v.dtype === 'f16';
  const decay =
    v.decay === 'discrete'
      ? `// Discrete Mamba-2: log α = −softplus(a), input unscaled.
__device__ __forceinline__ float2 mk_decay(float v, float dtb, float alog) {
  (void)dtb;
  (void)alog;
  return make_float2(-mk_softplus(v), 1.0f);
}`
      : `// Mamba-2: Δ = softplus(dt + dt_bias), log α = Δ·A with A = −exp(A_log), input scaled by Δ.
__device__ __forceinline__ float2 mk_decay(float v, float dtb, float alog) {
  const float d = mk_softplus(v + dtb);
  return make_float2(-d * expf(alog), d);
}`;
  const r = Math.max(1, Math.min(v.q, Math.floor(1024 / v.q)));
  return `constexpr int N = ${v.n};
constexpr int P = ${v.p};
constexpr int H = ${v.h};
constexpr int G = ${v.g};
constexpr int Q = ${v.q};
// Heads per B/C group: head h reads group h / HPG.
constexpr int HPG = ${v.h / v.g};
constexpr int WG = 64;
constexpr int R = ${r};
constexpr int RQ = ${r * v.q};
${bf16 ? 'typedef __nv_bfloat16 io_t;' : f16 ? 'typedef __half io_t;' : 'typedef float io_t;'}

__device__ __forceinline__ float to_f(float v) { return v; }
${
  bf16
    ? '__device__ __forceinline__ float to_f(__nv_bfloat16 v) { return __bfloat162float(v); }\n__device__ __forceinline__ io_t from_f(float v) { return __float2bfloat16_rn(v); }'
    : f16
      ? '__device__ __forceinline__ float to_f(__half v) { return __half2float(v); }\n__device__ __forceinline__ io_t from_f(float v) { return __float2half_rn(v); }'
      : '__device__ __forceinline__ io_t from_f(float v) { return v; }'
}

// log(1 + e^z) without overflow on either side.
__device__ __forceinline__ float mk_softplus(float z) { return fmaxf(z, 0.0f) + log1pf(expf(-fabsf(z))); }

__device__ __forceinline__ float mk_sigmoid(float z) {
  if (z >= 0.0f) return 1.0f / (1.0f + expf(-z));
  const float e = expf(z);
  return e / (1.0f + e);
}

${decay}

struct Uniforms {
  int batch;
  int seqLen;
  int chunks;
  int flags;
};

__host__ __device__ constexpr size_t align_up(size_t b) { return (b + 255) & ~(size_t)255; }
`;
}

export function cudaOps(v: KernelVariantIR): Record<string, CudaOpInfo> {
  const out: Record<string, CudaOpInfo> = {};
  for (const [op, plan] of Object.entries(opPlans(v))) {
    for (const sm of cudaArchs(v)) {
      const info = launcher(v, sm, op, plan).info;
      out[op] ??= { symbol: info.symbol, params: info.params, workspaceSymbol: info.workspaceSymbol, launches: {} };
      out[op].launches[String(sm)] = info.launches;
    }
  }
  return out;
}

export function emitCuda(v: KernelVariantIR, sm: number): string {
  const plans = opPlans(v);
  const cfg = fastConfig(v, sm);
  const passes = new Map<string, { pass: PassPlan; plan: OpPlan }>();
  for (const plan of Object.values(plans)) for (const p of plan.passes) if (!passes.has(p.name)) passes.set(p.name, { pass: p, plan });
  const usesTc = cfg.tcForward && [...passes.keys()].some((n) => n === 'chunk_state' || n === 'chunk_scan');
  const device: string[] = [];
  const usesVec = v.kernel === 'ssd_step' && cfg.vecStep;
  if (usesTc || usesVec) device.push(loadHelpers(v.dtype));
  if (usesTc) device.push(tcHelpers(v.dtype));
  for (const [name, { pass, plan }] of passes) {
    const impl = passImpl(v, sm, pass);
    if (impl.ns === 'pass_chunk_state_tc') device.push(tcChunkState(cfg));
    else if (impl.ns === 'pass_chunk_scan_tc') device.push(tcChunkScan(cfg));
    else if (name === 'step' && cfg.vecStep) device.push(vecStep());
    else device.push(translatePass(wgslPassCode(v, name), pass, dtypeLookup(plan.inputs, plan.passes), impl.ns));
  }
  const launchers = Object.entries(plans).map(([op, plan]) => launcher(v, sm, op, plan).code);
  const head = [
    slashBanner().trimEnd(),
    '//',
    `// ${v.key}: CUDA (sm_${sm}) kernels and C entry points, one op per entry point (see the dispatch table).`,
    `// d_state N=${v.n}, head_dim P=${v.p}, heads H=${v.h}, groups G=${v.g}, chunk Q=${v.q}, decay ${v.decay}, I/O ${v.dtype}.`,
    `// ${usesTc ? 'Forward chunk passes on tensor cores (3xTF32).' : v.kernel === 'ssd_step' && cfg.vecStep ? 'Vectorised streaming step.' : 'Passes translated from the WGSL templates.'}`,
    `// Build: nvcc -O3 -arch=sm_${sm} -Xptxas -v -c FILE`,
    '#include <cuda_runtime.h>',
    '#include <limits.h>',
    '#include <stddef.h>',
    ...(v.dtype === 'bf16' ? ['#include <cuda_bf16.h>'] : []),
    ...(v.dtype === 'f16' ? ['#include <cuda_fp16.h>'] : []),
    ...(usesTc ? ['#include <mma.h>'] : []),
    '',
    '// Every variant gets the same helpers and constants; the ones it does not use are fine.',
    '#pragma nv_diag_suppress 177',
    '',
    'namespace {',
    '',
  ];
  return [...head, commonSection(v), ...device, '}  // namespace', '', ...launchers.map((l) => l + '\n')].join('\n');
}
