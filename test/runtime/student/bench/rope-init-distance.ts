/**
 * Measurement (not a test): how far an initialised stories260K student is from its teacher on real text,
 * per layer, for the from-attention init vs random inits — the "RoPE question" of the students issue.
 *   npx tsx test/runtime/student/bench/rope-init-distance.ts [sequences=8] [T=128]
 * Text: the first paragraphs of tinystories/valid.txt, tokenized with tok512 (BOS per paragraph), cut into
 * windows of T tokens that each start with BOS. Distances use the teacher's hidden state entering each layer
 * (as stages 1 and 2 do):
 *   stage 1  mean over (sequence, head) of ‖M − A‖_F, the student's mixing matrix vs the softmax attention
 *   mixer    mean over tokens of ‖mixer(u) − attention output‖₂
 *   block    mean over tokens of ‖block(h_ℓ) − h_ℓ₊₁‖₂
 * Also: what RoPE contributes to the teacher (‖A − A_without_rotation‖_F) and whole-model NLL.
 */
import { readFileSync } from 'node:fs';
import type { StudentIR } from '../../../../compiler/ir/types.ts';
import { loadLlama2c } from '../../../../runtime/io/llama2c.ts';
import { loadTokenizer } from '../../../../runtime/io/tokenizers/index.ts';
import { splitParagraphs } from '../../../../runtime/data/text.ts';
import { attention, causalMask, norm, projectQkv } from '../../../../runtime/models/blocks.ts';
import { buildTeacher } from '../../../../runtime/models/index.ts';
import { buildStudent } from '../../../../runtime/student/build.ts';
import { inProjRows } from '../../../../runtime/mixers/layout.ts';
import { tf, useBackend } from '../../../../runtime/tensor/backend.ts';
import { TEACHER_BIN, TOKENIZER_BIN, VALID_TXT } from '../../../helpers/paths.ts';
import { studentIR } from '../helpers.ts';

const B = Number(process.argv[2] ?? 8);
const T = Number(process.argv[3] ?? 128);
await useBackend('wasm');
const ckpt = loadLlama2c(TEACHER_BIN);
const cfg = ckpt.config;
const tok = loadTokenizer(TOKENIZER_BIN, { vocabSize: cfg.vocab });
const stream: number[] = [];
for (const p of splitParagraphs(readFileSync(VALID_TXT, 'utf8'))) {
  stream.push(...tok.encode(p, { bos: true }));
  if (stream.length > B * T) break;
}
const windows = Array.from({ length: B }, (_, i) => [1, ...stream.slice(i * (T - 1), (i + 1) * (T - 1))]);
const ids = tf.tensor2d(windows, [B, T], 'int32');
const targets = tf.tensor2d(windows.map((w, i) => [...w.slice(1), stream[(i + 1) * (T - 1)]]), [B, T], 'int32');

const teacher = buildTeacher(ckpt);
const tr = teacher.forward(ids, { capture: { input: true, probs: true, attnOut: true, output: true } });
const L = cfg.layers;

const fro = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => a.sub(b).square().sum([2, 3]).sqrt().mean().dataSync()[0]);
const tokenL2 = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => a.sub(b).square().sum(2).sqrt().mean().dataSync()[0]);
const nll = (logits: tf.Tensor) =>
  tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(targets.reshape([B * T]), cfg.vocab), logits.reshape([B * T, cfg.vocab])).dataSync()[0]);

/** Cosine similarity of M and A over the strictly lower triangle (off the diagonal that D sets): scale-free. */
const strictLower = tf.linalg.bandPart(tf.ones([T, T]), -1, 0).sub(tf.eye(T));
const cosine = (m: tf.Tensor, a: tf.Tensor) =>
  tf.tidy(() => {
    const mm = m.mul(strictLower);
    const aa = a.mul(strictLower);
    return mm.mul(aa).sum([2, 3]).div(mm.square().sum([2, 3]).sqrt().mul(aa.square().sum([2, 3]).sqrt()).add(1e-30)).mean().dataSync()[0];
  });

// The teacher without rotation: same q, k, v, softmax, causal mask — how much of A is RoPE?
const noRope: number[] = [];
const noRopeCos: number[] = [];
for (let l = 0; l < L; l++) {
  noRope.push(
    tf.tidy(() => {
      const w = teacher.weights.layers[l];
      const u = norm(cfg.norm, tr.layers[l].input!.reshape([B * T, cfg.dModel]) as tf.Tensor2D, w.attnNorm, cfg.normEps);
      const { q, k, v } = projectQkv(u, w.attn, teacher.attentionShape, B);
      const rep = cfg.heads / cfg.kvHeads;
      const kh = k.transpose([0, 2, 1, 3]).reshape([B, cfg.kvHeads, 1, T * cfg.headDim]).tile([1, 1, rep, 1]).reshape([B, cfg.heads, T, cfg.headDim]) as tf.Tensor4D;
      const vh = v.transpose([0, 2, 1, 3]).reshape([B, cfg.kvHeads, 1, T * cfg.headDim]).tile([1, 1, rep, 1]).reshape([B, cfg.heads, T, cfg.headDim]) as tf.Tensor4D;
      const qh = q.mul(1 / Math.sqrt(cfg.headDim)).transpose([0, 2, 1, 3]) as tf.Tensor4D;
      const a0 = attention(qh, kh, vh, causalMask(T)).probs;
      noRopeCos.push(cosine(a0, tr.layers[l].probs!));
      return fro(a0, tr.layers[l].probs!);
    }),
  );
}

interface Row {
  name: string;
  cos: number[];
  stage1: number[];
  mixer: number[];
  block: number[];
  nll: number;
}
/** Optional edits of the freshly initialised mixers: scale the C rows, set D. */
interface Tweak {
  cScale?: number;
  D?: number;
}
function measure(name: string, ir: StudentIR, seed = 0, tweak: Tweak = {}): Row {
  const { model } = buildStudent(ckpt, ir, { trainable: true, seed });
  for (const layer of model.layers) {
    const m = layer.mixer!;
    if (tweak.cScale !== undefined) {
      const [c0, c1] = inProjRows(m.dims, 'C');
      const w = m.params['in_proj.weight'] as tf.Variable; // [in, out]: C is a column range
      const scale = tf.tidy(() => tf.ones([m.dims.inProjOut]).mul(tf.oneHot(tf.range(c0, c1, 1, 'int32'), m.dims.inProjOut).sum(0).mul(tweak.cScale! - 1).add(1)));
      w.assign(w.mul(scale));
    }
    if (tweak.D !== undefined) (m.params.D as tf.Variable).assign(tf.fill([m.dims.h], tweak.D));
  }
  const row: Row = { name, cos: [], stage1: [], mixer: [], block: [], nll: nll(model.forward(ids).logits!) };
  for (let l = 0; l < L; l++) {
    const c = tr.layers[l];
    tf.tidy(() => {
      const m = model.layerMatrix(l, c.input!);
      row.stage1.push(fro(m, c.probs!));
      row.cos.push(cosine(m, c.probs!));
    });
    row.mixer.push(tf.tidy(() => tokenL2(model.layerMixer(l, c.input!), c.attnOut!)));
    row.block.push(tf.tidy(() => tokenL2(model.layerBlock(l, c.input!), c.output!)));
  }
  model.dispose();
  return row;
}
const mean = (rows: Row[], name: string): Row => ({
  name,
  cos: rows[0].cos.map((_, l) => rows.reduce((s, r) => s + r.cos[l], 0) / rows.length),
  stage1: rows[0].stage1.map((_, l) => rows.reduce((s, r) => s + r.stage1[l], 0) / rows.length),
  mixer: rows[0].mixer.map((_, l) => rows.reduce((s, r) => s + r.mixer[l], 0) / rows.length),
  block: rows[0].block.map((_, l) => rows.reduce((s, r) => s + r.block[l], 0) / rows.length),
  nll: rows.reduce((s, r) => s + r.nll, 0) / rows.length,
});

const rows: Row[] = [];
rows.push(mean([0, 1, 2].map((s) => measure('random', studentIR('SSSSS', 'random'), s)), 'random (MOHAWK recipe, mean of 3 seeds)'));
rows.push(mean([0, 1, 2].map((s) => measure('from_attention', studentIR('SSSSS', 'from_attention'), s)), 'from_attention (mean of 3 seeds of the a rows)'));
for (const v of [0.5, 0.8, 0.95])
  rows.push(mean([0, 1, 2].map((s) => measure('', studentIR('SSSSS', 'from_attention', undefined, v), s)), `from_attention, decay_init ${v}`));
rows.push(mean([0, 1, 2].map((s) => measure('', studentIR('SSSSS', 'random', undefined, 0.8), s)), 'random, decay_init 0.8'));
rows.push(mean([0, 1, 2].map((s) => measure('', studentIR('SSSSS', 'random'), s, { D: 0 })), 'random, D = 0'));
rows.push(mean([0, 1, 2].map((s) => measure('', studentIR('SSSSS', 'from_attention'), s, { D: 0 })), 'from_attention, D = 0'));
const invSqrt = 1 / Math.sqrt(cfg.headDim);
rows.push(mean([0, 1, 2].map((s) => measure('', studentIR('SSSSS', 'from_attention'), s, { cScale: invSqrt, D: 0 })), 'from_attention, C·1/√d, D = 0'));
rows.push(mean([0, 1, 2].map((s) => measure('', studentIR('SSSSS', 'from_attention', undefined, 0.5), s, { cScale: invSqrt, D: 0 })), 'from_attention, C·1/√d, D = 0, decay_init 0.5'));

// Zero-mixer baselines: a mixer that outputs 0 (stage-1 matrix 0).
const zero: Row = { name: 'zero mixer (reference)', cos: [], stage1: [], mixer: [], block: [], nll: NaN };
for (let l = 0; l < L; l++) {
  const c = tr.layers[l];
  zero.stage1.push(tf.tidy(() => fro(tf.zerosLike(c.probs!), c.probs!)));
  zero.mixer.push(tf.tidy(() => tokenL2(tf.zerosLike(c.attnOut!), c.attnOut!)));
}
const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—');
console.log(`stories260K teacher, ${B} windows × ${T} tokens of valid.txt, wasm. Teacher NLL ${f(nll(tr.logits!))} nats/token.`);
console.log(`Teacher attention without rotation vs with: ‖A₀ − A‖_F ${noRope.map(f).join(' / ')}; cosine ${noRopeCos.map(f).join(' / ')}`);
console.log('\n| init | stage-1 ‖M−A‖_F per layer 0..4 | cos(M, A) off-diagonal | mixer ‖Δ‖₂ | block ‖Δ‖₂ | student NLL |');
console.log('|---|---|---|---|---|---|');
for (const r of [...rows, zero])
  console.log(`| ${r.name} | ${r.stage1.map(f).join(' / ')} | ${r.cos.length ? r.cos.map(f).join(' / ') : '—'} | ${r.mixer.map(f).join(' / ')} | ${r.block.length ? r.block.map(f).join(' / ') : '—'} | ${f(r.nll)} |`);
