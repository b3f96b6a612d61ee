/**
 * The MOHAWK objectives (method.md §1.6), as the official code computes them:
 *   stage 1: ‖M − A‖_F per (batch, head), NOT squared, mean over batch and heads;
 *   stage 2: ‖ŷ − y‖₂ over the hidden dimension, NOT squared, mean over tokens;
 *   stage 3: −Σ_v p_teacher(v) · log softmax(z_student / τ)(v), mean over tokens (only the student is scaled).
 *
 * The unsquared norms have an undefined gradient where the difference is exactly zero (a kept attention layer
 * that still equals its teacher, or a masked-out entry); torch's norm backward returns 0 there, and so does
 * `norm` below (x / ‖x‖ with 0/0 taken as 0), instead of NaN.
 */
import { tf } from '../tensor/backend.ts';

/** Euclidean norm over the last axis with torch's subgradient 0 at the origin. */
export function norm(x: tf.Tensor): tf.Tensor {
  return safeNorm(x);
}

// Built once: customGrad wraps the function in a new op each call otherwise.
const safeNorm = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const v = args[0] as tf.Tensor;
  const save = args[1] as tf.GradSaveFunc;
  const n = v.square().sum(-1).sqrt();
  save([v, n]);
  return {
    value: n,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ns] = saved;
      const safe = tf.where(ns.greater(0), ns, tf.onesLike(ns));
      return dy.div(safe).expandDims(-1).mul(xs);
    },
  };
});

/** Stage 1: student mixing matrices [B, H, T, T] vs teacher attention [B, H, T, T]. */
export function frobeniusLoss(student: tf.Tensor4D, teacher: tf.Tensor4D): tf.Scalar {
  const [b, h, t, s] = student.shape;
  if (teacher.shape.join() !== student.shape.join())
    throw new RangeError(`matrix orientation: student matrices [${student.shape}] vs teacher attention [${teacher.shape}]`);
  return norm(student.sub(teacher).reshape([b, h, t * s])).mean() as tf.Scalar;
}

/** Stage 2: student block (or mixer) outputs vs the teacher's, [B, T, D] each. */
export function alignmentLoss(student: tf.Tensor3D, teacher: tf.Tensor3D): tf.Scalar {
  if (teacher.shape.join() !== student.shape.join())
    throw new RangeError(`hidden-state alignment: student output [${student.shape}] vs teacher [${teacher.shape}]`);
  return norm(student.sub(teacher)).mean() as tf.Scalar;
}

export interface DistillLossOptions {
  /** Divides the student's logits (default 1). */
  temperature?: number;
  /** Weight w of the hard-label CE: loss = (1 − w)·soft + w·hard (default 0). */
  hardLabelWeight?: number;
  /** 'kl' subtracts the teacher's entropy (same gradients, logged as a divergence). */
  kind?: 'soft_ce' | 'kl';
}

/**
 * Stage 3: student logits [N, V] against teacher probabilities [N, V] (and next tokens [N] for the hard
 * term). Mean over the N tokens.
 */
export function distillationLoss(studentLogits: tf.Tensor2D, teacherProbs: tf.Tensor2D, targets: tf.Tensor1D | undefined, opts: DistillLossOptions = {}): tf.Scalar {
  const tau = opts.temperature ?? 1;
  const w = opts.hardLabelWeight ?? 0;
  const logq = tf.logSoftmax(tau === 1 ? studentLogits : studentLogits.div(tau));
  let soft = teacherProbs.mul(logq).sum(-1).neg().mean() as tf.Scalar;
  if (opts.kind === 'kl') soft = soft.sub(teacherEntropy(teacherProbs));
  if (w === 0) return soft;
  if (!targets) throw new RangeError('distillation: a hard-label weight needs the next tokens');
  const logp = tau === 1 ? logq : tf.logSoftmax(studentLogits);
  const hard = tf.oneHot(targets, studentLogits.shape[1]).toFloat().mul(logp).sum(-1).neg().mean();
  return soft.mul(1 - w).add(hard.mul(w)) as tf.Scalar;
}

/** Mean over tokens of −Σ p log p (0·log 0 taken as 0); a constant with respect to the student. */
function teacherEntropy(p: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const logp = tf.where(p.greater(0), p.log(), tf.zerosLike(p));
    return p.mul(logp).sum(-1).neg().mean() as tf.Scalar;
  });
}
