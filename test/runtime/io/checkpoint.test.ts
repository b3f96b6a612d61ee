import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectCheckpointFormat, loadCheckpoint, readTeacherHeader } from '../../../runtime/io/checkpoint.ts';
import { llama2cConfig, loadLlama2c, readLlama2cHeader } from '../../../runtime/io/llama2c.ts';
import { readSafetensors, writeSafetensors } from '../../../runtime/io/safetensors.ts';
import type { HostTensor } from '../../../runtime/io/types.ts';
import { GOLDEN_DIR, TEACHER_BIN } from '../../helpers/paths.ts';
import { formatError, sameBits, tempDir, unpermuteRotateHalf } from './helpers.ts';

const dir = tempDir();
const HF = (name: string) => join(GOLDEN_DIR, 'hf', name);

function folderWith(name: string, configFrom: string, files: Record<string, Map<string, HostTensor> | string>): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  copyFileSync(join(configFrom, 'config.json'), join(d, 'config.json'));
  for (const [f, content] of Object.entries(files)) {
    if (typeof content === 'string') writeFileSync(join(d, f), content);
    else writeSafetensors(join(d, f), content);
  }
  return d;
}

describe('loadCheckpoint: llama2.c vs the HF Llama golden', () => {
  it('the HF stories260K equals the llama2.c checkpoint after undoing the rotate-half q/k permutation', () => {
    const bin = loadLlama2c(TEACHER_BIN);
    const hf = loadCheckpoint(HF('hf_llama_stories260K'));
    expect(hf.format).toBe('hf');
    expect(hf.config).toEqual({ ...llama2cConfig(readLlama2cHeader(TEACHER_BIN)), ropeLayout: 'half' });
    expect([...hf.tensors.keys()].sort()).toEqual([...bin.tensors.keys()].sort());
    let permuted = 0;
    for (const [name, t] of hf.tensors) {
      const ref = bin.tensors.get(name)!;
      expect(t.shape).toEqual(ref.shape);
      const m = /self_attn\.([qk])_proj/.exec(name);
      const heads = m?.[1] === 'q' ? hf.config.heads : hf.config.kvHeads;
      const ours = m ? unpermuteRotateHalf(t, heads) : t;
      expect(sameBits(ours.data, ref.data), name).toBe(true);
      if (m) {
        permuted++;
        expect(sameBits(t.data, ref.data), `${name} is really permuted`).toBe(false);
      }
    }
    expect(permuted).toBe(10);
  });

  it('reads headers without tensors and detects formats', () => {
    expect(readTeacherHeader(TEACHER_BIN)).toEqual(llama2cConfig(readLlama2cHeader(TEACHER_BIN)));
    expect(readTeacherHeader(join(HF('hf_phi_tiny'), 'config.json')).family).toBe('phi');
    expect(detectCheckpointFormat(TEACHER_BIN)).toBe('llama2c');
    expect(detectCheckpointFormat(HF('hf_gpt2_tiny'))).toBe('hf');
    expect(detectCheckpointFormat(join(HF('hf_gpt2_tiny'), 'model.safetensors'))).toBe('hf');
  });
});

describe('loadCheckpoint: HF families', () => {
  it('Phi: HF names kept, biases and lm_head.bias present', () => {
    const ck = loadCheckpoint(HF('hf_phi_tiny'));
    // embed + final LayerNorm (2) + lm_head (2) + per layer: LayerNorm 2, q/k/v/dense 8, fc1/fc2 4.
    expect(ck.tensors.size).toBe(1 + 2 + 2 + 2 * 14);
    expect(ck.tensors.get('lm_head.bias')!.shape).toEqual([512]);
    expect(ck.tensors.get('model.layers.1.self_attn.dense.weight')!.shape).toEqual([64, 64]);
    expect(ck.transposed).toBeUndefined();
  });

  it('GPT-2: Conv1D weights transposed to [out, in] and recorded; other tensors untouched', () => {
    const ck = loadCheckpoint(HF('hf_gpt2_tiny'));
    const raw = readSafetensors(join(HF('hf_gpt2_tiny'), 'model.safetensors')).tensors;
    expect(ck.transposed!.sort()).toEqual(
      [0, 1].flatMap((i) => ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'].map((n) => `transformer.h.${i}.${n}.weight`)).sort(),
    );
    for (const name of ck.transposed!) {
      const [rin, rout] = raw.get(name)!.shape;
      const t = ck.tensors.get(name)!;
      expect(t.shape).toEqual([rout, rin]);
      for (let i = 0; i < rin; i += 7) for (let o = 0; o < rout; o += 5) expect(t.data[o * rin + i]).toBe(raw.get(name)!.data[i * rout + o]);
    }
    expect(sameBits(ck.tensors.get('transformer.wpe.weight')!.data, raw.get('transformer.wpe.weight')!.data)).toBe(true);
    expect(ck.tensors.has('lm_head.weight')).toBe(false);
  });

  it('GPT-2 files without the transformer. prefix and with attn.bias mask buffers load the same', () => {
    const raw = readSafetensors(join(HF('hf_gpt2_tiny'), 'model.safetensors')).tensors;
    const stripped = new Map([...raw].map(([k, v]) => [k.replace(/^transformer\./, ''), v]));
    stripped.set('h.0.attn.bias', { shape: [1, 1, 4, 4], data: new Float32Array(16).fill(1) });
    const d = folderWith('gpt2-noprefix', HF('hf_gpt2_tiny'), { 'model.safetensors': stripped });
    const a = loadCheckpoint(d);
    const b = loadCheckpoint(HF('hf_gpt2_tiny'));
    expect([...a.tensors.keys()].sort()).toEqual([...b.tensors.keys()].sort());
    for (const [k, t] of a.tensors) expect(sameBits(t.data, b.tensors.get(k)!.data), k).toBe(true);
  });

  it('sharded checkpoints (index.json) with an F16 and a BF16 shard load like the single file, to half precision', () => {
    const full = readSafetensors(join(HF('hf_llama_stories260K'), 'model.safetensors')).tensors;
    const names = [...full.keys()];
    const shardA = new Map(names.slice(0, 20).map((n) => [n, full.get(n)!]));
    const shardB = new Map(names.slice(20).map((n) => [n, full.get(n)!]));
    const d = join(dir, 'sharded');
    mkdirSync(d);
    copyFileSync(join(HF('hf_llama_stories260K'), 'config.json'), join(d, 'config.json'));
    writeSafetensors(join(d, 'model-00001-of-00002.safetensors'), shardA, { format: 'pt' }, { dtype: 'F16' });
    writeSafetensors(join(d, 'model-00002-of-00002.safetensors'), shardB, { format: 'pt' }, { dtype: 'BF16' });
    const weightMap = Object.fromEntries(names.map((n, i) => [n, i < 20 ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors']));
    writeFileSync(join(d, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
    const ck = loadCheckpoint(join(d, 'config.json'));
    expect(ck.tensors.size).toBe(names.length);
    names.forEach((n, i) => {
      const ref = full.get(n)!.data;
      const got = ck.tensors.get(n)!.data;
      // Relative rounding bound: 2^-11 for f16 normals (plus its subnormal floor), 2^-8 for bf16.
      const rel = i < 20 ? 2 ** -11 : 2 ** -8;
      const floor = i < 20 ? 2 ** -25 : 0;
      let worst = 0;
      for (let j = 0; j < ref.length; j++) worst = Math.max(worst, Math.abs(got[j] - ref[j]) - (Math.abs(ref[j]) * rel + floor));
      expect(worst, n).toBeLessThanOrEqual(0);
      expect(sameBits(got, ref), `${n} went through half precision`).toBe(false);
    });
  });
});

describe('loadCheckpoint: bad checkpoints give FileFormatErrors naming the file and problem', () => {
  const golden = () => readSafetensors(join(HF('hf_llama_stories260K'), 'model.safetensors')).tensors;

  it('a missing tensor, a wrong shape and an unexpected tensor are named', () => {
    const t1 = golden();
    t1.delete('model.layers.3.mlp.up_proj.weight');
    const d1 = folderWith('missing-tensor', HF('hf_llama_stories260K'), { 'model.safetensors': t1 });
    expect(formatError(() => loadCheckpoint(d1)).message).toBe(
      `${d1}: missing tensor 'model.layers.3.mlp.up_proj.weight' (expected shape [172, 64])`,
    );
    const t2 = golden();
    t2.set('model.norm.weight', { shape: [32], data: new Float32Array(32) });
    const d2 = folderWith('wrong-shape', HF('hf_llama_stories260K'), { 'model.safetensors': t2 });
    expect(formatError(() => loadCheckpoint(d2)).message).toBe(
      `${join(d2, 'model.safetensors')}: tensor 'model.norm.weight' has shape [32], expected [64] from the config`,
    );
    const t3 = golden();
    t3.set('model.layers.0.self_attn.q_norm.weight', { shape: [8], data: new Float32Array(8) });
    const d3 = folderWith('extra', HF('hf_llama_stories260K'), { 'model.safetensors': t3 });
    expect(formatError(() => loadCheckpoint(d3)).message).toMatch(/unexpected tensor 'model\.layers\.0\.self_attn\.q_norm\.weight'/);
  });

  it('a folder without weights, a missing shard, and an index escaping the folder', () => {
    const d1 = folderWith('no-weights', HF('hf_llama_stories260K'), {});
    expect(formatError(() => loadCheckpoint(d1)).message).toBe(`${d1}: has config.json but neither model.safetensors nor model.safetensors.index.json`);
    const d2 = folderWith('missing-shard', HF('hf_llama_stories260K'), {
      'model.safetensors.index.json': JSON.stringify({ weight_map: { 'model.norm.weight': 'model-00001-of-00001.safetensors' } }),
    });
    expect(formatError(() => loadCheckpoint(d2)).message).toMatch(/model-00001-of-00001\.safetensors: missing shard/);
    const d3 = folderWith('escape', HF('hf_llama_stories260K'), {
      'model.safetensors.index.json': JSON.stringify({ weight_map: { 'model.norm.weight': '../../etc/passwd' } }),
    });
    expect(formatError(() => loadCheckpoint(d3)).message).toMatch(/not a file name inside the checkpoint folder/);
    const empty = join(dir, 'empty-dir');
    mkdirSync(empty);
    expect(formatError(() => loadCheckpoint(empty)).message).toBe(`${empty}: no config.json in this folder (not a Hugging Face checkpoint?)`);
  });

  it('a truncated safetensors inside a folder names the tensor that runs past the end', () => {
    const d = folderWith('trunc', HF('hf_llama_stories260K'), {});
    const bytes = readFileSync(join(HF('hf_llama_stories260K'), 'model.safetensors'));
    writeFileSync(join(d, 'model.safetensors'), bytes.subarray(0, bytes.length - 100));
    expect(formatError(() => loadCheckpoint(d)).message).toMatch(/model\.safetensors: tensor 'model\.norm\.weight': data_offsets \[1039872, 1040128\] run past/);
  });

  it('llama2.c: truncated, garbled header, and too-long files', () => {
    const bytes = readFileSync(TEACHER_BIN);
    const f1 = join(dir, 'short.bin');
    writeFileSync(f1, bytes.subarray(0, 1000));
    expect(formatError(() => loadCheckpoint(f1)).message).toBe(
      `${f1}: size 1000 bytes does not match its header (dim 64, layers 5, vocab 512: expected 1056540 bytes)`,
    );
    const f2 = join(dir, 'garbled.bin');
    const g = Buffer.from(bytes);
    g.writeInt32LE(-7, 8);
    writeFileSync(f2, g);
    expect(formatError(() => readTeacherHeader(f2)).message).toMatch(/not a llama2\.c checkpoint: header field layers = -7 is out of range/);
    const f3 = join(dir, 'tiny.bin');
    writeFileSync(f3, bytes.subarray(0, 10));
    expect(formatError(() => loadCheckpoint(f3)).message).toMatch(/shorter than the 28-byte llama2\.c header/);
    const f4 = join(dir, 'model.bin');
    writeFileSync(f4, Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(100)]));
    expect(formatError(() => loadCheckpoint(f4)).message).toMatch(/PyTorch \(zip\/pickle\) checkpoint/);
    expect(formatError(() => loadCheckpoint(join(dir, 'absent.bin'))).message).toMatch(/cannot open: ENOENT/);
    const f5 = join(dir, 'model.gguf');
    writeFileSync(f5, bytes.subarray(0, 4096));
    expect(formatError(() => readTeacherHeader(f5)).message).toBe(`${f5}: not a GGUF file (magic is not 'GGUF')`);
  });
});
