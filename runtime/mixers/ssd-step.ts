/**
 * Form (c): one token of the recurrence (decode). State [b, H, P, N] in float32:
 *   S ← exp(logA)·S + x ⊗ B_g,   y = S·C_g.
 * Element-wise products and a sum over N: for one token these beat batched matMuls on every backend here.
 */
import { tf } from '../tensor/backend.ts';
import { applyResets, dims, MixerShapeError, type SsdInputs } from './ssd-inputs.ts';

export interface SsdStepInputs {
  /** [b, H, P] */
  x: tf.Tensor;
  /** [b, H] */
  logA: tf.Tensor;
  /** [b, G, N] */
  B: tf.Tensor;
  /** [b, G, N] */
  C: tf.Tensor;
}

export function ssdStep(state: tf.Tensor, inp: SsdStepInputs): { y: tf.Tensor; state: tf.Tensor } {
  const [b, h, p, n] = dims(state);
  const g = dims(inp.B)[1];
  const check = (name: string, got: number[], want: number[]) => {
    if (got.length !== want.length || got.some((d, i) => d !== want[i]))
      throw new MixerShapeError(`ssd step: ${name} has shape [${got}], expected [${want}]`);
  };
  check('x', dims(inp.x), [b, h, p]);
  check('logA', dims(inp.logA), [b, h]);
  check('B', dims(inp.B), [b, g, n]);
  check('C', dims(inp.C), [b, g, n]);
  if (h % g !== 0) throw new MixerShapeError(`ssd step: groups G=${g} must divide heads H=${h}`);
  return tf.tidy(() => {
    const r = h / g;
    const decay = tf.exp(inp.logA).reshape([b, g, r, 1, 1]);
    const xb = inp.x.reshape([b, g, r, p, 1]).mul(inp.B.reshape([b, g, 1, 1, n]));
    const next = state.reshape([b, g, r, p, n]).mul(decay).add(xb);
    const y = next.mul(inp.C.reshape([b, g, 1, 1, n])).sum(4).reshape([b, h, p]);
    return { y, state: next.reshape([b, h, p, n]) };
  });
}

/**
 * Form (c) over a whole sequence: the step applied token by token (the decode path, used to check the other
 * forms and for short prompts). Resets zero the state through the same log-decay as the other forms.
 */
export function ssdRecurrent(inp: SsdInputs, initialState?: tf.Tensor): { y: tf.Tensor; finalState: tf.Tensor } {
  return tf.tidy(() => {
    const [b, t, h, p] = dims(inp.x);
    const n = dims(inp.B)[3];
    const logA = applyResets(inp.logA, inp.resets);
    let state = initialState ?? tf.zeros([b, h, p, n]);
    const ys: tf.Tensor[] = [];
    const xs = tf.unstack(inp.x, 1);
    const ls = tf.unstack(logA, 1);
    const Bs = tf.unstack(inp.B, 1);
    const Cs = tf.unstack(inp.C, 1);
    for (let i = 0; i < t; i++) {
      const out = ssdStep(state, { x: xs[i], logA: ls[i], B: Bs[i], C: Cs[i] });
      state = out.state;
      ys.push(out.y);
    }
    return { y: tf.stack(ys, 1), finalState: state };
  });
}
