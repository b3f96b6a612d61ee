/**
 * Host-side (no tensor library) views of checkpoints. Loaders in runtime/io produce these; runtime/models
 * turns them into tensors. Keeping io free of tfjs lets the checker read headers cheaply.
 */
import type { CheckpointFormat, TeacherFamily } from '../../compiler/ir/types.ts';

/** Everything a teacher family needs to run, normalised across checkpoint formats. */
export interface TransformerConfig {
  family: TeacherFamily;
  dModel: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
  maxSeqLen: number;
  ffnHidden: number;
  norm: 'rms' | 'layer';
  normEps: number;
  /** Positions: rotary (with the pair layout the checkpoint's q/k rows use) or learned absolute. */
  positions: 'rope' | 'learned';
  /** 'adjacent': pairs (2i, 2i+1) as llama2.c run.c; 'half': rotate-half as HF. */
  ropeLayout?: 'adjacent' | 'half';
  ropeTheta?: number;
  /** Rotary dimensions per head (Phi: partial rotary). */
  rotaryDim?: number;
  mlp: 'swiglu' | 'gelu' | 'gelu_new';
  /** Phi: attention and MLP read the same normed input and are summed. */
  parallelBlock: boolean;
  tiedEmbeddings: boolean;
  attnBias: boolean;
  mlpBias: boolean;
  lmHeadBias: boolean;
}

/** A dense float32 tensor on the host, row-major. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * Weights under Hugging Face names of the family (llama: model.embed_tokens.weight,
 * model.layers.{i}.self_attn.{q,k,v,o}_proj.weight, model.layers.{i}.mlp.{gate,up,down}_proj.weight,
 * model.layers.{i}.{input,post_attention}_layernorm.weight, model.norm.weight, lm_head.weight when untied).
 * Linear weights are [out, in] as in PyTorch.
 */
export interface Checkpoint {
  format: CheckpointFormat;
  /** The file or folder it came from (for messages). */
  path: string;
  config: TransformerConfig;
  tensors: Map<string, HostTensor>;
  /**
   * Tensors the loader transposed from the file's [in, out] layout to [out, in] (GPT-2 `Conv1D`), so every
   * linear weight in `tensors` is [out, in]; a writer exporting back to the original layout must undo them.
   */
  transposed?: string[];
}

/** A checkpoint or tokenizer file that is malformed: the message names the file and what is wrong. */
export class FileFormatError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'FileFormatError';
  }
}
