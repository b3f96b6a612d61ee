/**
 * The student block: the SSM mixer (with the shape algebra of Mamba-2 / Discrete Mamba-2), the layer layout
 * (one entry per teacher layer; hybrids keep chosen attention layers) and the initialisation.
 */
import type { Block, Entry, Span, Value } from '../../grammar/ast.ts';
import type { DType, LayerIR, MixerIR, MixerKind, StudentIR } from '../ir/types.ts';
import type { Ctx } from './context.ts';
import { readIndexList } from './layers.ts';
import type { TeacherFacts } from './teacher.ts';
import { argName, argNumber, readArgs, readCall, readList, readName, readNumber, unknownName, type Call, type CallSig } from './values.ts';

export const DTYPES = ['f32', 'f16', 'bf16'] as const satisfies readonly DType[];
const MIXER_PARAMS = ['d_state', 'heads', 'head_dim', 'groups', 'kv_heads', 'expand', 'conv', 'chunk', 'dtype'] as const;
const MIXERS: Record<MixerKind, CallSig> = { discrete_mamba2: { params: MIXER_PARAMS }, mamba2: { params: MIXER_PARAMS } };
const INITS = ['from_attention', 'random'] as const;
const LAYER_KINDS = ['ssm', 'attention'] as const;

export interface StudentFacts {
  name: string;
  block: Block;
  /** Undefined when the layout could not be built (unknown teacher, errors). */
  layers?: LayerIR[];
  /** Where each layer's kind is written (layout item, attention_layers item, or the block header by default). */
  layerSpans: Span[];
  init: 'from_attention' | 'random';
  decayInit?: number;
  /** Each SSM layer's mixer with the span that defines it (for kernel coverage messages). */
  mixerSpans: Map<number, Span>;
}

/** Overrides on top of a base mixer (the block's `mixer`, or edition defaults). */
interface MixerArgs {
  kind: MixerKind;
  call?: Call;
}

function isPow2(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

/**
 * Resolves a mixer from explicit arguments (per-layer overrides first, then the block's mixer call) and the
 * edition defaults derived from the teacher. Reports the shape algebra errors (MHK0401/0402/0403/0409/0309).
 */
function buildMixer(ctx: Ctx, teacher: TeacherFacts, calls: (Call | undefined)[], kind: MixerKind, at: Span): MixerIR | undefined {
  const arg = <T>(read: (c: Call) => T | undefined, name: string): { v?: T; span?: Span } => {
    for (const c of calls) {
      if (c?.args.has(name)) return { v: read(c), span: c.args.get(name)!.value.span };
    }
    return {};
  };
  const num = (name: string, extra: { pow2?: boolean } = {}) =>
    arg((c) => {
      const v = argNumber(ctx, c, name, 'int', { min: 1 });
      if (v !== undefined && extra.pow2 && (!isPow2(v) || v > 1024)) {
        ctx.error('MHK0309', c.args.get(name)!.value.span, `chunk ${v} is not a power of two between 1 and 1024`, { help: 'e.g. 64 or 128' });
        return undefined;
      }
      return v;
    }, name);
  const dState = num('d_state');
  const heads = num('heads');
  const headDim = num('head_dim');
  const groups = num('groups');
  const kvHeads = num('kv_heads');
  const expand = num('expand');
  const conv = num('conv');
  const chunk = num('chunk', { pow2: true });
  const dtype = arg((c) => argName(ctx, c, 'dtype', DTYPES, 'dtype'), 'dtype');
  const bad = [dState, heads, headDim, groups, kvHeads, expand, conv, chunk, dtype].some((a) => a.span && a.v === undefined);
  const t = teacher.shape;
  const D = ctx.defaults.mixer;
  const H = heads.v ?? t.heads;
  const E = expand.v ?? D.expand;
  if (bad || H === undefined || t.dModel === undefined) return undefined;
  const dInner = E * t.dModel;
  let P = headDim.v;
  if (P === undefined) {
    if (dInner % H !== 0) {
      ctx.error('MHK0409', heads.span ?? at, `head_dim is derived as expand × d_model / heads = ${E} × ${t.dModel} / ${H}, which is not a whole number`, {
        secondary: [{ span: teacher.spanOf('dModel'), message: `d_model = ${t.dModel}` }],
        help: 'give `head_dim` or choose `heads` dividing expand × d_model',
      });
      return undefined;
    }
    P = dInner / H;
  } else if (H * P !== dInner) {
    ctx.error('MHK0401', headDim.span ?? heads.span ?? at, `heads × head_dim = ${H} × ${P} = ${H * P}, but expand × d_model = ${E} × ${t.dModel} = ${dInner}`, {
      secondary: [{ span: teacher.spanOf('dModel'), message: `teacher d_model = ${t.dModel}` }],
      help: `omit \`head_dim\` to derive it (${Number.isInteger(dInner / H) ? dInner / H : 'expand × d_model / heads'}), or change \`heads\` or \`expand\``,
    });
    return undefined;
  }
  const G = groups.v ?? H;
  if (H % G !== 0) {
    ctx.error('MHK0402', groups.span ?? at, `groups ${G} does not divide heads ${H}`, { help: `B and C are shared by heads / groups heads each; pick groups from the divisors of ${H}` });
    return undefined;
  }
  if (kvHeads.v !== undefined && H % kvHeads.v !== 0) {
    ctx.error('MHK0403', kvHeads.span!, `kv_heads ${kvHeads.v} does not divide heads ${H}`, { help: `x and B are repeated from kv_heads to all heads; pick kv_heads from the divisors of ${H}` });
    return undefined;
  }
  const N = dState.v ?? t.headDim;
  if (N === undefined) return undefined;
  const mixer: MixerIR = {
    kind,
    dState: N,
    headDim: P,
    heads: H,
    groups: G,
    dInner,
    expand: E,
    convWidth: conv.v ?? D.convWidth,
    chunk: chunk.v ?? D.chunk,
    dtype: dtype.v ?? D.dtype,
  };
  if (kvHeads.v !== undefined) mixer.kvHeads = kvHeads.v;
  return mixer;
}

function mixerCall(ctx: Ctx, e: Entry | undefined): MixerArgs | undefined {
  if (!e) return { kind: ctx.defaults.mixer.kind };
  const call = readCall(ctx, e.value, 'mixer', MIXERS, 'mixer');
  return call ? { kind: call.name as MixerKind, call } : undefined;
}

export function checkStudent(ctx: Ctx, block: Block, teacher: TeacherFacts | undefined): StudentFacts {
  const s = ctx.settings(block, 'student');
  const name = block.name?.text ?? 'student';
  const facts: StudentFacts = { name, block, layerSpans: [], init: ctx.defaults.init, mixerSpans: new Map() };
  const initEntry = s.get('init');
  if (initEntry) facts.init = readName(ctx, initEntry.value, 'init', INITS, 'initialisation') ?? facts.init;
  const decay = s.get('decay_init');
  if (decay) facts.decayInit = readDecayInit(ctx, decay.value);
  // The edition's decay start is tuned for mixers copied from attention; a random student keeps its own init.
  else if (facts.init === 'from_attention') facts.decayInit = ctx.defaults.decayInit;

  const mixerEntry = s.get('mixer');
  const base = mixerCall(ctx, mixerEntry);
  const layoutEntry = s.get('layout');
  const attnEntry = s.get('attention_layers');
  if (layoutEntry && attnEntry) {
    ctx.error('MHK0114', attnEntry.key.span, '`layout` and `attention_layers` both set the layer layout', { secondary: [{ span: layoutEntry.key.span, message: '`layout` set here' }], help: 'keep one: `layout` lists every layer, `attention_layers` names the kept attention layers (the rest are SSM)' });
  }
  const L = teacher?.shape.layers;

  type Item = { kind: 'ssm' | 'attention'; frozen: boolean; span: Span; call?: Call };
  let items: Item[] | undefined;
  if (layoutEntry) {
    items = readLayout(ctx, layoutEntry.value);
    if (items && L !== undefined && items.length !== L) {
      ctx.error('MHK0404', layoutEntry.value.span, `the student layout has ${items.length} entr${items.length === 1 ? 'y' : 'ies'} but teacher \`${teacher!.name}\` has ${L} layers`, {
        label: `${items.length} entr${items.length === 1 ? 'y' : 'ies'}`,
        secondary: [{ span: teacher!.spanOf('layers'), message: `${L} layers (${teacher!.fromHeader ? 'checkpoint header' : 'declared'})` }],
        help: '`layout` needs one entry per teacher layer (`ssm`, `attention` or `attention @frozen`)',
      });
      items = undefined;
    }
  } else if (L !== undefined) {
    const at = attnEntry ? readAttentionLayers(ctx, attnEntry.value, L) : new Map<number, { frozen: boolean; span: Span }>();
    if (at) items = Array.from({ length: L }, (_, i) => (at.has(i) ? { kind: 'attention' as const, frozen: at.get(i)!.frozen, span: at.get(i)!.span } : { kind: 'ssm' as const, frozen: false, span: mixerEntry?.value.span ?? block.header }));
  }
  if (!items || !base || !teacher) return facts;
  if (!items.some((i) => i.kind === 'ssm')) {
    ctx.error('MHK0407', (layoutEntry ?? attnEntry)?.value.span ?? block.header, 'every layer keeps attention: there is no SSM layer to distil', { help: 'make at least one layer `ssm`' });
    return facts;
  }
  const layers: LayerIR[] = [];
  let ok = true;
  const cache = new Map<Call | undefined, MixerIR | undefined>();
  items.forEach((it, index) => {
    facts.layerSpans.push(it.span);
    if (it.kind === 'attention') {
      layers.push({ index, kind: 'attention', frozen: it.frozen });
      return;
    }
    if (!cache.has(it.call)) cache.set(it.call, buildMixer(ctx, teacher, [it.call, base.call], base.kind, it.call ? it.span : (mixerEntry?.value.span ?? block.header)));
    const mixer = cache.get(it.call);
    if (!mixer) ok = false;
    else {
      layers.push({ index, kind: 'ssm', frozen: false, mixer });
      facts.mixerSpans.set(index, it.call ? it.span : (mixerEntry?.value.span ?? block.header));
    }
  });
  if (!ok) return facts;
  if (facts.init === 'from_attention') checkInitFromAttention(ctx, teacher, layers, facts, initEntry);
  facts.layers = layers;
  return facts;
}

/**
 * A fraction in (0, 1), or `none`: the reference's projection-only decay (edition 0.1's default), which a spec
 * of a later edition can only get by writing it.
 */
function readDecayInit(ctx: Ctx, v: Value): number | undefined {
  if (v.type === 'path' && v.parts.length === 1 && !v.args) {
    if (v.parts[0].text === 'none' && !v.attrs.length) return undefined;
    ctx.error('MHK0201', v.span, `\`decay_init\` expects a fraction in (0, 1) or \`none\`, found the name \`${v.parts[0].text}\``, { help: 'e.g. `decay_init = 0.9`, or `decay_init = none` for the projection-only decay' });
    return undefined;
  }
  return readNumber(ctx, v, 'decay_init', 'fraction', { min: 0, max: 1, open: true });
}

/** C ← W_Q needs G·N = teacher q width; x ← W_V and out ← W_O need d_inner = teacher q width. */
function checkInitFromAttention(ctx: Ctx, teacher: TeacherFacts, layers: LayerIR[], facts: StudentFacts, initEntry: Entry | undefined): void {
  const t = teacher.shape;
  if (t.heads === undefined || t.headDim === undefined) return;
  const q = t.heads * t.headDim;
  const seen = new Set<MixerIR>();
  for (const l of layers) {
    const m = l.mixer;
    if (!m || seen.has(m)) continue;
    seen.add(m);
    const span = facts.mixerSpans.get(l.index)!;
    const gn = m.groups * m.dState;
    if (gn === q && m.dInner === q) continue;
    const why = gn !== q ? `groups × d_state = ${m.groups} × ${m.dState} = ${gn}` : `d_inner = ${m.dInner}`;
    ctx.error('MHK0405', span, `\`init = from_attention\` copies the teacher's ${t.heads} × ${t.headDim} = ${q}-wide query/key/value projections, but ${why}`, {
      secondary: initEntry ? [{ span: initEntry.value.span, message: 'initialisation chosen here' }] : [],
      notes: [`C ← W_Q and B ← W_K need groups × d_state = ${q}; x ← W_V and out ← W_O need d_inner = ${q}`],
      help: `use d_state = ${t.headDim} with groups = heads = ${t.heads}, or \`init = random\``,
    });
  }
}

function readLayout(ctx: Ctx, v: Value): { kind: 'ssm' | 'attention'; frozen: boolean; span: Span; call?: Call }[] | undefined {
  if (readList(ctx, v, 'layout', 'layer kinds') === undefined || v.type !== 'list') return undefined;
  const out: { kind: 'ssm' | 'attention'; frozen: boolean; span: Span; call?: Call }[] = [];
  let ok = true;
  for (const item of v.items) {
    if (item.type !== 'path' || item.parts.length !== 1) {
      ok = false;
      if (item.type !== 'bad') ctx.error('MHK0201', item.span, `a layout entry is \`ssm\`, \`ssm(…)\` or \`attention\`, found ${item.type === 'number' ? `the number \`${item.text}\`` : `a ${item.type}`}`);
      continue;
    }
    const kind = item.parts[0].text;
    if (!(LAYER_KINDS as readonly string[]).includes(kind)) {
      unknownName(ctx, item.parts[0].span, kind, LAYER_KINDS, 'layer kind');
      ok = false;
      continue;
    }
    let frozen = false;
    for (const a of item.attrs) {
      if (a.name.text !== 'frozen') {
        ctx.error('MHK0110', a.name.span, `unknown attribute \`@${a.name.text}\``, { help: 'the only attribute is `@frozen` (on `attention`)' });
        ok = false;
      } else if (kind !== 'attention' || a.args) {
        ctx.error('MHK0204', a.span, kind !== 'attention' ? '`@frozen` applies to kept attention layers; SSM layers are what the stages train' : '`@frozen` takes no arguments');
        ok = false;
      } else frozen = true;
    }
    let call: Call | undefined;
    if (item.args) {
      if (kind === 'attention') {
        ctx.error('MHK0107', item.span, '`attention` takes no arguments: it is the teacher\'s own attention', { help: 'per-layer mixer settings go on `ssm(...)`' });
        ok = false;
        continue;
      }
      call = readArgs(ctx, item, 'ssm', { params: MIXER_PARAMS });
    }
    out.push({ kind: kind as 'ssm' | 'attention', frozen, span: item.span, call });
  }
  return ok ? out : undefined;
}

function readAttentionLayers(ctx: Ctx, v: Value, layers: number): Map<number, { frozen: boolean; span: Span }> | undefined {
  const list = readIndexList(ctx, v, 'attention_layers', { allowFrozen: true });
  if (!list) return undefined;
  const out = new Map<number, { frozen: boolean; span: Span }>();
  let ok = true;
  for (const it of list) {
    if (it.index < 0 || it.index >= layers) {
      ctx.error('MHK0406', it.span, `attention layer ${it.index} does not exist: the teacher has layers 0..${layers - 1}`, { help: 'layer indices are 0-based' });
      ok = false;
      continue;
    }
    out.set(it.index, { frozen: it.frozen, span: it.span });
  }
  return ok ? out : undefined;
}

export function studentIR(facts: StudentFacts): StudentIR | undefined {
  if (!facts.layers) return undefined;
  const ir: StudentIR = { name: facts.name, layers: facts.layers, init: facts.init };
  if (facts.decayInit !== undefined) ir.decayInit = facts.decayInit;
  return ir;
}

export function ssmLayers(facts: StudentFacts): number[] {
  return (facts.layers ?? []).filter((l) => l.kind === 'ssm').map((l) => l.index);
}
