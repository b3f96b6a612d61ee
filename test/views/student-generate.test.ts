/**
 * Recurrent student decoding: greedy tokens (and the logits they come from) equal the chunked forward run on
 * the growing sequence, for a pure and a hybrid student, after a prompt longer than several chunks; a student
 * that keeps every attention layer reproduces llama2.c run.c's stochastic samples byte for byte (same seeds,
 * same sampler); per-layer state stays the same size for SSM layers and grows for kept attention; no tensor
 * leaks per step.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { XorShiftRng } from '../../runtime/sample/rng.ts';
import { tf, useBackend } from '../../runtime/tensor/backend.ts';
import { cacheBytesPerLayer, generateStudent, maxStudentPositions } from '../../runtime/views/student-generate.ts';
import type { Llama2cTokenizer } from '../../runtime/io/tokenizers/llama2c.ts';
import { REPO_ROOT } from '../helpers/paths.ts';
import { student, tokenizer } from './helpers/models.ts';

const tok = tokenizer() as Llama2cTokenizer;
beforeAll(async () => {
  await useBackend('wasm');
});

const PROMPT = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the sun with her dog.';

describe('greedy recurrent decoding = chunked forward on the growing sequence', () => {
  for (const layout of ['sssss', 'ssass']) {
    it(`${layout === 'sssss' ? 'pure' : 'hybrid'} student, 64 tokens after a ${'multi-chunk'} prompt`, async () => {
      const built = student(layout, { chunk: 16, seed: 9 });
      const model = built.model;
      try {
        const prompt = tok.encode(PROMPT, { bos: true });
        expect(prompt.length).toBeGreaterThan(2 * 16); // prefill spans three chunks
        const stepLogits = new Map<number, Float32Array>();
        const r = await generateStudent(model, prompt, {
          steps: prompt.length + 63, // run.c counts positions: BOS + steps tokens come out
          temperature: 0,
          topP: 0.9,
          coin: () => 0,
          stopToken: null,
          onLogits: (pos, row) => stepLogits.set(pos, row.slice()),
        });
        expect(r.sampled).toBe(64);
        expect(r.tokens.slice(0, prompt.length)).toEqual(prompt);
        let worst = 0;
        for (let pos = prompt.length - 1; pos < r.tokens.length - 1; pos++) {
          // The chunked forward over the sequence as it stood when this token was chosen.
          const out = model.forward([r.tokens.slice(0, pos + 1)]);
          const last = (await out.logits!.slice([0, pos, 0], [1, 1, 512]).data()) as Float32Array;
          out.logits!.dispose();
          let best = 0;
          for (let i = 1; i < 512; i++) if (last[i] > last[best]) best = i;
          expect(r.tokens[pos + 1], `token after position ${pos}`).toBe(best);
          const row = stepLogits.get(pos)!;
          for (let i = 0; i < 512; i++) worst = Math.max(worst, Math.abs(row[i] - last[i]));
        }
        expect(worst).toBeLessThan(2e-4); // measured 5.5e-5 on logits up to ~18
      } finally {
        model.dispose();
      }
    });
  }
});

describe('sampling settings', () => {
  const fixtures: { cases: { temperature: number; topP: number; seed: number; steps: number; prompt: string; command: string; stdout: string }[] } = JSON.parse(
    readFileSync(resolve(REPO_ROOT, 'test/runtime/sample/fixtures/runc-samples.json'), 'utf8'),
  );
  it("a student keeping every attention layer reproduces run.c's samples (temperature, top-p, seed)", async () => {
    const built = student('aaaaa');
    try {
      for (const c of fixtures.cases) {
        const rng = new XorShiftRng(c.seed);
        const chunks: Uint8Array[] = [];
        await generateStudent(built.model, tok.encode(c.prompt, { bos: true }), {
          steps: c.steps,
          temperature: c.temperature,
          topP: c.topP,
          coin: () => rng.float(),
          onToken: (a, b) => chunks.push(tok.decodeBytes(a, b)),
        });
        expect(Buffer.concat([...chunks, Buffer.from('\n')]).toString('utf8'), c.command).toBe(c.stdout);
      }
    } finally {
      built.model.dispose();
    }
  });

  it('the same seed gives the same text, another seed another one', async () => {
    const built = student('sssss', { seed: 1 });
    try {
      const run = async (seed: number) => {
        const rng = new XorShiftRng(seed);
        return (await generateStudent(built.model, tok.encode('Once', { bos: true }), { steps: 40, temperature: 1, topP: 0.9, coin: () => rng.float(), stopToken: null })).tokens;
      };
      const a = await run(42);
      expect(await run(42)).toEqual(a);
      expect(await run(43)).not.toEqual(a);
    } finally {
      built.model.dispose();
    }
  });
});

describe('decode memory', () => {
  it('SSM layers keep a fixed-size state, kept attention grows by one key/value per position, nothing leaks', async () => {
    const built = student('ssass', { chunk: 16 });
    try {
      const bytes: number[][] = [];
      const live: { tensors: number; bytes: number }[] = [];
      await generateStudent(built.model, tok.encode('Once upon a time', { bos: true }), {
        steps: 200,
        temperature: 0,
        topP: 0.9,
        coin: () => 0,
        stopToken: null,
        onStep: (pos, cache) => {
          if (pos === 50 || pos === 150) {
            bytes.push(cacheBytesPerLayer(cache));
            const m = tf.memory();
            live.push({ tensors: m.numTensors, bytes: m.numBytes });
          }
        },
      });
      const [a, b] = bytes;
      // Discrete Mamba-2 state: conv window [conv_dim 192, K 4] + SSM [H 8, P 8, N 8], float32.
      const ssm = (192 * 4 + 8 * 8 * 8) * 4;
      for (const l of [0, 1, 3, 4]) expect([a[l], b[l]]).toEqual([ssm, ssm]);
      // Keys and values [KV 4, positions, hd 8] each: 256 bytes per position.
      expect(b[2] - a[2]).toBe(100 * 2 * 4 * 8 * 4);
      // Live tensors: only the attention cache grows.
      expect(live[1].tensors).toBe(live[0].tensors);
      expect(live[1].bytes - live[0].bytes).toBe(b[2] - a[2]);
    } finally {
      built.model.dispose();
    }
  });

  it('a pure student decodes past the teacher\'s 512 positions with constant live memory', async () => {
    const built = student('sssss', { chunk: 16 });
    try {
      expect(maxStudentPositions(built.model)).toBe(Number.POSITIVE_INFINITY);
      const at: number[] = [];
      await generateStudent(built.model, [1], {
        steps: 700,
        temperature: 0,
        topP: 0.9,
        coin: () => 0,
        stopToken: null,
        onStep: (pos) => {
          if (pos === 100 || pos === 690) at.push(tf.memory().numBytes);
        },
      });
      expect(at[1]).toBe(at[0]);
    } finally {
      built.model.dispose();
    }
  });
});
