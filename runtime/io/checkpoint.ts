/**
 * One entry point for teacher checkpoints: decides the format from what the path is (a folder or config.json
 * → Hugging Face; a file starting with "GGUF" → GGUF; a PyTorch zip/pickle → a clear refusal; any other file
 * → llama2.c legacy `.bin`, whose header and exact size are then checked).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { CheckpointFormat } from '../../compiler/ir/types.ts';
import { loadGguf, ggufLlamaConfig, readGgufHeader } from './gguf.ts';
import { loadHfCheckpoint, readHfHeader } from './hf-checkpoint.ts';
import { llama2cConfig, loadLlama2c, readLlama2cHeader } from './llama2c.ts';
import type { Checkpoint, TransformerConfig } from './types.ts';
import { FileFormatError } from './types.ts';

export function detectCheckpointFormat(path: string): CheckpointFormat {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new FileFormatError(path, `cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (st.isDirectory()) return 'hf';
  const name = basename(path);
  if (name === 'config.json' || name.endsWith('.safetensors') || name.endsWith('.safetensors.index.json')) return 'hf';
  const head = Buffer.alloc(4);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString('latin1') === 'GGUF') return 'gguf';
  if (name.endsWith('.gguf')) throw new FileFormatError(path, "not a GGUF file (magic is not 'GGUF')");
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04)
    throw new FileFormatError(path, 'is a PyTorch (zip/pickle) checkpoint, which mohawk does not load; save it as safetensors (model.save_pretrained(..., safe_serialization=True))');
  // Pickle: PROTO opcode, protocol 2–5, then another opcode (printable); a llama2.c header's dim < 2^20 has
  // a third byte ≤ 0x0f, so the two cannot be confused.
  if (head[0] === 0x80 && head[1] >= 2 && head[1] <= 5 && head[2] >= 0x20)
    throw new FileFormatError(path, 'is a Python pickle, which mohawk does not load; save the model as safetensors');
  return 'llama2c';
}

/** Loads every tensor (as float32 under HF names, linear weights [out, in]). */
export function loadCheckpoint(path: string): Checkpoint {
  switch (detectCheckpointFormat(path)) {
    case 'hf':
      return loadHfCheckpoint(path);
    case 'gguf':
      return loadGguf(path);
    default:
      return loadLlama2c(path);
  }
}

/** The architecture only, from headers/config (no tensor data is read): what the checker needs. */
export function readTeacherHeader(path: string): TransformerConfig {
  switch (detectCheckpointFormat(path)) {
    case 'hf':
      return readHfHeader(path);
    case 'gguf':
      return ggufLlamaConfig(readGgufHeader(path));
    default:
      return llama2cConfig(readLlama2cHeader(path));
  }
}
