/** A hand-written IR of a stories260K-shaped spec, so emitter tests do not depend on the parser. */
import type { MixerIR, MohawkIR, StageIR } from '../../../compiler/ir/types.ts';

export function fixtureMixer(over: Partial<MixerIR> = {}): MixerIR {
  return { kind: 'discrete_mamba2', dState: 8, headDim: 8, heads: 8, groups: 8, dInner: 64, expand: 1, convWidth: 4, chunk: 64, dtype: 'f32', ...over };
}

function stage(name: string, kind: StageIR['kind'], tokens: number, lr: number, line: number, after?: string): StageIR {
  return {
    name,
    kind,
    after,
    layers: [0, 1, 2, 3, 4],
    tokens,
    batchTokens: 16_384,
    seqLen: 256,
    microBatch: 8,
    lr,
    schedule: { kind: 'wsd', warmup: 0.05, decay: 0.2, minLrRatio: 1e-4 },
    optimizer: { kind: 'adamw', beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, noDecay: ['D', 'norm', 'bias'] },
    gradClip: 1,
    loss: kind === 'matrix_orientation' ? { kind: 'frobenius' } : kind === 'hidden_state_alignment' ? { kind: 'l2', target: 'block' } : { kind: 'soft_ce', temperature: 1 },
    freeze: [],
    data: 'tinystories',
    seed: 0,
    checkpointEvery: 65_536,
    source: { file: 'specs/fixture.mohawk', line },
  };
}

export function fixtureIr(mixer: MixerIR = fixtureMixer()): MohawkIR {
  const key = (k: string) => `${k}_discrete_n${mixer.dState}_p${mixer.headDim}_h${mixer.heads}_g${mixer.groups}_q${mixer.chunk}_${mixer.dtype}`;
  return {
    schemaVersion: 1,
    edition: '0.1',
    spec: 'specs/fixture.mohawk',
    teacher: { name: 'stories260k', family: 'llama', format: 'llama2c', checkpoint: 'stories260K/stories260K.bin', tokenizer: 'stories260K/tok512.bin', dModel: 64, layers: 5, heads: 8, kvHeads: 4, headDim: 8, vocab: 512, maxSeqLen: 512, ffnHidden: 172 },
    student: { name: 'llamba', init: 'from_attention', layers: [0, 1, 2, 3, 4].map((index) => ({ index, kind: 'ssm' as const, frozen: false, mixer })) },
    data: [{ name: 'tinystories', kind: 'text', path: 'tinystories/train.txt', protocol: 'lines', seed: 0 }],
    stages: [stage('orient', 'matrix_orientation', 250_000, 1e-3, 20), stage('align', 'hidden_state_alignment', 500_000, 1e-3, 24, 'orient'), stage('distill', 'end_to_end', 2_000_000, 5e-4, 28, 'align')],
    kernels: (['ssd_fwd', 'ssd_bwd', 'ssd_step', 'ssd_materialize'] as const).map((kernel) => ({ key: key(kernel), kernel, decay: 'discrete' as const, n: mixer.dState, p: mixer.headDim, h: mixer.heads, g: mixer.groups, q: mixer.chunk, dtype: mixer.dtype, targets: ['wgsl' as const, 'cuda' as const] })),
    eval: { data: 'tinystories/valid.txt', protocol: 'paragraphs' },
  };
}
