/**
 * The IR: the checked spec as plain data. It is the contract between the compiler and everything after it
 * (emitters, generated programs, runtime). This file is a leaf: it imports nothing, so the runtime may import
 * it. The JSON Schema in compiler/ir/schema.json is generated from / tested against these types.
 *
 * Units: every token count and batch size is in tokens; learning rates are plain numbers; paths are as the
 * user wrote them (resolved at run time against the data directory, see runtime/io/data-dir.ts), except that
 * paths starting with `./` or `../` are relative to the folder of the spec (`spec`), as the checker read them.
 * `schemaVersion` moves whenever a field changes meaning or is removed.
 */
export const IR_SCHEMA_VERSION = 1 as const;

export type TeacherFamily = 'llama' | 'phi' | 'gpt2';
export type CheckpointFormat = 'llama2c' | 'hf' | 'gguf';
export type MixerKind = 'discrete_mamba2' | 'mamba2';
export type StageKind = 'matrix_orientation' | 'hidden_state_alignment' | 'end_to_end';
export type DType = 'f32' | 'f16' | 'bf16';
export type KernelTarget = 'wgsl' | 'cuda';
export type KernelName = 'ssd_fwd' | 'ssd_bwd' | 'ssd_step' | 'ssd_materialize';

export interface SourceRef {
  /** Repo-relative spec path and 1-based line of the construct, for "// from spec:line" comments. */
  file: string;
  line: number;
}

export interface TeacherIR {
  name: string;
  family: TeacherFamily;
  format: CheckpointFormat;
  /** Checkpoint path as written in the spec (file for llama2c/gguf, folder for hf). */
  checkpoint: string;
  tokenizer: string;
  /** Architecture read from the checkpoint header (declared values must agree). */
  dModel: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
  maxSeqLen: number;
  ffnHidden: number;
}

export interface MixerIR {
  kind: MixerKind;
  /** N */
  dState: number;
  /** P */
  headDim: number;
  /** H: value (x) heads. */
  heads: number;
  /** G: B/C heads (n_qk_heads), divides H. */
  groups: number;
  /** d_inner = expand · d_model = heads · headDim. */
  dInner: number;
  expand: number;
  /** K: causal depthwise conv width. */
  convWidth: number;
  /** Q: SSD chunk length. */
  chunk: number;
  dtype: DType;
  /** GQA-aware variant (jxiw/MambaInLlama): x and B have kv width and are repeated to all heads. */
  kvHeads?: number;
}

export interface LayerIR {
  index: number;
  kind: 'ssm' | 'attention';
  /** Kept attention layers may be frozen; SSM layers are always trainable in some stage. */
  frozen: boolean;
  mixer?: MixerIR;
}

export interface StudentIR {
  name: string;
  layers: LayerIR[];
  /** How SSM mixers start: from the teacher's attention weights (C←W_Q, B←W_K, x←W_V, out←W_O) or random. */
  init: 'from_attention' | 'random';
  /** Initial decay bias: raw `a` so that sigmoid(−a) = this value at init (undefined: projection only). */
  decayInit?: number;
}

export interface OptimizerIR {
  kind: 'adamw';
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Parameter name patterns excluded from weight decay (D, norms, biases by default). */
  noDecay: string[];
}

export interface ScheduleIR {
  kind: 'wsd' | 'constant' | 'cosine';
  /** Fractions of the stage's steps. */
  warmup: number;
  decay: number;
  /** Final lr = lr · minLrRatio. */
  minLrRatio: number;
}

export interface LossIR {
  kind: 'frobenius' | 'l2' | 'soft_ce' | 'kl';
  temperature?: number;
  /** end_to_end: weight of the hard-label CE term mixed in (0 = pure distillation). */
  hardLabelWeight?: number;
  /** hidden_state_alignment: compare block outputs or mixer outputs. */
  target?: 'block' | 'mixer';
}

export interface StageIR {
  name: string;
  kind: StageKind;
  after?: string;
  /** Layers this stage trains (orientation: SSM layers only). */
  layers: number[];
  tokens: number;
  batchTokens: number;
  seqLen: number;
  /** Sequences per forward pass; gradient accumulation = batchTokens / (seqLen · microBatch). */
  microBatch: number;
  lr: number;
  schedule: ScheduleIR;
  optimizer: OptimizerIR;
  gradClip: number;
  loss: LossIR;
  /** Parameter name patterns that do not train in this stage (e.g. 'mlp', 'embed'). */
  freeze: string[];
  data: string;
  seed: number;
  /** Tokens between checkpoints. */
  checkpointEvery: number;
  source: SourceRef;
}

export interface DataSourceIR {
  name: string;
  kind: 'text' | 'teacher_samples' | 'mix';
  path?: string;
  /** How text becomes sequences. */
  protocol: 'lines' | 'paragraphs' | 'windows';
  /** teacher_samples: sampling settings. */
  temperature?: number;
  topP?: number;
  /** mix: component names and weights. */
  parts?: { source: string; weight: number }[];
  seed: number;
}

export interface KernelVariantIR {
  /** e.g. ssd_fwd_discrete_n8_p8_h8_g8_q64_f32 — every axis in the name. */
  key: string;
  kernel: KernelName;
  decay: 'discrete' | 'continuous';
  n: number;
  p: number;
  h: number;
  g: number;
  q: number;
  dtype: DType;
  targets: KernelTarget[];
  /** CUDA compute capabilities × 10 to build for (e.g. [90] → `<key>_sm90.cu`); present when targets include cuda. */
  sm?: number[];
}

export interface EvalIR {
  data: string;
  protocol: 'paragraphs' | 'windows';
  /** Limit for quick evaluations (CI); undefined = whole file. */
  maxSequences?: number;
}

export interface MohawkIR {
  schemaVersion: typeof IR_SCHEMA_VERSION;
  edition: string;
  /** Repo-relative path of the spec this IR came from. */
  spec: string;
  teacher: TeacherIR;
  student: StudentIR;
  data: DataSourceIR[];
  stages: StageIR[];
  kernels: KernelVariantIR[];
  eval: EvalIR;
  /** sha256 (hex) of the canonical JSON of this IR without `hash` (compiler/ir/canonical.ts); set by `mohawkc ir`. */
  hash?: string;
}
