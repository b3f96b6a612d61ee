/**
 * What the three MOHAWK stages need, as interfaces: the frozen teacher, the trainable student, and token
 * batches. runtime/program/run-program.ts fills a StageContext; each stage module turns its StageIR into a
 * StageDef for the loop driver (runtime/run/loop.ts), which owns optimisation, checkpoints and resume.
 */
import type { LayerIR, StageIR } from '../../compiler/ir/types.ts';
import type { Batch } from '../data/batches.ts';
import type { TransformerConfig } from '../io/types.ts';
import type { TransformerLM } from '../models/transformer.ts';
import type { DataSource, StageDef } from '../run/loop.ts';
import type { tf } from '../tensor/backend.ts';

/**
 * The student as the stages see it. Hidden states are [B, T, D]; every method is differentiable with respect
 * to `params` and returns new tensors (call inside tf.tidy or a gradient scope).
 */
export interface StudentModel {
  readonly config: TransformerConfig;
  readonly layers: readonly LayerIR[];
  /** Every parameter, by Hugging Face-style name, in model order; all trainable Variables. */
  readonly params: ReadonlyMap<string, tf.Variable>;
  /** Names in `params` that no stage trains (the projections of kept attention layers marked @frozen). */
  readonly frozen: ReadonlySet<string>;
  /** Layer index of a parameter name (undefined for embeddings, final norm, head). */
  layerOf(name: string): number | undefined;
  /** Stage 1: the mixing matrix [B, H, T, T] (D on the diagonal) of SSM layer `layer` on its normed input. */
  mixingMatrix(layer: number, hidden: tf.Tensor3D): tf.Tensor4D;
  /** Stage 2 (target = block): the block's output for the block's input `hidden`. */
  block(layer: number, hidden: tf.Tensor3D): tf.Tensor3D;
  /** Stage 2 (target = mixer): the mixer's (or kept attention's) output after its out projection. */
  mixerOutput(layer: number, hidden: tf.Tensor3D): tf.Tensor3D;
  /** Stage 3: next-token logits [B, T, V] of token ids [B, T]. */
  logits(ids: tf.Tensor2D): tf.Tensor3D;
}

/** The frozen teacher's side of one micro-batch, computed outside the gradient tape. */
export interface TeacherBatch {
  tokens: Batch;
  /** [B, T] int32 inputs. */
  ids: tf.Tensor2D;
  /** Per layer: residual stream entering the block (index = layer; absent for layers not asked). */
  inputs: (tf.Tensor3D | undefined)[];
  /** Per layer: residual stream leaving the block. */
  outputs: (tf.Tensor3D | undefined)[];
  /** Per layer: attention output after the output projection. */
  attnOut: (tf.Tensor3D | undefined)[];
  /** Per layer: softmax attention probabilities [B, H, T, T] (stage 1 when captured in the teacher pass). */
  probs: (tf.Tensor4D | undefined)[];
  /** Teacher next-token probabilities [B·T, V] (stage 3). */
  targetProbs?: tf.Tensor2D;
  /** [B·T] int32 next tokens (stage 3 hard labels). */
  targets?: tf.Tensor1D;
}

/** Which teacher tensors a stage needs per micro-batch. */
export interface TeacherNeeds {
  layers: readonly number[];
  inputs?: boolean;
  outputs?: boolean;
  attnOut?: boolean;
  probs?: boolean;
  targetProbs?: boolean;
  targets?: boolean;
}

export interface StageContext {
  teacher: TransformerLM;
  student: StudentModel;
  /** A fresh, seeded token-batch source for this stage (micro-batches of stage.microBatch × stage.seqLen). */
  tokens(stage: StageIR): DataSource<Batch> & { next(): Batch | Promise<Batch> };
}

/** What a stage module hands the loop driver. */
export type MohawkStage = StageDef<TeacherBatch>;
