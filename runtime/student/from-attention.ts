/**
 * Attention → SSM initialisation (method.md §1.5; MambaInLlama's mapping, done right):
 *   C ← W_Q,  B ← W_K,  x ← W_V,  out_proj ← W_O   (rows of in_proj; biases too when the mixer has them)
 * With every decay forced to 1, no conv and D = 0, the layer then computes causal linear attention
 * y_t = W_O · ⊕_h Σ_{s≤t} (q_t·k_s) v_s — the teacher's attention without softmax (nor 1/√d, nor RoPE).
 *
 * Head correspondence is exact: SSM head h = attention head h, so the mixer must have H = heads, P = head_dim,
 * G = heads, N = head_dim. A GQA teacher's K and V are repeated by WHOLE head blocks (query head h reads kv
 * head ⌊h·kv/heads⌋), unless the mixer is GQA-aware with kvHeads = the teacher's kv heads, which takes them as
 * they are. (The official helper repeats single rows, which scrambles heads.)
 *
 * RoPE: the copied W_Q/W_K are the pre-rotation projections, and the SSM has no positions, so a rotary
 * teacher's scores q_t·R(t−s)·k_s become q_t·k_s. Its pair layout (adjacent or rotate-half) does not matter
 * here: C and B rows share it and C·B sums over it. docs/students.md measures what this costs.
 */
import type { HostTensor } from '../io/types.ts';
import { inProjRows, type MixerDims } from '../mixers/layout.ts';
import { MixerShapeError } from '../mixers/ssd-inputs.ts';
import type { HostParams } from './init.ts';

/** One attention layer's projections as in the checkpoint: [out, in] weights. */
export interface AttentionSource {
  heads: number;
  kvHeads: number;
  headDim: number;
  q: HostTensor;
  k: HostTensor;
  v: HostTensor;
  o: HostTensor;
  qBias?: HostTensor;
  kBias?: HostTensor;
  vBias?: HostTensor;
  oBias?: HostTensor;
}

export interface FromAttentionResult {
  params: HostParams;
  /** What could not be carried over (e.g. q/k/v biases into a mixer without biases). */
  notes: string[];
}

/** Returns a copy of `base` with the attention-derived parts overwritten. */
export function initFromAttention(d: MixerDims, base: HostParams, att: AttentionSource): FromAttentionResult {
  const { heads, kvHeads, headDim: hd } = att;
  const need: string[] = [];
  if (d.h !== heads) need.push(`heads ${heads} (has ${d.h})`);
  if (d.p !== hd) need.push(`head_dim ${hd} (has ${d.p})`);
  if (d.g !== heads) need.push(`groups ${heads} (has ${d.g})`);
  if (d.n !== hd) need.push(`d_state ${hd} (has ${d.n})`);
  if (need.length) throw new MixerShapeError(`init from_attention maps attention head h to SSM head h: the mixer needs ${need.join(', ')}`);
  const dModel = d.dModel;
  const check = (name: string, t: HostTensor | undefined, shape: number[]) => {
    if (!t) return;
    if (t.shape.length !== shape.length || t.shape.some((v, i) => v !== shape[i]))
      throw new MixerShapeError(`init from_attention: teacher ${name} has shape [${t.shape}], expected [${shape}]`);
  };
  check('W_Q', att.q, [heads * hd, dModel]);
  check('W_K', att.k, [kvHeads * hd, dModel]);
  check('W_V', att.v, [kvHeads * hd, dModel]);
  check('W_O', att.o, [dModel, heads * hd]);
  check('q bias', att.qBias, [heads * hd]);
  check('k bias', att.kBias, [kvHeads * hd]);
  check('v bias', att.vBias, [kvHeads * hd]);
  check('o bias', att.oBias, [dModel]);
  // x and B take the kv heads as they are (GQA-aware mixer) or repeated by whole blocks to every query head.
  const repeat = (width: number, what: string): number => {
    if (width === kvHeads) return 1;
    if (width === heads) return heads / kvHeads;
    throw new MixerShapeError(`init from_attention: the mixer's ${what} has ${width} heads; the teacher has ${heads} query / ${kvHeads} kv heads`);
  };
  const repX = repeat(d.xHeads, 'x');
  const repB = repeat(d.bGroups, 'B');

  const params: HostParams = new Map([...base].map(([k, t]) => [k, { shape: [...t.shape], data: Float32Array.from(t.data) }]));
  const inProj = params.get('in_proj.weight')!;
  const inBias = params.get('in_proj.bias');
  const notes: string[] = [];
  /** Copy `src` rows (head blocks of hd rows) into in_proj block `block`, each source head repeated `rep` times. */
  const copyRows = (block: string, src: HostTensor, rep: number, bias: HostTensor | undefined, biasName: string) => {
    const [r0] = inProjRows(d, block);
    const srcHeads = src.shape[0] / hd;
    for (let sh = 0; sh < srcHeads; sh++)
      for (let r = 0; r < rep; r++) {
        const dst = r0 + (sh * rep + r) * hd;
        inProj.data.set(src.data.subarray(sh * hd * dModel, (sh + 1) * hd * dModel), dst * dModel);
        if (bias && inBias) inBias.data.set(bias.data.subarray(sh * hd, (sh + 1) * hd), dst);
      }
    if (bias && !inBias) notes.push(`${biasName} dropped: the mixer has no in_proj bias`);
  };
  copyRows('C', att.q, 1, att.qBias, 'q bias');
  copyRows('B', att.k, repB, att.kBias, 'k bias');
  copyRows('x', att.v, repX, att.vBias, 'v bias');
  params.set('out_proj.weight', { shape: [dModel, d.dInner], data: Float32Array.from(att.o.data) });
  if (att.oBias) {
    const ob = params.get('out_proj.bias');
    if (ob) ob.data.set(att.oBias.data);
    else notes.push('o bias dropped: the mixer has no out_proj bias');
  }
  return { params, notes };
}
