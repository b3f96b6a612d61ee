import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint, readTeacherHeader } from '../../../runtime/io/checkpoint.ts';
import { GgufType, readGgufHeader } from '../../../runtime/io/gguf.ts';
import { f16ToF32, f32ToF16 } from '../../../runtime/io/half.ts';
import { llama2cConfig, loadLlama2c, readLlama2cHeader } from '../../../runtime/io/llama2c.ts';
import { Rng } from '../../../runtime/train/rng.ts';
import { TEACHER_BIN } from '../../helpers/paths.ts';
import { type KvSpec, type TensorSpec, encodeGguf, writeGguf } from './gguf-writer.ts';
import { formatError, sameBits, tempDir } from './helpers.ts';

const dir = tempDir();
const teacher = loadLlama2c(TEACHER_BIN);
const cfg = teacher.config;

/** HF Llama name → GGUF name, written here independently of the loader's mapping. */
function toGgufName(hf: string): string {
  const fixed: Record<string, string> = {
    'model.embed_tokens.weight': 'token_embd.weight',
    'model.norm.weight': 'output_norm.weight',
    'lm_head.weight': 'output.weight',
  };
  if (fixed[hf]) return fixed[hf];
  const m = /^model\.layers\.(\d+)\.(.+)\.weight$/.exec(hf)!;
  const per: Record<string, string> = {
    input_layernorm: 'attn_norm', 'self_attn.q_proj': 'attn_q', 'self_attn.k_proj': 'attn_k', 'self_attn.v_proj': 'attn_v',
    'self_attn.o_proj': 'attn_output', post_attention_layernorm: 'ffn_norm', 'mlp.gate_proj': 'ffn_gate',
    'mlp.up_proj': 'ffn_up', 'mlp.down_proj': 'ffn_down',
  };
  return `blk.${m[1]}.${per[m[2]]}.weight`;
}

function llamaKv(extra: [string, KvSpec][] = []): [string, KvSpec][] {
  const u32 = (v: number): KvSpec => ({ type: GgufType.UINT32, value: v });
  return [
    ['general.architecture', { type: GgufType.STRING, value: 'llama' }],
    ['general.name', { type: GgufType.STRING, value: 'stories260K' }],
    ['llama.context_length', u32(cfg.maxSeqLen)],
    ['llama.embedding_length', u32(cfg.dModel)],
    ['llama.block_count', u32(cfg.layers)],
    ['llama.feed_forward_length', u32(cfg.ffnHidden)],
    ['llama.rope.dimension_count', u32(cfg.headDim)],
    ['llama.attention.head_count', u32(cfg.heads)],
    ['llama.attention.head_count_kv', u32(cfg.kvHeads)],
    ['llama.attention.layer_norm_rms_epsilon', { type: GgufType.FLOAT32, value: 1e-5 }],
    ['llama.rope.freq_base', { type: GgufType.FLOAT32, value: 10000 }],
    ...extra,
  ];
}

function teacherTensors(type = 0): TensorSpec[] {
  return [...teacher.tensors].map(([name, t]) => ({ name: toGgufName(name), shape: t.shape, data: t.data, type }));
}

describe('GGUF llama loader', () => {
  it('stories260K written as F32 GGUF v3 loads back bit-exactly with the llama2.c config (adjacent RoPE)', () => {
    const file = join(dir, 'stories-f32.gguf');
    writeGguf(file, llamaKv(), teacherTensors());
    const ck = loadCheckpoint(file);
    expect(ck.format).toBe('gguf');
    // GGUF stores eps as f32, so compare against the f32 rounding of 1e-5.
    expect(ck.config).toEqual({ ...llama2cConfig(readLlama2cHeader(TEACHER_BIN)), normEps: Math.fround(1e-5) });
    expect(ck.config.ropeLayout).toBe('adjacent');
    expect([...ck.tensors.keys()].sort()).toEqual([...teacher.tensors.keys()].sort());
    for (const [name, t] of ck.tensors) {
      expect(t.shape).toEqual(teacher.tensors.get(name)!.shape);
      expect(sameBits(t.data, teacher.tensors.get(name)!.data), name).toBe(true);
    }
    expect(readTeacherHeader(file)).toEqual(ck.config);
  });

  it('dims are stored innermost-first: the header shows [in, out] for a [out, in] weight', () => {
    const file = join(dir, 'dims.gguf');
    writeGguf(file, llamaKv(), teacherTensors());
    const h = readGgufHeader(file);
    const wk = h.tensors.find((t) => t.name === 'blk.0.attn_k.weight')!;
    expect(wk.dims).toEqual([64, 32]);
    expect(wk.shape).toEqual([32, 64]);
    expect(h.dataStart % 32).toBe(0);
    expect(h.tensors.every((t) => t.offset % 32 === 0)).toBe(true);
  });

  it('F16 GGUF v2 with alignment 64 and an untied head widens each weight exactly', () => {
    const file = join(dir, 'stories-f16.gguf');
    const tensors = teacherTensors(1);
    const emb = teacher.tensors.get('model.embed_tokens.weight')!;
    tensors.push({ name: 'output.weight', shape: emb.shape, data: emb.data.map((x) => -x), type: 1 });
    writeGguf(file, llamaKv([['general.alignment', { type: GgufType.UINT32, value: 64 }]]), tensors, { version: 2, alignment: 64 });
    const ck = loadCheckpoint(file);
    expect(ck.config.tiedEmbeddings).toBe(false);
    for (const [name, t] of ck.tensors) {
      const src = name === 'lm_head.weight' ? emb.data.map((x) => -x) : teacher.tensors.get(name)!.data;
      const want = src.map((x) => f16ToF32(f32ToF16(x)));
      expect(sameBits(t.data, want), name).toBe(true);
    }
  });

  it('reads metadata of every value type, including nested arrays and 64-bit integers', () => {
    const file = join(dir, 'kv.gguf');
    const kv: [string, KvSpec][] = [
      ...llamaKv(),
      ['t.u8', { type: GgufType.UINT8, value: 250 }],
      ['t.i8', { type: GgufType.INT8, value: -100 }],
      ['t.u16', { type: GgufType.UINT16, value: 65000 }],
      ['t.i16', { type: GgufType.INT16, value: -32000 }],
      ['t.i32', { type: GgufType.INT32, value: -2_000_000_000 }],
      ['t.f64', { type: GgufType.FLOAT64, value: Math.PI }],
      ['t.bool', { type: GgufType.BOOL, value: true }],
      ['t.u64', { type: GgufType.UINT64, value: 18446744073709551615n }],
      ['t.i64', { type: GgufType.INT64, value: -9007199254740993n }],
      ['t.utf8', { type: GgufType.STRING, value: 'naïve ▁token 🙂' }],
      ['tokenizer.ggml.tokens', { type: GgufType.ARRAY, elementType: GgufType.STRING, value: ['<unk>', '<s>', '</s>', '▁t'] }],
      ['tokenizer.ggml.scores', { type: GgufType.ARRAY, elementType: GgufType.FLOAT32, value: [0, 0, 0, -1.5] }],
      [
        't.nested',
        {
          type: GgufType.ARRAY,
          elementType: GgufType.ARRAY,
          value: [0, 1],
          nested: [
            { type: GgufType.ARRAY, elementType: GgufType.INT32, value: [1, -2] },
            { type: GgufType.ARRAY, elementType: GgufType.BOOL, value: [false] },
          ],
        },
      ],
    ];
    writeGguf(file, kv, teacherTensors());
    const h = readGgufHeader(file);
    const v = (k: string) => h.metadata.get(k)!.value;
    expect([v('t.u8'), v('t.i8'), v('t.u16'), v('t.i16'), v('t.i32'), v('t.f64'), v('t.bool')]).toEqual([250, -100, 65000, -32000, -2_000_000_000, Math.PI, true]);
    expect(v('t.u64')).toBe(18446744073709551615n);
    expect(v('t.i64')).toBe(-9007199254740993n);
    expect(v('t.utf8')).toBe('naïve ▁token 🙂');
    expect(v('tokenizer.ggml.tokens')).toEqual(['<unk>', '<s>', '</s>', '▁t']);
    expect(v('tokenizer.ggml.scores')).toEqual([0, 0, 0, -1.5]);
    expect(h.metadata.get('tokenizer.ggml.scores')!.elementType).toBe(GgufType.FLOAT32);
    expect(v('t.nested')).toEqual([[1, -2], [false]]);
    expect(h.version).toBe(3);
  });

  it('quantised weights, other architectures and unknown tensors are refused by name', () => {
    const q = teacherTensors();
    const i = q.findIndex((t) => t.name === 'blk.2.ffn_up.weight');
    const numel = q[i].data.length;
    q[i] = { ...q[i], type: 2, raw: new Uint8Array((numel / 32) * 18) };
    const f1 = join(dir, 'q4.gguf');
    writeGguf(f1, llamaKv(), q);
    expect(formatError(() => loadCheckpoint(f1)).message).toMatch(
      new RegExp(`^${f1}: tensor 'blk\\.2\\.ffn_up\\.weight' has ggml type Q4_0; only F32, F16 and BF16`),
    );
    // The header (what the checker reads) is still fine for a quantised model.
    expect(readTeacherHeader(f1).layers).toBe(5);
    const f2 = join(dir, 'falcon.gguf');
    writeGguf(f2, [['general.architecture', { type: GgufType.STRING, value: 'falcon' }]], []);
    expect(formatError(() => readTeacherHeader(f2)).message).toBe(`${f2}: GGUF architecture 'falcon' is not supported (only 'llama')`);
    const f3 = join(dir, 'extra.gguf');
    writeGguf(f3, llamaKv(), [...teacherTensors(), { name: 'rope_freqs.weight', shape: [4], data: new Float32Array(4) }]);
    expect(formatError(() => loadCheckpoint(f3)).message).toMatch(/tensor 'rope_freqs\.weight' has no Llama counterpart/);
    const f4 = join(dir, 'missing.gguf');
    writeGguf(f4, llamaKv(), teacherTensors().filter((t) => t.name !== 'blk.4.attn_v.weight'));
    expect(formatError(() => loadCheckpoint(f4)).message).toBe(`${f4}: missing tensor 'model.layers.4.self_attn.v_proj.weight' (expected shape [32, 64])`);
    const f5 = join(dir, 'nokey.gguf');
    writeGguf(f5, llamaKv().filter(([k]) => k !== 'llama.block_count'), teacherTensors());
    expect(formatError(() => readTeacherHeader(f5)).message).toBe(`${f5}: missing metadata 'llama.block_count'`);
  });

  it('bad magic, unsupported versions and corrupt counts are clear errors', () => {
    const good = encodeGguf(llamaKv(), teacherTensors());
    const put = (name: string, b: Buffer) => {
      const f = join(dir, name);
      writeFileSync(f, b);
      return f;
    };
    const m = Buffer.from(good);
    m.write('GGML', 0, 'latin1');
    const f1 = put('magic.gguf', m);
    expect(formatError(() => readGgufHeader(f1)).message).toBe(`${f1}: not a GGUF file (magic is not 'GGUF')`);
    const v1 = Buffer.from(good);
    v1.writeUInt32LE(1, 4);
    const f2 = put('v1.gguf', v1);
    expect(formatError(() => readGgufHeader(f2)).message).toMatch(/GGUF version 1 is not supported/);
    const big = Buffer.from(good);
    big.writeBigUInt64LE(1n << 40n, 16);
    const f3 = put('count.gguf', big);
    expect(formatError(() => readGgufHeader(f3)).message).toMatch(/metadata count 1099511627776 cannot fit/);
  });

  it('every truncation point and seeded random header corruption gives a FileFormatError, never a crash', () => {
    const good = encodeGguf(llamaKv(), teacherTensors());
    const file = join(dir, 'fuzz.gguf');
    const rng = Rng.fromSeed(2024, 'gguf-fuzz');
    const headerEnd = readGgufHeaderSize(good);
    const cuts = [0, 3, 4, 8, 20, 24, 40, headerEnd - 1, headerEnd + 5, good.length - 1];
    for (let k = 0; k < 30; k++) cuts.push(rng.int(good.length));
    for (const cut of cuts) {
      writeFileSync(file, good.subarray(0, cut));
      const err = formatError(() => loadCheckpoint(file));
      expect(err.message.startsWith(`${file}: `)).toBe(true);
    }
    let failures = 0;
    for (let k = 0; k < 300; k++) {
      const b = Buffer.from(good);
      const flips = 1 + rng.int(4);
      for (let j = 0; j < flips; j++) b[rng.int(headerEnd)] = rng.int(256);
      writeFileSync(file, b);
      try {
        loadCheckpoint(file);
      } catch (e) {
        expect((e as Error).name, (e as Error).message).toBe('FileFormatError');
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(100);
  });
});

function readGgufHeaderSize(b: Buffer): number {
  const f = join(dir, 'size.gguf');
  writeFileSync(f, b);
  return readGgufHeader(f).dataStart;
}
