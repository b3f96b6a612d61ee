/**
 * The example specs check clean and compile to the IR the project expects. The reference numbers are written
 * here from ../shared/docs/peer-baselines.md (quality section) and the teacher's header is re-read from the
 * checkpoint bytes in the test, independently of runtime/io.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileSource, compileSpecFile } from '../../compiler/compile.ts';
import { canonicalIrJson, hashSpec, irHash, withHash } from '../../compiler/ir/canonical.ts';
import type { MohawkIR } from '../../compiler/ir/types.ts';
import { validateIr } from '../../compiler/ir/validate.ts';
import { DATA_DIR, REPO_ROOT, TEACHER_BIN } from '../helpers/paths.ts';

const SPECS = resolve(REPO_ROOT, 'specs');
const compile = (name: string): MohawkIR => {
  const r = compileSpecFile(resolve(SPECS, name), { dataDir: DATA_DIR });
  expect(r.diagnostics).toEqual([]);
  expect(r.exitCode).toBe(0);
  return r.ir!;
};

/** The llama2.c header read straight from the bytes: dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab, seq_len. */
function headerFromBytes(): number[] {
  const b = readFileSync(TEACHER_BIN).subarray(0, 28);
  return Array.from({ length: 7 }, (_, i) => b.readInt32LE(4 * i));
}

const MINIMAL = `mohawk 0.1
teacher t {
  checkpoint = "stories260K/stories260K.bin"
  tokenizer  = "stories260K/tok512.bin"
}
student s {}
stage a : matrix_orientation { tokens = 1M }
stage b : hidden_state_alignment { tokens = 1M }
stage c : end_to_end { tokens = 1M }
`;

describe('example specs', () => {
  it('stories260k-llamba: the teacher comes from the checkpoint header', () => {
    const ir = compile('stories260k-llamba.mohawk');
    const [dim, hidden, layers, heads, kv, vocab, seq] = headerFromBytes();
    expect(ir.teacher).toEqual({
      name: 'stories260k',
      family: 'llama',
      format: 'llama2c',
      checkpoint: 'stories260K/stories260K.bin',
      tokenizer: 'stories260K/tok512.bin',
      dModel: dim,
      layers,
      heads,
      kvHeads: kv,
      headDim: dim / heads,
      vocab: Math.abs(vocab),
      maxSeqLen: seq,
      ffnHidden: hidden,
    });
    expect([dim, layers, heads, kv]).toEqual([64, 5, 8, 4]);
  });

  it('stories260k-llamba: the reference recipe (student, stages, data, kernels)', () => {
    const ir = compile('stories260k-llamba.mohawk');
    const mixer = { kind: 'discrete_mamba2', dState: 8, headDim: 8, heads: 8, groups: 8, dInner: 64, expand: 1, convWidth: 4, chunk: 64, dtype: 'f32' };
    expect(ir.student).toEqual({ name: 'llamba', init: 'from_attention', layers: [0, 1, 2, 3, 4].map((index) => ({ index, kind: 'ssm', frozen: false, mixer })) });
    expect(ir.stages.map((s) => [s.name, s.kind, s.after, s.tokens, s.lr])).toEqual([
      ['orient', 'matrix_orientation', undefined, 250_000, 1e-3],
      ['align', 'hidden_state_alignment', 'orient', 500_000, 1e-3],
      ['distil', 'end_to_end', 'align', 2_000_000, 5e-4],
    ]);
    for (const s of ir.stages) {
      expect([s.batchTokens, s.seqLen, s.microBatch, s.gradClip, s.seed, s.data]).toEqual([64 * 256, 256, 8, 1, 0, 'tinystories']);
      expect(s.optimizer).toEqual({ kind: 'adamw', beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, noDecay: ['D', 'norm', 'bias'] });
      expect(s.schedule).toEqual({ kind: 'wsd', warmup: 0.05, decay: 0.2, minLrRatio: 1e-4 });
      expect(s.layers).toEqual([0, 1, 2, 3, 4]);
    }
    expect(ir.stages.map((s) => s.loss)).toEqual([{ kind: 'frobenius' }, { kind: 'l2', target: 'block' }, { kind: 'soft_ce', temperature: 1, hardLabelWeight: 0 }]);
    expect(ir.stages.map((s) => s.freeze)).toEqual([['embed', 'norm', 'mlp', 'attention', 'lm_head'], [], []]);
    expect(ir.data).toEqual([{ name: 'tinystories', kind: 'text', path: 'tinystories/train.txt', protocol: 'lines', seed: 0 }]);
    expect(ir.eval).toEqual({ data: 'tinystories/valid.txt', protocol: 'paragraphs' });
    expect(ir.kernels.map((k) => [k.key, k.targets, k.sm])).toEqual(
      ['ssd_bwd', 'ssd_fwd', 'ssd_materialize', 'ssd_step'].map((k) => [`${k}_discrete_n8_p8_h8_g8_q64_f32`, ['wgsl', 'cuda'], [90]]),
    );
  });

  it('the edition defaults alone reproduce the same recipe (budgets aside), and `no_decay = []` the reference exactly', () => {
    const opts = { dataDir: DATA_DIR, specDir: SPECS };
    const min = compileSource(MINIMAL, 'min.mohawk', opts);
    expect(min.diagnostics).toEqual([]);
    const full = compile('stories260k-llamba.mohawk');
    const strip = (ir: MohawkIR) => ir.stages.map(({ name, after, tokens, checkpointEvery, source, ...rest }) => rest);
    expect(strip(min.ir!)).toEqual(strip(full));
    expect(min.ir!.student.layers).toEqual(full.student.layers);
    expect(min.ir!.kernels).toEqual(full.kernels);
    const ref = compileSource(MINIMAL.replace('tokens = 1M }\nstage c', 'tokens = 1M }\ndefaults { optimizer = adamw(no_decay: []) }\nstage c'), 'ref.mohawk', opts);
    expect(ref.diagnostics).toEqual([]);
    expect(ref.ir!.stages.map((s) => s.optimizer.noDecay)).toEqual([[], [], []]);
  });

  it('stories260k-hybrid: layer 2 keeps (trainable) attention; orientation and alignment train the SSM layers', () => {
    const ir = compile('stories260k-hybrid.mohawk');
    expect(ir.student.layers.map((l) => [l.kind, l.frozen])).toEqual([['ssm', false], ['ssm', false], ['attention', false], ['ssm', false], ['ssm', false]]);
    expect(ir.student.layers[2].mixer).toBeUndefined();
    expect(ir.stages.map((s) => s.layers)).toEqual([[0, 1, 3, 4], [0, 1, 3, 4], [0, 1, 2, 3, 4]]);
    expect(ir.stages.map((s) => s.tokens)).toEqual([250e3, 500e3, 2e6]);
  });

  it('ci-tiny: 8 × 64-token batches, 8K/16K/64K tokens, 200 evaluation paragraphs', () => {
    const ir = compile('ci-tiny.mohawk');
    expect(ir.stages.map((s) => [s.tokens, s.batchTokens, s.seqLen, s.microBatch, s.checkpointEvery])).toEqual([
      [8000, 512, 64, 8, 4000],
      [16000, 512, 64, 8, 4000],
      [64000, 512, 64, 8, 4000],
    ]);
    expect(ir.eval).toEqual({ data: 'tinystories/valid.txt', protocol: 'paragraphs', maxSequences: 200 });
  });

  it('phi-1_5-shapes: the architecture comes from the committed config.json; Hybrid-Phi-Mamba layout; bf16 CUDA and f32 WGSL kernels', () => {
    const ir = compile('phi-1_5-shapes.mohawk');
    const cfg = JSON.parse(readFileSync(resolve(SPECS, 'teachers/phi-1_5/config.json'), 'utf8'));
    expect(ir.teacher).toMatchObject({ family: 'phi', format: 'hf', layers: cfg.num_hidden_layers, dModel: cfg.hidden_size, heads: cfg.num_attention_heads, kvHeads: cfg.num_attention_heads, headDim: cfg.hidden_size / cfg.num_attention_heads, vocab: cfg.vocab_size, maxSeqLen: cfg.max_position_embeddings, ffnHidden: cfg.intermediate_size });
    expect([cfg.num_hidden_layers, cfg.hidden_size, cfg.num_attention_heads, cfg.partial_rotary_factor, cfg.vocab_size]).toEqual([24, 2048, 32, 0.5, 51200]);
    expect(ir.student.layers.filter((l) => l.kind === 'attention').map((l) => l.index)).toEqual([4, 10, 16, 22]);
    expect(ir.student.layers[0].mixer).toEqual({ kind: 'discrete_mamba2', dState: 64, headDim: 64, heads: 32, groups: 32, dInner: 2048, expand: 1, convWidth: 4, chunk: 128, dtype: 'bf16' });
    expect(ir.kernels.map((k) => `${k.key}:${k.targets.join('+')}`)).toEqual(
      ['ssd_bwd', 'ssd_fwd', 'ssd_materialize', 'ssd_step'].flatMap((k) => [`${k}_discrete_n64_p64_h32_g32_q128_bf16:cuda`, `${k}_discrete_n64_p64_h32_g32_q128_f32:wgsl`]),
    );
    expect(ir.stages.map((s) => [s.tokens, s.batchTokens, s.microBatch])).toEqual([
      [80e6, 128 * 2048, 4],
      [160e6, 128 * 2048, 4],
      [2.76e9, 128 * 2048, 4],
    ]);
  });

  it('every example IR validates against the schema; IR and hash are deterministic', () => {
    for (const f of ['ci-tiny.mohawk', 'phi-1_5-shapes.mohawk', 'stories260k-hybrid.mohawk', 'stories260k-llamba.mohawk']) {
      const a = withHash(compile(f));
      const b = withHash(compile(f));
      expect(validateIr(a)).toEqual([]);
      expect(canonicalIrJson(a)).toBe(canonicalIrJson(b));
      expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(irHash(a)).toBe(a.hash);
    }
  });

  it('hashes: the IR hash follows content, not key order; the spec hash follows bytes', () => {
    const ir = compile('ci-tiny.mohawk');
    const reversed = JSON.parse(JSON.stringify(ir), (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v));
    expect(Object.keys(reversed)[0]).not.toBe(Object.keys(ir)[0]);
    expect(irHash(reversed)).toBe(irHash(ir));
    expect(canonicalIrJson(reversed)).toBe(canonicalIrJson(ir));
    expect(irHash({ ...ir, stages: ir.stages.map((s, i) => (i === 0 ? { ...s, tokens: s.tokens + 1 } : s)) })).not.toBe(irHash(ir));
    const src = readFileSync(resolve(SPECS, 'ci-tiny.mohawk'));
    expect(hashSpec(src)).toBe(hashSpec(src.toString('utf8')));
    expect(hashSpec(Buffer.concat([src, Buffer.from(' ')]))).not.toBe(hashSpec(src));
  });
});
