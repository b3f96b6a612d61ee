/**
 * Stage blocks (`stage NAME : KIND { ... }`) and `defaults`: budgets, batches, optimiser, schedule, loss,
 * layers and freezing, with the rules of each MOHAWK stage kind. A setting in a stage replaces the one in
 * `defaults` as a whole; what neither sets comes from the edition.
 */
import type { Block, Entry, Span } from '../../grammar/ast.ts';
import type { LossIR, OptimizerIR, ScheduleIR, StageIR, StageKind } from '../ir/types.ts';
import { suggest } from '../util/suggest.ts';
import type { Ctx } from './context.ts';
import { markUsed, type DataFacts } from './data.ts';
import { STAGE_ORDER } from './defaults.ts';
import { PARAM_GROUPS, STAGE_KINDS } from './keys.ts';
import { readIndexList } from './layers.ts';
import type { StudentFacts } from './student.ts';
import type { TeacherFacts } from './teacher.ts';
import { argName, argNumber, describe, readCall, readList, readName, readNumber, unknownName, type Call, type CallSig } from './values.ts';

const LOSSES: Record<StageKind, Record<string, CallSig>> = {
  matrix_orientation: { frobenius: { params: [] } },
  hidden_state_alignment: { l2: { params: ['target'] } },
  end_to_end: { soft_ce: { params: ['temperature', 'hard_label_weight'] }, kl: { params: ['temperature', 'hard_label_weight'] } },
};
const SCHEDULES: Record<ScheduleIR['kind'], CallSig> = {
  wsd: { params: ['warmup', 'decay', 'min_lr_ratio'] },
  cosine: { params: ['warmup', 'min_lr_ratio'] },
  constant: { params: ['warmup'] },
};
const OPTIMIZERS: Record<OptimizerIR['kind'], CallSig> = { adamw: { params: ['beta1', 'beta2', 'eps', 'weight_decay', 'no_decay'] } };
/** Parameter groups a stage of each kind would train (before `freeze`). */
const TRAINED: Record<StageKind, readonly string[]> = {
  matrix_orientation: ['mixer'],
  hidden_state_alignment: ['mixer', 'mlp', 'norm', 'attention'],
  end_to_end: ['embed', 'norm', 'mlp', 'mixer', 'attention', 'lm_head'],
};

interface Env {
  teacher?: TeacherFacts;
  student?: StudentFacts;
  data: DataFacts;
  stageNames: string[];
}

export function checkStages(ctx: Ctx, stages: Block[], defaults: Block | undefined, env: Env): StageIR[] | undefined {
  const d = defaults ? ctx.settings(defaults, 'defaults') : new Map<string, Entry>();
  const out: StageIR[] = [];
  let ok = true;
  const seen: Earlier = { names: new Set(), order: [] };
  for (const block of stages) {
    const ir = checkStage(ctx, block, d, env, seen);
    if (ir) out.push(ir);
    else ok = false;
    const kind = ir?.kind ?? kindOf(block);
    seen.names.add(block.name!.text);
    seen.order.push(block.name!.text);
    seen.last = block.name!.text;
    if (kind) seen.lastKinded = { name: block.name!.text, kind };
  }
  return ok ? out : undefined;
}

function kindOf(block: Block): StageKind | undefined {
  const k = block.stageKind?.text;
  return (STAGE_KINDS as readonly string[]).includes(k ?? '') ? (k as StageKind) : undefined;
}

/** The stages above the one being checked. */
interface Earlier {
  names: Set<string>;
  order: string[];
  last?: string;
  lastKinded?: { name: string; kind: StageKind };
}

function checkStage(ctx: Ctx, block: Block, defaults: Map<string, Entry>, env: Env, earlier: Earlier): StageIR | undefined {
  const name = block.name!.text;
  const kindName = block.stageKind!;
  const s = ctx.settings(block, 'stage');
  const kind = kindOf(block);
  if (!kind) {
    unknownName(ctx, kindName.span, kindName.text, STAGE_KINDS, 'stage kind', 'MHK0501');
    return undefined;
  }
  let ok = true;
  const fail = <T>(v: T | undefined, present: boolean): T | undefined => {
    if (present && v === undefined) ok = false;
    return v;
  };
  // A setting from the stage, else from defaults (the whole value, never merged).
  const get = (key: string): Entry | undefined => s.get(key) ?? defaults.get(key);

  const afterE = s.get('after');
  let after: string | undefined = earlier.last;
  if (afterE) {
    const ref = readStageRef(ctx, afterE, name, earlier, env.stageNames);
    if (ref === undefined) ok = false;
    else after = ref;
  }

  const tokensE = s.get('tokens');
  let tokens: number | undefined;
  if (!tokensE) {
    ctx.error('MHK0112', block.header, `stage \`${name}\` needs a token budget (\`tokens = …\`)`, { help: 'e.g. `tokens = 2M`; budgets are part of a recipe, so there is no default' });
    ok = false;
  } else tokens = fail(readNumber(ctx, tokensE.value, 'tokens', 'count', { min: 1, rangeCode: 'MHK0301' }), true);

  // Batch: `batch` sequences or `batch_tokens` tokens, whichever the stage (else defaults) sets.
  const src = s.has('batch') || s.has('batch_tokens') ? s : defaults;
  const batchE = src.get('batch');
  const batchTokE = src.get('batch_tokens');
  if (batchE && batchTokE) {
    ctx.error('MHK0114', batchTokE.key.span, '`batch` (sequences) and `batch_tokens` both set the batch size', { secondary: [{ span: batchE.key.span, message: '`batch` set here' }], help: 'keep one: batch_tokens = batch × seq_len' });
    ok = false;
  }
  const seqE = get('seq_len');
  const seqLen = seqE ? fail(readNumber(ctx, seqE.value, 'seq_len', 'int', { min: 1 }), true) : ctx.defaults.seqLen;
  const maxSeq = env.teacher?.shape.maxSeqLen;
  if (seqLen !== undefined && maxSeq !== undefined && seqLen > maxSeq) {
    ctx.error('MHK0306', seqE!.value.span, `seq_len ${seqLen} exceeds the teacher's context length ${maxSeq}`, { secondary: [{ span: env.teacher!.spanOf('maxSeqLen'), message: `max_seq_len = ${maxSeq}` }], help: `use seq_len ≤ ${maxSeq}` });
    ok = false;
  }
  let batchTokens: number | undefined;
  if (batchTokE && !batchE) {
    const bt = fail(readNumber(ctx, batchTokE.value, 'batch_tokens', 'count', { min: 1 }), true);
    if (bt !== undefined && seqLen !== undefined && bt % seqLen !== 0) {
      ctx.error('MHK0305', batchTokE.value.span, `batch_tokens ${bt} is not a multiple of seq_len ${seqLen}`, { help: `e.g. \`batch = ${Math.max(1, Math.round(bt / seqLen))}\` sequences (${Math.max(1, Math.round(bt / seqLen)) * seqLen} tokens)` });
      ok = false;
    } else batchTokens = bt;
  } else {
    const b = batchE ? fail(readNumber(ctx, batchE.value, 'batch', 'int', { min: 1 }), true) : ctx.defaults.batch;
    if (b !== undefined && seqLen !== undefined) batchTokens = b * seqLen;
  }
  const sequences = batchTokens !== undefined && seqLen !== undefined ? batchTokens / seqLen : undefined;
  const microE = get('micro_batch');
  let microBatch = microE ? fail(readNumber(ctx, microE.value, 'micro_batch', 'int', { min: 1 }), true) : defaultMicroBatch(sequences);
  if (microE && microBatch !== undefined && sequences !== undefined && sequences % microBatch !== 0) {
    ctx.error('MHK0305', microE.value.span, `micro_batch ${microBatch} does not divide the ${sequences} sequences of a batch`, { help: `pick a divisor of ${sequences}` });
    ok = false;
    microBatch = undefined;
  }
  if (tokens !== undefined && batchTokens !== undefined && tokens < batchTokens) {
    ctx.error('MHK0310', tokensE!.value.span, `the budget of ${tokens} tokens is smaller than one batch of ${batchTokens} tokens`, { help: 'raise `tokens` or shrink `batch` / `seq_len`' });
    ok = false;
  }

  const lrE = get('lr');
  const lr = lrE ? fail(readNumber(ctx, lrE.value, 'lr', 'float', { min: 0, max: 1, open: false, rangeCode: 'MHK0302' }), true) : ctx.defaults.lr[kind];
  if (lrE && lr === 0) {
    ctx.error('MHK0302', lrE.value.span, '`lr` must be greater than 0');
    ok = false;
  } else if (lrE && lr !== undefined && lr > 0.1) ctx.error('MHK0311', lrE.value.span, `learning rate ${lr} is unusually high for AdamW`, { help: 'MOHAWK recipes use 1e-5 to 1e-3' });

  const schedule = fail(readSchedule(ctx, get('schedule')), !!get('schedule'));
  const optimizer = fail(readOptimizer(ctx, get('optimizer')), !!get('optimizer'));
  const clipE = get('grad_clip');
  const gradClip = clipE ? fail(readNumber(ctx, clipE.value, 'grad_clip', 'float', { min: 0, open: true }), true) : ctx.defaults.gradClip;
  const loss = fail(readLoss(ctx, s.get('loss'), kind), !!s.get('loss'));
  const freezeE = get('freeze');
  const freeze = freezeE ? fail(readGroups(ctx, freezeE, 'freeze'), true) : [...ctx.defaults.freeze[kind]];
  const seedE = get('seed');
  const seed = seedE ? fail(readNumber(ctx, seedE.value, 'seed', 'int', { min: 0 }), true) : ctx.defaults.seed;
  const ckE = get('checkpoint_every');
  const checkpointEvery = ckE ? fail(readNumber(ctx, ckE.value, 'checkpoint_every', 'count', { min: 1 }), true) : tokens !== undefined ? Math.min(tokens, ctx.defaults.checkpointEvery) : undefined;

  const data = resolveData(ctx, get('data'), env.data, block);
  if (data === undefined) ok = false;

  const layers = checkLayers(ctx, block, s.get('layers'), kind, env);
  if (layers === undefined) ok = false;
  if (freeze && layers) {
    const trained = TRAINED[kind].filter((g) => !freeze.includes(g));
    if (!trained.length) {
      ctx.error('MHK0506', (freezeE ?? s.get('freeze'))!.value.span, `\`freeze\` holds every parameter group this ${kind} stage trains (${TRAINED[kind].join(', ')})`, { help: `unfreeze at least one of: ${TRAINED[kind].join(', ')}` });
      ok = false;
    }
  }

  const prev = earlier.lastKinded;
  if (prev && STAGE_ORDER[prev.kind] > STAGE_ORDER[kind])
    ctx.error('MHK0505', kindName.span, `a ${kind} stage after the ${prev.kind} stage \`${prev.name}\``, { help: 'MOHAWK runs matrix_orientation, then hidden_state_alignment, then end_to_end' });

  if (seqLen !== undefined && env.student?.layers) {
    const chunks = new Set(env.student.layers.map((l) => l.mixer?.chunk).filter((c): c is number => c !== undefined && c > seqLen));
    for (const c of chunks) ctx.error('MHK0410', seqE?.value.span ?? block.header, `the student's chunk ${c} is longer than this stage's seq_len ${seqLen}`, { help: 'every sequence fits in one chunk; use a chunk ≤ seq_len' });
  }

  if (!ok || tokens === undefined || batchTokens === undefined || seqLen === undefined || microBatch === undefined || lr === undefined || gradClip === undefined || freeze === undefined || seed === undefined || checkpointEvery === undefined || data === undefined || layers === undefined)
    return undefined;
  const ir: StageIR = {
    name,
    kind,
    layers,
    tokens,
    batchTokens,
    seqLen,
    microBatch,
    lr,
    schedule: schedule ?? { ...ctx.defaults.schedule.wsd },
    optimizer: optimizer ?? { ...ctx.defaults.optimizer, noDecay: [...ctx.defaults.optimizer.noDecay] },
    gradClip,
    loss: loss ?? { ...ctx.defaults.loss[kind] },
    freeze,
    data,
    seed,
    checkpointEvery,
    source: { file: ctx.source.file, line: ctx.line(block.span) },
  };
  if (after !== undefined) ir.after = after;
  return ir;
}

/** `after` must name a stage above this one: itself or a later one is MHK0502, an unknown name MHK0105. */
function readStageRef(ctx: Ctx, e: Entry, self: string, earlier: Earlier, all: string[]): string | undefined {
  const v = e.value;
  if (v.type !== 'path' || v.parts.length !== 1 || v.args || v.attrs.length) {
    if (v.type !== 'bad') ctx.error('MHK0201', v.span, `\`after\` names an earlier stage, found ${describe(v)}`);
    return undefined;
  }
  const ref = v.parts[0].text;
  if (earlier.names.has(ref)) return ref;
  const above = earlier.order.length ? `stages above: ${earlier.order.slice(-5).map((n) => `\`${n}\``).join(', ')}` : 'this is the first stage: delete `after`';
  if (ref === self) ctx.error('MHK0502', v.span, `stage \`${self}\` cannot run after itself`, { help: above });
  else if (all.includes(ref)) ctx.error('MHK0502', v.span, `stage \`${ref}\` comes later in the file; stages run in file order`, { help: `move \`${self}\` below \`${ref}\`, or fix \`after\` (${above})` });
  else {
    const near = suggest(ref, all.filter((n) => n !== self));
    ctx.error('MHK0105', v.span, `no stage named \`${ref}\``, { help: near ? `did you mean \`${near}\`?` : above });
  }
  return undefined;
}

function resolveData(ctx: Ctx, e: Entry | undefined, data: DataFacts, block: Block): string | undefined {
  const names = [...data.sources.keys()];
  if (!e) {
    if (names.length === 1) {
      markUsed(data, names[0]);
      return data.sources.get(names[0])!.ir ? names[0] : undefined;
    }
    ctx.error('MHK0601', block.header, `stage \`${block.name!.text}\` does not say which data source to read (${names.length} are declared)`, { help: `add \`data = ${names[0]}\` to the stage or to \`defaults\`` });
    // Any of them may be the one meant: do not also call them unused.
    names.forEach((n) => markUsed(data, n));
    return undefined;
  }
  const v = e.value;
  if (v.type !== 'path' || v.parts.length !== 1 || v.args) {
    if (v.type !== 'bad') ctx.error('MHK0201', v.span, `\`data\` names a data block, found ${describe(v)}`, { help: names.length ? `declared sources: ${names.map((n) => `\`${n}\``).join(', ')}` : undefined });
    return undefined;
  }
  const ref = v.parts[0].text;
  const src = data.sources.get(ref);
  if (!src) {
    const near = suggest(ref, names);
    ctx.error('MHK0105', v.span, `no data source named \`${ref}\``, { help: near ? `did you mean \`${near}\`?` : `declared sources: ${names.map((n) => `\`${n}\``).join(', ')}` });
    // The misspelt name may mean any source: do not also call them unused.
    names.forEach((n) => markUsed(data, n));
    return undefined;
  }
  markUsed(data, ref);
  return src.ir ? ref : undefined;
}

function checkLayers(ctx: Ctx, block: Block, e: Entry | undefined, kind: StageKind, env: Env): number[] | undefined {
  const layers = env.student?.layers;
  if (kind === 'end_to_end') {
    if (e) {
      ctx.error('MHK0507', e.key.span, 'end_to_end stages train the whole student; `layers` does not apply', { help: 'hold parameter groups fixed with `freeze = [...]` instead' });
      return undefined;
    }
    // Frozen attention layers never train.
    return layers ? layers.filter((l) => !l.frozen).map((l) => l.index) : undefined;
  }
  const items = e
    ? readIndexList(ctx, e.value, 'layers', {
        studentName: env.student?.name,
        member: (m) => {
          if (!layers) return undefined;
          if (m === 'all_layers') return layers.map((l) => l.index);
          return layers.filter((l) => l.kind === (m === 'ssm_layers' ? 'ssm' : 'attention')).map((l) => l.index);
        },
      })
    : layers?.filter((l) => l.kind === 'ssm').map((l) => ({ index: l.index, frozen: false, span: block.header }));
  if (!items || !layers) return undefined;
  let ok = true;
  for (const it of items) {
    const layer = layers[it.index];
    if (!layer) {
      ctx.error('MHK0307', it.span, `layer ${it.index} does not exist: the student has layers 0..${layers.length - 1}`, { help: 'layer indices are 0-based' });
      ok = false;
    } else if (layer.kind === 'attention' && kind === 'matrix_orientation') {
      ctx.error('MHK0503', it.span, `layer ${it.index} keeps attention; matrix orientation trains SSM layers only`, { secondary: [{ span: env.student!.layerSpans[it.index], message: `layer ${it.index} is attention` }], help: `use \`${env.student!.name}.ssm_layers\`` });
      ok = false;
    } else if (layer.kind === 'attention' && layer.frozen) {
      ctx.error('MHK0508', it.span, `layer ${it.index} is a frozen attention layer; it cannot train`, { secondary: [{ span: env.student!.layerSpans[it.index], message: 'frozen here' }] });
      ok = false;
    }
  }
  if (!ok) return undefined;
  if (!items.length) {
    ctx.error('MHK0506', e!.value.span, `stage \`${block.name!.text}\` selects no layer`);
    return undefined;
  }
  if (kind === 'matrix_orientation') {
    const th = env.teacher?.shape.heads;
    for (const it of items) {
      const m = layers[it.index].mixer;
      if (m && th !== undefined && m.heads !== th) {
        ctx.error('MHK0408', it.span, `layer ${it.index}'s mixer has ${m.heads} heads but the teacher has ${th} attention heads to match`, { secondary: [{ span: env.student!.mixerSpans.get(it.index)!, message: `${m.heads} heads` }], help: `matrix orientation matches head h to head h: use heads = ${th}` });
        return undefined;
      }
    }
  }
  return items.map((i) => i.index).sort((a, b) => a - b);
}

function readSchedule(ctx: Ctx, e: Entry | undefined): ScheduleIR | undefined {
  if (!e) return undefined;
  const call = readCall(ctx, e.value, 'schedule', SCHEDULES, 'schedule');
  if (!call) return undefined;
  const kind = call.name as ScheduleIR['kind'];
  const base = ctx.defaults.schedule[kind];
  const warmup = argNumber(ctx, call, 'warmup', 'fraction');
  const decay = kind === 'wsd' ? argNumber(ctx, call, 'decay', 'fraction') : undefined;
  const minLr = argNumber(ctx, call, 'min_lr_ratio', 'fraction');
  if (['warmup', 'decay', 'min_lr_ratio'].some((a) => call.args.has(a) && ({ warmup, decay, min_lr_ratio: minLr } as Record<string, number | undefined>)[a] === undefined)) return undefined;
  const w = warmup ?? base.warmup;
  const d = kind === 'cosine' ? 1 - w : (decay ?? base.decay);
  if (w + d > 1 + 1e-12) {
    ctx.error('MHK0303', call.node.span, `warm-up ${w} and decay ${d} add up to more than the whole stage`, { help: 'warmup + decay ≤ 1' });
    return undefined;
  }
  return { kind, warmup: w, decay: d, minLrRatio: minLr ?? base.minLrRatio };
}

function readOptimizer(ctx: Ctx, e: Entry | undefined): OptimizerIR | undefined {
  if (!e) return undefined;
  const call = readCall(ctx, e.value, 'optimizer', OPTIMIZERS, 'optimizer');
  if (!call) return undefined;
  const D = ctx.defaults.optimizer;
  const b1 = argNumber(ctx, call, 'beta1', 'fraction', { min: 0, max: 1, open: true });
  const b2 = argNumber(ctx, call, 'beta2', 'fraction', { min: 0, max: 1, open: true });
  const eps = argNumber(ctx, call, 'eps', 'float', { min: 0, open: true });
  const wd = argNumber(ctx, call, 'weight_decay', 'float', { min: 0 });
  const nd = call.args.get('no_decay');
  const noDecay = nd ? readGroups(ctx, { key: { text: 'no_decay', span: nd.span }, value: nd.value, span: nd.span }, 'no_decay') : [...D.noDecay];
  const missing = (a: string, v: unknown) => call.args.has(a) && v === undefined;
  if (missing('beta1', b1) || missing('beta2', b2) || missing('eps', eps) || missing('weight_decay', wd) || noDecay === undefined) return undefined;
  return { kind: 'adamw', beta1: b1 ?? D.beta1, beta2: b2 ?? D.beta2, eps: eps ?? D.eps, weightDecay: wd ?? D.weightDecay, noDecay };
}

function readLoss(ctx: Ctx, e: Entry | undefined, kind: StageKind): LossIR | undefined {
  if (!e) return undefined;
  const v = e.value;
  const sigs = LOSSES[kind];
  if (v.type === 'path' && v.parts.length === 1 && !sigs[v.parts[0].text]) {
    const owner = (Object.keys(LOSSES) as StageKind[]).find((k) => LOSSES[k][v.parts[0].text]);
    if (owner) {
      ctx.error('MHK0504', v.span, `\`${v.parts[0].text}\` is the loss of ${owner} stages, not of ${kind}`, { help: `${kind} uses ${Object.keys(sigs).map((n) => `\`${n}\``).join(' or ')}` });
      return undefined;
    }
  }
  const call: Call | undefined = readCall(ctx, v, 'loss', sigs, `${kind} loss`);
  if (!call) return undefined;
  const base = ctx.defaults.loss[kind];
  if (call.name === 'frobenius') return { kind: 'frobenius' };
  if (call.name === 'l2') {
    const target = argName(ctx, call, 'target', ['block', 'mixer'] as const, 'alignment target');
    if (call.args.has('target') && target === undefined) return undefined;
    return { kind: 'l2', target: target ?? 'block' };
  }
  const t = argNumber(ctx, call, 'temperature', 'float', { min: 0, open: true });
  const h = argNumber(ctx, call, 'hard_label_weight', 'float', { min: 0 });
  if ((call.args.has('temperature') && t === undefined) || (call.args.has('hard_label_weight') && h === undefined)) return undefined;
  return { kind: call.name as 'soft_ce' | 'kl', temperature: t ?? (base as LossIR).temperature, hardLabelWeight: h ?? (base as LossIR).hardLabelWeight };
}

function readGroups(ctx: Ctx, e: Entry, key: string): string[] | undefined {
  const items = readList(ctx, e.value, key, 'parameter groups');
  if (!items) return undefined;
  const out: string[] = [];
  let ok = true;
  for (const it of items) {
    const g = readName(ctx, it, key, PARAM_GROUPS, 'parameter group');
    if (g === undefined) ok = false;
    else if (!out.includes(g)) out.push(g);
  }
  return ok ? out : undefined;
}

export type { Span };

/**
 * Edition 0.1 default: at most 8 sequences per forward pass (the largest divisor of the batch not above 8).
 * Why: stage 1 materialises B × H × T × T matrices per layer; 64 sequences of 256 tokens would need
 * hundreds of MB per tensor. Accumulation makes the optimisation identical to the full batch.
 */
export function defaultMicroBatch(sequences: number | undefined): number | undefined {
  if (sequences === undefined) return undefined;
  for (let m = Math.min(8, sequences); m >= 1; m--) if (sequences % m === 0) return m;
  return 1;
}
