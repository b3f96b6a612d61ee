/**
 * `mohawkc sample` and `mohawkc eval` as a user runs them (a subprocess of bin/mohawkc.mjs): run.c's greedy
 * text byte for byte, eval of the first 200 valid.txt paragraphs batched vs one per forward, and clean
 * one-line errors (exit 2, no stack) for bad checkpoints, tokenizers and flags.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DATA_DIR, GOLDEN_DIR, REPO_ROOT, TEACHER_BIN, TOKENIZER_BIN, VALID_TXT } from '../helpers/paths.ts';

function mohawkc(...args: string[]) {
  const r = spawnSync(process.execPath, [resolve(REPO_ROOT, 'bin', 'mohawkc.mjs'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'buffer',
    env: { ...process.env, MOHAWK_DEBUG: '' },
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

const dir = mkdtempSync(join(tmpdir(), 'mohawk-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mohawkc sample', () => {
  it("prints run.c's greedy text byte for byte", () => {
    const r = mohawkc('sample', '--checkpoint', TEACHER_BIN, '--tokenizer', TOKENIZER_BIN, '--prompt', 'Once upon a time', '--tokens', '256', '--temperature', '0');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(Buffer.compare(r.stdout, readFileSync(resolve(GOLDEN_DIR, 'greedy_once_upon_a_time_n256.txt')))).toBe(0);
  });

  it('--json reports the text, tokens and settings; --seed fixes the sample', () => {
    const args = ['sample', '--prompt', 'Lily', '--tokens', '48', '--temperature', '0.9', '--top-p', '0.8', '--seed', '3', '--json'];
    const a = JSON.parse(mohawkc(...args).stdout.toString('utf8'));
    const b = JSON.parse(mohawkc(...args).stdout.toString('utf8'));
    expect(a.text).toBe(b.text);
    expect(a.text.startsWith('Lily')).toBe(true);
    expect(a.tokens[0]).toBe(1);
    expect(a.tokens.length).toBeLessThanOrEqual(49); // BOS + one token per position, as run.c
    expect(a).toMatchObject({ temperature: 0.9, topP: 0.8, seed: '3', backend: 'wasm', promptTokens: 2 });
  });
});

describe('mohawkc sample SPEC --model teacher', () => {
  it("takes the teacher from the spec and prints run.c's greedy prefix", () => {
    const r = mohawkc('sample', 'specs/stories260k-llamba.mohawk', '--model', 'teacher', '--prompt', 'Once upon a time', '--tokens', '40', '--temperature', '0');
    expect(r.code).toBe(0);
    const golden = readFileSync(resolve(GOLDEN_DIR, 'greedy_once_upon_a_time_n256.txt'), 'utf8');
    const text = r.stdout.toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(golden.startsWith(text.slice(0, -1))).toBe(true);
    expect(text.length).toBeGreaterThan(100);
  });
  it('a student without a trained run directory is a clear usage error', () => {
    const r = mohawkc('sample', 'specs/stories260k-llamba.mohawk', '--model', 'student', '--run', '/nonexistent/mohawk-run');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: students are not available/);
  });
});

describe('mohawkc eval', () => {
  it('the first 200 paragraphs score the same batched and one per forward', () => {
    const base = ['eval', '--checkpoint', TEACHER_BIN, '--tokenizer', TOKENIZER_BIN, '--data', VALID_TXT, '--protocol', 'paragraphs', '--max-sequences', '200', '--json'];
    const batched = mohawkc(...base);
    expect(batched.stderr).toBe('');
    expect(batched.code).toBe(0);
    const single = mohawkc(...base, '--batch-tokens', '1');
    const a = JSON.parse(batched.stdout.toString('utf8'));
    const b = JSON.parse(single.stdout.toString('utf8'));
    expect(a.sequences).toBe(200);
    expect(a.predicted).toBe(a.tokens - 200);
    expect(b.predicted).toBe(a.predicted);
    expect(Math.abs(a.meanNll - b.meanNll)).toBeLessThan(1e-6);
    expect(a.perplexity).toBeCloseTo(Math.exp(a.meanNll), 10);
  });

  it('prints a human summary by default', () => {
    const r = mohawkc('eval', '--max-sequences', '5', '--protocol', 'windows', '--window', '64');
    expect(r.code).toBe(0);
    expect(r.stdout.toString('utf8')).toMatch(/^mean NLL \d+\.\d{6} nats\/token · perplexity \d+\.\d{3}\n.* windows of /);
  });
});

describe('bad input: exit 2, one line naming the file', () => {
  const truncated = join(dir, 'truncated.bin');
  writeFileSync(truncated, readFileSync(TEACHER_BIN).subarray(0, 5000));
  const garbledTok = join(dir, 'garbled-tok.bin');
  const tokBytes = Buffer.from(readFileSync(TOKENIZER_BIN));
  tokBytes.writeInt32LE(1 << 30, 4 + 4); // the first piece's length field
  writeFileSync(garbledTok, tokBytes);

  const cases: [string, string[], RegExp][] = [
    ['truncated checkpoint', ['sample', '--checkpoint', truncated, '--tokenizer', TOKENIZER_BIN], /truncated\.bin/],
    ['garbled tokenizer', ['eval', '--checkpoint', TEACHER_BIN, '--tokenizer', garbledTok, '--max-sequences', '1'], /garbled-tok\.bin/],
    ['missing checkpoint', ['eval', '--checkpoint', join(dir, 'nope.bin'), '--tokenizer', TOKENIZER_BIN], /nope\.bin/],
    ['unknown flag', ['sample', '--temprature', '0'], /unknown option '--temprature' \(did you mean '--temperature'\?\)/],
    ['bad number', ['eval', '--max-sequences', 'ten'], /--max-sequences must be an integer/],
    ['bad backend', ['sample', '--backend', 'cuda'], /--backend must be one of/],
    ['paragraph longer than the model', ['eval', '--data', resolve(DATA_DIR, 'tinyshakespeare', 'input.txt'), '--max-sequences', '60'], /paragraph 50 has 589 tokens.*--protocol windows/],
  ];
  for (const [name, args, pattern] of cases) {
    it(name, () => {
      const r = mohawkc(...args);
      expect(r.code).toBe(2);
      const first = r.stderr.split('\n')[0];
      expect(first).toMatch(/^error: /);
      expect(first).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(r.stdout.length).toBe(0);
    });
  }
});
