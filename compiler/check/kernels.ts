/**
 * The `kernels` block: targets (`wgsl`, `cuda(sm: 90)`, each with optional `dtypes`), whether every student
 * mixer shape gets variants (`from_student`, default true) and extra `shapes`. Without a block, every student
 * shape gets variants for the default targets that support its dtype.
 */
import type { Block, Span, Value } from '../../grammar/ast.ts';
import type { DType, KernelTarget, KernelVariantIR } from '../ir/types.ts';
import type { Ctx } from './context.ts';
import { CUDA_ARCHS, enumerateVariants, mixerShape, shapeKey, targetSupports, type KernelRequest, type KernelShape } from './kernel-variants.ts';
import type { StudentFacts } from './student.ts';
import { DTYPES } from './student.ts';
import { argName, argNumber, readBool, readCall, readList, readName, readNumber, type Call, type CallSig } from './values.ts';

const TARGETS: Record<KernelTarget, CallSig> = {
  wgsl: { params: ['dtypes'] },
  cuda: { params: ['sm', 'dtypes'], positional: ['sm'] },
};
const SHAPE: Record<string, CallSig> = { shape: { params: ['d_state', 'head_dim', 'heads', 'groups', 'chunk', 'dtype', 'decay', 'targets'] } };

interface TargetSpec {
  target: KernelTarget;
  sm?: number[];
  /** Explicit dtypes; undefined = the dtype of each student shape. */
  dtypes?: DType[];
  span: Span;
}

function readDtypes(ctx: Ctx, v: Value): DType[] | undefined {
  const items = readList(ctx, v, 'dtypes', 'dtypes');
  if (!items) return undefined;
  const out = items.map((i) => readName(ctx, i, 'dtypes', DTYPES, 'dtype'));
  return out.every((d) => d !== undefined) ? [...new Set(out as DType[])] : undefined;
}

function readTargets(ctx: Ctx, v: Value): TargetSpec[] | undefined {
  const items = readList(ctx, v, 'targets', 'kernel targets');
  if (!items) return undefined;
  const out: TargetSpec[] = [];
  let ok = true;
  for (const it of items) {
    const call = readCall(ctx, it, 'targets', TARGETS, 'kernel target');
    if (!call) {
      ok = false;
      continue;
    }
    const spec: TargetSpec = { target: call.name as KernelTarget, span: it.span };
    const dt = call.args.get('dtypes');
    if (dt) {
      spec.dtypes = readDtypes(ctx, dt.value);
      if (!spec.dtypes) ok = false;
      else if (spec.target === 'wgsl' && spec.dtypes.includes('bf16')) {
        ctx.error('MHK0701', dt.value.span, 'WGSL has no bf16: a wgsl target cannot generate bf16 kernels', { help: 'use f32 or f16 for wgsl; bf16 kernels come from `cuda`' });
        ok = false;
      }
    }
    if (spec.target === 'cuda') {
      const smArg = call.args.get('sm');
      const sms = smArg ? (smArg.value.type === 'list' ? smArg.value.items : [smArg.value]) : undefined;
      spec.sm = [...ctx.defaults.kernels.sm];
      if (sms) {
        spec.sm = [];
        for (const s of sms) {
          const n = readNumber(ctx, s, 'sm', 'int', { min: 1 });
          if (n === undefined) ok = false;
          else if (!CUDA_ARCHS.includes(n)) {
            ctx.error('MHK0703', s.span, `sm ${n} is not a CUDA architecture the kernel templates support`, { help: `supported: ${CUDA_ARCHS.join(', ')}` });
            ok = false;
          } else if (!spec.sm.includes(n)) spec.sm.push(n);
        }
      }
    }
    const dup = out.find((o) => o.target === spec.target);
    if (dup) {
      ctx.error('MHK0704', it.span, `target \`${spec.target}\` is listed twice`, { secondary: [{ span: dup.span, message: 'first here' }] });
      continue;
    }
    out.push(spec);
  }
  if (ok && !out.length) {
    ctx.error('MHK0705', v.span, '`targets` is empty: no kernel would be generated', { help: 'e.g. `targets = [wgsl, cuda(sm: 90)]`' });
    return undefined;
  }
  return ok ? out : undefined;
}

function readShape(ctx: Ctx, v: Value, targets: TargetSpec[]): KernelRequest | undefined {
  const call = readCall(ctx, v, 'shapes', SHAPE, 'kernel shape');
  if (!call) return undefined;
  const need = (name: string, opts: { pow2?: boolean } = {}): number | undefined => {
    if (!call.args.has(name)) {
      ctx.error('MHK0112', call.node.span, `\`shape(...)\` needs \`${name}\``, { help: 'shape(d_state: N, head_dim: P, heads: H, chunk: Q) with optional groups, dtype, decay, targets' });
      return undefined;
    }
    const n = argNumber(ctx, call, name, 'int', { min: 1 });
    if (n !== undefined && opts.pow2 && ((n & (n - 1)) !== 0 || n > 1024)) {
      ctx.error('MHK0309', call.args.get(name)!.value.span, `chunk ${n} is not a power of two between 1 and 1024`);
      return undefined;
    }
    return n;
  };
  const n = need('d_state');
  const p = need('head_dim');
  const h = need('heads');
  const q = need('chunk', { pow2: true });
  const g = call.args.has('groups') ? argNumber(ctx, call, 'groups', 'int', { min: 1 }) : h;
  const dtype = call.args.has('dtype') ? argName(ctx, call, 'dtype', DTYPES, 'dtype') : 'f32';
  const decay = call.args.has('decay') ? argName(ctx, call, 'decay', ['discrete', 'continuous'] as const, 'decay') : 'discrete';
  if (n === undefined || p === undefined || h === undefined || q === undefined || g === undefined || dtype === undefined || decay === undefined) return undefined;
  if (h % g !== 0) {
    ctx.error('MHK0402', call.args.get('groups')!.value.span, `groups ${g} does not divide heads ${h}`);
    return undefined;
  }
  let chosen = targets;
  const tArg = call.args.get('targets');
  if (tArg) {
    const names = readList(ctx, tArg.value, 'targets', 'kernel targets');
    if (!names) return undefined;
    chosen = [];
    for (const it of names) {
      const t = readName(ctx, it, 'targets', ['wgsl', 'cuda'] as const, 'kernel target');
      if (t === undefined) return undefined;
      const spec = targets.find((x) => x.target === t);
      if (!spec) {
        ctx.error('MHK0705', it.span, `\`${t}\` is not among the block's \`targets\``, { help: 'add it to `targets`, or drop it here' });
        return undefined;
      }
      chosen.push(spec);
    }
    if (!chosen.length) {
      ctx.error('MHK0705', tArg.value.span, 'this shape has no target');
      return undefined;
    }
  }
  if (dtype === 'bf16' && chosen.some((t) => t.target === 'wgsl')) {
    ctx.error('MHK0701', call.args.get('dtype')!.value.span, 'WGSL has no bf16, and this bf16 shape would be generated for wgsl', { help: 'add `targets: [cuda]` to this shape' });
    return undefined;
  }
  return { n, p, h, g, q, dtype, decay, targets: chosen.map((t) => t.target), sm: chosen.find((t) => t.target === 'cuda')?.sm };
}

export function checkKernels(ctx: Ctx, block: Block | undefined, student: StudentFacts | undefined): KernelVariantIR[] | undefined {
  const mixers = (student?.layers ?? []).filter((l) => l.mixer).map((l) => ({ shape: mixerShape(l.mixer!), span: student!.mixerSpans.get(l.index)! }));
  const distinct = new Map<string, { shape: KernelShape; span: Span }>();
  for (const m of mixers) if (!distinct.has(shapeKey(m.shape))) distinct.set(shapeKey(m.shape), m);

  if (!block) {
    const requests = [...distinct.values()].map(({ shape }) => ({ ...shape, targets: ctx.defaults.kernels.targets.filter((t) => targetSupports(t, shape.dtype)), sm: [...ctx.defaults.kernels.sm] }));
    return student?.layers ? enumerateVariants(requests) : undefined;
  }
  const s = ctx.settings(block, 'kernels');
  let ok = true;
  const tE = s.get('targets');
  const targets: TargetSpec[] | undefined = tE ? readTargets(ctx, tE.value) : ctx.defaults.kernels.targets.map((t) => ({ target: t, sm: t === 'cuda' ? [...ctx.defaults.kernels.sm] : undefined, span: block.header }));
  if (!targets) return undefined;
  const fsE = s.get('from_student');
  const fromStudent = fsE ? readBool(ctx, fsE.value, 'from_student') : true;
  if (fromStudent === undefined) ok = false;

  const requests: KernelRequest[] = [];
  if (fromStudent) {
    for (const { shape, span } of distinct.values()) {
      for (const t of targets) {
        for (const dtype of t.dtypes ?? [shape.dtype]) {
          if (!targetSupports(t.target, dtype)) {
            ctx.error('MHK0701', t.span, `WGSL has no bf16, and the student's mixer is bf16`, { secondary: [{ span, message: 'bf16 mixer' }], help: 'give the wgsl target other dtypes (`wgsl(dtypes: [f32])`) or drop it' });
            ok = false;
            continue;
          }
          requests.push({ ...shape, dtype, targets: [t.target], sm: t.sm });
        }
      }
    }
  }
  const shE = s.get('shapes');
  const extra: { req: KernelRequest; span: Span }[] = [];
  if (shE) {
    const items = readList(ctx, shE.value, 'shapes', '`shape(...)` entries');
    if (!items) ok = false;
    for (const it of items ?? []) {
      const r = readShape(ctx, it, targets);
      if (!r) {
        ok = false;
        continue;
      }
      const key = shapeKey(r);
      const dupExtra = extra.find((x) => shapeKey(x.req) === key);
      const dupStudent = fromStudent ? requests.find((x) => shapeKey(x) === key) : undefined;
      if (dupExtra || dupStudent)
        ctx.error('MHK0704', it.span, dupExtra ? 'this shape repeats another one' : 'the student already gets this shape (`from_student = true`)', dupExtra ? { secondary: [{ span: dupExtra.span, message: 'first here' }] } : {});
      extra.push({ req: r, span: it.span });
    }
  }
  for (const t of targets) if (t.target === 'wgsl' && (t.dtypes ?? [...distinct.values()].map((d) => d.shape.dtype)).includes('f16'))
    ctx.error('MHK0706', t.span, 'f16 WGSL kernels need the `shader-f16` adapter feature', { help: 'adapters without it run the f32 variant instead' });
  for (const x of extra) if (x.req.dtype === 'f16' && x.req.targets.includes('wgsl') && !targets.some((t) => t.target === 'wgsl' && (t.dtypes ?? []).includes('f16')))
    ctx.error('MHK0706', x.span, 'f16 WGSL kernels need the `shader-f16` adapter feature', { help: 'adapters without it run the f32 variant instead' });

  if (fromStudent === false) {
    for (const { shape, span } of distinct.values()) {
      if (extra.some((x) => shapeKey(x.req) === shapeKey(shape))) continue;
      ctx.error('MHK0702', span, `no kernel covers the student's mixer shape (N ${shape.n}, P ${shape.p}, H ${shape.h}, G ${shape.g}, Q ${shape.q}, ${shape.dtype}, ${shape.decay})`, {
        secondary: [{ span: fsE!.value.span, message: 'per-student variants turned off here' }],
        help: `add \`shape(d_state: ${shape.n}, head_dim: ${shape.p}, heads: ${shape.h}, groups: ${shape.g}, chunk: ${shape.q}, dtype: ${shape.dtype}${shape.decay === 'continuous' ? ', decay: continuous' : ''})\` to \`shapes\`, or set \`from_student = true\``,
      });
      ok = false;
    }
  }
  if (!ok || !student?.layers) return undefined;
  return enumerateVariants([...requests, ...extra.map((x) => x.req)]);
}

export type { Call };
