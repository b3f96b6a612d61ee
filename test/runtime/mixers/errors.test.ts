/** Shape and configuration mistakes end in a MixerShapeError that names the tensor or field and both values. */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';
import { mixerDims, toCompute, mixerParamSpecs } from '../../../runtime/mixers/layout.ts';
import { Mixer } from '../../../runtime/mixers/mixer.ts';
import { ssdChunked } from '../../../runtime/mixers/ssd-chunked.ts';
import { MixerShapeError } from '../../../runtime/mixers/ssd-inputs.ts';
import { ssdStep } from '../../../runtime/mixers/ssd-step.ts';
import { buildMixer, mixerIR, type MixerCase } from './mixer-helpers.ts';

const c: MixerCase = { kind: 'discrete_mamba2', dModel: 8, h: 2, p: 4, g: 2, n: 3, k: 4, q: 4 };

describe('mixer errors', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('IR shapes that do not fit', () => {
    expect(() => mixerDims({ ...mixerIR(c), groups: 3 }, 8)).toThrow(/groups 3 must divide heads 2/);
    expect(() => mixerDims({ ...mixerIR(c), dInner: 10 }, 8)).toThrow(/heads·headDim = 2·4 = 8 must equal dInner 10/);
    expect(() => mixerDims({ ...mixerIR(c), kvHeads: 3 }, 8)).toThrow(/kvHeads 3 must divide/);
    expect(() => mixerDims({ ...mixerIR(c), chunk: 0 }, 8)).toThrow(MixerShapeError);
  });

  it('SSD inputs of the wrong shape, named', () => {
    const x = tf.zeros([1, 5, 2, 4]);
    const ok = { x, logA: tf.zeros([1, 5, 2]), B: tf.zeros([1, 5, 2, 3]), C: tf.zeros([1, 5, 2, 3]) };
    expect(() => ssdChunked({ ...ok, C: tf.zeros([1, 5, 2, 4]) }, { chunk: 2 })).toThrow(/C has shape \[1,5,2,4\], expected \[1,5,2,3\]/);
    expect(() => ssdChunked({ ...ok, logA: tf.zeros([1, 4, 2]) }, { chunk: 2 })).toThrow(/logA has shape/);
    expect(() => ssdChunked(ok, { chunk: 2, initialState: tf.zeros([1, 2, 3, 4]) })).toThrow(/initial state has shape \[1,2,3,4\], expected \[1,2,4,3\]/);
    expect(() => ssdChunked(ok, { chunk: 0 })).toThrow(/chunk must be a positive integer/);
    expect(() => ssdChunked({ ...ok, resets: tf.zeros([1, 4]) }, { chunk: 2 })).toThrow(/resets has shape/);
    expect(() => ssdStep(tf.zeros([1, 2, 4, 3]), { x: tf.zeros([1, 2, 4]), logA: tf.zeros([1, 2]), B: tf.zeros([1, 2, 2]), C: tf.zeros([1, 2, 3]) })).toThrow(
      /B has shape \[1,2,2\], expected \[1,2,3\]/,
    );
  });

  it('layer inputs, parameters and forms that do not fit', () => {
    const { mixer, dims } = buildMixer(c, 1);
    expect(() => mixer.forward(tf.zeros([1, 5, 7]))).toThrow(/input has shape \[1,5,7\], expected rank 3 with last dim d_model = 8/);
    expect(() => mixer.step(tf.zeros([1, 5, 8]), mixer.emptyCache(1))).toThrow(/expected rank 2/);
    expect(() => mixer.forward(tf.zeros([1, 5, 8]), { form: 'matrix', cache: mixer.emptyCache(1) })).toThrow(/matrix form takes no initial cache/);
    const params = { ...mixer.params };
    delete params.z_bias;
    expect(() => new Mixer(dims, params)).toThrow(/parameter 'z_bias' is missing/);
    const spec = mixerParamSpecs(dims).find((s) => s.name === 'D')!;
    expect(() => toCompute(spec, { shape: [3], data: new Float32Array(3) })).toThrow(/D: shape \[3\], expected \[2\]/);
  });
});
