/**
 * llama2.c legacy ("version 0") checkpoints: 7 int32 header fields, then float32 weights in a fixed order
 * (format in ../shared/data/README.md). q/k rows stay in llama2.c's adjacent-pair RoPE layout; the config
 * records it as ropeLayout 'adjacent'.
 */
import { closeSync, fstatSync, openSync, readSync, readFileSync } from 'node:fs';
import type { Checkpoint, HostTensor, TransformerConfig } from './types.ts';
import { FileFormatError } from './types.ts';

export interface Llama2cHeader {
  dim: number;
  hiddenDim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  vocab: number;
  seqLen: number;
  /** Positive vocab_size in the file: classifier shares the embedding. */
  shared: boolean;
}

const HEADER_BYTES = 28;

function parseHeader(file: string, buf: Buffer, fileBytes: number): Llama2cHeader {
  if (buf.length < HEADER_BYTES) throw new FileFormatError(file, `file is ${buf.length} bytes, shorter than the 28-byte llama2.c header`);
  const f = (i: number) => buf.readInt32LE(i * 4);
  const [dim, hiddenDim, layers, heads, kvHeads, vocabRaw, seqLen] = [0, 1, 2, 3, 4, 5, 6].map(f);
  const h: Llama2cHeader = { dim, hiddenDim, layers, heads, kvHeads, vocab: Math.abs(vocabRaw), seqLen, shared: vocabRaw > 0 };
  const bad = (what: string) => new FileFormatError(file, `not a llama2.c checkpoint: ${what}`);
  for (const [k, v] of Object.entries({ dim, hiddenDim, layers, heads, kvHeads, seqLen }))
    if (!(v > 0 && v < 1 << 20)) throw bad(`header field ${k} = ${v} is out of range`);
  if (!(h.vocab > 0 && h.vocab < 1 << 22)) throw bad(`header field vocab_size = ${vocabRaw} is out of range`);
  if (dim % heads !== 0) throw bad(`dim ${dim} is not a multiple of n_heads ${heads}`);
  if (heads % kvHeads !== 0) throw bad(`n_heads ${heads} is not a multiple of n_kv_heads ${kvHeads}`);
  const need = HEADER_BYTES + 4 * weightFloats(h, true);
  const needNoRope = HEADER_BYTES + 4 * weightFloats(h, false);
  if (fileBytes !== need && fileBytes !== needNoRope)
    throw new FileFormatError(file, `size ${fileBytes} bytes does not match its header (dim ${dim}, layers ${layers}, vocab ${h.vocab}: expected ${need} bytes)`);
  return h;
}

function weightFloats(h: Llama2cHeader, withRopeTables: boolean): number {
  const hs = h.dim / h.heads;
  const kv = hs * h.kvHeads;
  let n = h.vocab * h.dim + h.layers * (2 * h.dim + h.dim * h.dim * 2 + 2 * h.dim * kv + 3 * h.dim * h.hiddenDim) + h.dim;
  if (withRopeTables) n += h.seqLen * hs; // two tables of seq_len × head_size/2
  if (!h.shared) n += h.vocab * h.dim;
  return n;
}

/** Reads only the header (and checks the file size against it). Cheap: used by the checker. */
export function readLlama2cHeader(file: string): Llama2cHeader {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new FileFormatError(file, `cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(HEADER_BYTES, size));
    readSync(fd, buf, 0, buf.length, 0);
    return parseHeader(file, buf, size);
  } finally {
    closeSync(fd);
  }
}

export function llama2cConfig(h: Llama2cHeader): TransformerConfig {
  return {
    family: 'llama',
    dModel: h.dim,
    layers: h.layers,
    heads: h.heads,
    kvHeads: h.kvHeads,
    headDim: h.dim / h.heads,
    vocab: h.vocab,
    maxSeqLen: h.seqLen,
    ffnHidden: h.hiddenDim,
    norm: 'rms',
    normEps: 1e-5,
    positions: 'rope',
    ropeLayout: 'adjacent',
    ropeTheta: 10000,
    rotaryDim: h.dim / h.heads,
    mlp: 'swiglu',
    parallelBlock: false,
    tiedEmbeddings: h.shared,
    attnBias: false,
    mlpBias: false,
    lmHeadBias: false,
  };
}

/** Loads the whole checkpoint under HF Llama tensor names. */
export function loadLlama2c(file: string): Checkpoint {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new FileFormatError(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const h = parseHeader(file, bytes, bytes.length);
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset + HEADER_BYTES, bytes.byteOffset + bytes.length));
  const hs = h.dim / h.heads;
  const kv = hs * h.kvHeads;
  let off = 0;
  const take = (shape: number[]): HostTensor => {
    const n = shape.reduce((a, b) => a * b, 1);
    const t = { shape, data: floats.slice(off, off + n) };
    off += n;
    return t;
  };
  const perLayer = (shape: number[]) => Array.from({ length: h.layers }, () => take(shape));
  const tensors = new Map<string, HostTensor>();
  const L = (i: number, name: string) => `model.layers.${i}.${name}`;
  tensors.set('model.embed_tokens.weight', take([h.vocab, h.dim]));
  perLayer([h.dim]).forEach((t, i) => tensors.set(L(i, 'input_layernorm.weight'), t));
  perLayer([h.dim, h.dim]).forEach((t, i) => tensors.set(L(i, 'self_attn.q_proj.weight'), t));
  perLayer([kv, h.dim]).forEach((t, i) => tensors.set(L(i, 'self_attn.k_proj.weight'), t));
  perLayer([kv, h.dim]).forEach((t, i) => tensors.set(L(i, 'self_attn.v_proj.weight'), t));
  perLayer([h.dim, h.dim]).forEach((t, i) => tensors.set(L(i, 'self_attn.o_proj.weight'), t));
  perLayer([h.dim]).forEach((t, i) => tensors.set(L(i, 'post_attention_layernorm.weight'), t));
  perLayer([h.hiddenDim, h.dim]).forEach((t, i) => tensors.set(L(i, 'mlp.gate_proj.weight'), t));
  perLayer([h.dim, h.hiddenDim]).forEach((t, i) => tensors.set(L(i, 'mlp.down_proj.weight'), t));
  perLayer([h.hiddenDim, h.dim]).forEach((t, i) => tensors.set(L(i, 'mlp.up_proj.weight'), t));
  tensors.set('model.norm.weight', take([h.dim]));
  if (!h.shared) {
    off += h.seqLen * hs; // skip the legacy RoPE tables
    tensors.set('lm_head.weight', take([h.vocab, h.dim]));
  }
  return { format: 'llama2c', path: file, config: llama2cConfig(h), tensors };
}
