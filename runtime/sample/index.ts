/** Sampling from teacher models: run.c-compatible samplers and decoding loops. */
export { XorShiftRng, type XorShiftState } from './rng.ts';
export { argmax, probabilities, sampleMultinomial, sampleTopP, sampleToken, type Coin, type SamplingOptions } from './sampler.ts';
export { generate, sampleSequences, type GenerateOptions, type GenerateResult, type SampleSequencesOptions } from './generate.ts';
export { TEACHER_POOL_ROWS, teacherPool, teacherSampler, type UniformSource } from './teacher-sampler.ts';
