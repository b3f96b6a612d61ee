/**
 * The checker reads the teacher's architecture from each checkpoint format's header — llama2.c `.bin`, HF
 * config.json, GGUF metadata — and holds declarations to it. The GGUF file is written by the test (io's test
 * writer) with metadata only; the expected numbers are the ones written into it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { displayPath } from '../../compiler/check/data-path.ts';
import { compileSource } from '../../compiler/compile.ts';
import { GgufType } from '../../runtime/io/gguf.ts';
import { DATA_DIR, REPO_ROOT, TEACHER_BIN } from '../helpers/paths.ts';
import { type KvSpec, writeGguf } from '../runtime/io/gguf-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'mohawk-teacher-'));
const u32 = (value: number): KvSpec => ({ type: GgufType.UINT32, value });
const GGUF = join(dir, 'tiny.gguf');
writeGguf(
  GGUF,
  [
    ['general.architecture', { type: GgufType.STRING, value: 'llama' }],
    ['llama.context_length', u32(1024)],
    ['llama.embedding_length', u32(128)],
    ['llama.block_count', u32(3)],
    ['llama.feed_forward_length', u32(344)],
    ['llama.attention.head_count', u32(8)],
    ['llama.attention.head_count_kv', u32(2)],
    ['llama.vocab_size', u32(1000)],
    ['llama.attention.layer_norm_rms_epsilon', { type: GgufType.FLOAT32, value: 1e-5 }],
  ],
  [],
);

const spec = (teacher: string, student = 'mixer = discrete_mamba2(chunk: 64)') => `mohawk 0.1
teacher t {
${teacher}
}
student s { ${student} }
stage e : end_to_end { tokens = 1M }
`;
const compile = (src: string) => compileSource(src, 'teacher.mohawk', { dataDir: DATA_DIR, specDir: resolve(REPO_ROOT, 'test/fixtures/diagnostics') });

describe('teacher headers', () => {
  it('GGUF: architecture from the metadata; the tokenizer is the file itself', () => {
    const r = compile(spec(`  checkpoint = ${JSON.stringify(GGUF)}`));
    expect(r.diagnostics).toEqual([]);
    expect(r.ir!.teacher).toEqual({ name: 't', family: 'llama', format: 'gguf', checkpoint: GGUF, tokenizer: GGUF, dModel: 128, layers: 3, heads: 8, kvHeads: 2, headDim: 16, vocab: 1000, maxSeqLen: 1024, ffnHidden: 344 });
    // The student follows the teacher: 3 layers of 8 heads × 16, d_state = head_dim, one B/C group per head.
    expect(r.ir!.student.layers.map((l) => [l.index, l.mixer?.heads, l.mixer?.headDim, l.mixer?.dState, l.mixer?.groups])).toEqual([
      [0, 8, 16, 16, 8],
      [1, 8, 16, 16, 8],
      [2, 8, 16, 16, 8],
    ]);
  });

  it('GGUF: a wrong declaration names the metadata key', () => {
    const r = compile(spec(`  checkpoint = ${JSON.stringify(GGUF)}\n  layers = 4\n  kv_heads = 2`));
    expect(r.diagnostics.map((d) => [d.code, d.secondary[0]?.message])).toEqual([['MHK0801', 'header: llama.block_count = 3']]);
    expect(r.exitCode).toBe(1);
  });

  it('HF config.json without weights: GQA llama read from the file', () => {
    const cfg = JSON.parse(readFileSync(resolve(REPO_ROOT, 'test/fixtures/teachers/gqa-llama/config.json'), 'utf8'));
    const r = compile(spec('  checkpoint = "../teachers/gqa-llama"'));
    expect(r.diagnostics).toEqual([]);
    expect(r.ir!.teacher).toMatchObject({ format: 'hf', layers: cfg.num_hidden_layers, dModel: cfg.hidden_size, heads: cfg.num_attention_heads, kvHeads: cfg.num_key_value_heads, vocab: cfg.vocab_size, ffnHidden: cfg.intermediate_size });
  });

  it('llama2.c: a truncated checkpoint is MHK0803 (exit 2), naming the problem', () => {
    const cut = join(dir, 'cut.bin');
    writeFileSync(cut, readFileSync(TEACHER_BIN).subarray(0, 1000));
    const r = compile(spec(`  checkpoint = ${JSON.stringify(cut)}\n  tokenizer = "stories260K/tok512.bin"`));
    expect(r.diagnostics.map((d) => d.code)).toEqual(['MHK0803']);
    expect(r.diagnostics[0].message).toMatch(/size 1000 bytes does not match its header/);
    expect(r.exitCode).toBe(2);
  });

  it('a missing checkpoint lists every place looked at (exit 2)', () => {
    const r = compile(spec('  checkpoint = "nowhere/model.bin"\n  tokenizer = "stories260K/tok512.bin"'));
    expect(r.diagnostics.map((d) => d.code)).toEqual(['MHK0901']);
    expect(r.diagnostics[0].notes[0]).toContain(displayPath(resolve(DATA_DIR, 'nowhere/model.bin')));
    expect(r.exitCode).toBe(2);
  });
});
