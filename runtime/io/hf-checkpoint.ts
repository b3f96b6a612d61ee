/**
 * Hugging Face checkpoint folders: `config.json` plus `model.safetensors`, or `model.safetensors.index.json`
 * with its shards. Tensors are checked against the family's expected names and shapes (tensor-names.ts).
 * GPT-2 files may omit the `transformer.` prefix (the original OpenAI-converted checkpoints do); names are
 * normalised to include it, and `Conv1D` weights are transposed to [out, in] (recorded in `transposed`).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { readHfConfigJson, hfConfigFromJson } from './hf-config.ts';
import { readSafetensors } from './safetensors.ts';
import { checkTensorSet, expectedTensors, isGpt2Conv1D, isIgnorableBuffer } from './tensor-names.ts';
import type { Checkpoint, HostTensor, TransformerConfig } from './types.ts';
import { FileFormatError } from './types.ts';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

export interface HfLayout {
  dir: string;
  configFile: string;
  /** Shard file → tensor names it holds (a single entry for an unsharded checkpoint). */
  shards: Map<string, string[] | 'all'>;
}

/** The folder of an HF checkpoint given the folder, its config.json, or one of its safetensors files. */
export function hfDir(path: string): string {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    throw new FileFormatError(path, `cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return isDir ? path : dirname(path);
}

export function hfLayout(path: string): HfLayout {
  const dir = hfDir(path);
  const configFile = join(dir, 'config.json');
  if (!existsSync(configFile)) throw new FileFormatError(dir, 'no config.json in this folder (not a Hugging Face checkpoint?)');
  const single = join(dir, SINGLE_FILE);
  const index = join(dir, INDEX_FILE);
  if (existsSync(single)) return { dir, configFile, shards: new Map([[single, 'all']]) };
  if (!existsSync(index)) throw new FileFormatError(dir, `has config.json but neither ${SINGLE_FILE} nor ${INDEX_FILE}`);
  return { dir, configFile, shards: readIndex(index, dir) };
}

function readIndex(index: string, dir: string): Map<string, string[]> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(index, 'utf8'));
  } catch (e) {
    throw new FileFormatError(index, `not valid JSON: ${(e as Error).message}`);
  }
  const map = (json as { weight_map?: unknown })?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new FileFormatError(index, "has no 'weight_map' object");
  const shards = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(map as Record<string, unknown>)) {
    if (typeof shard !== 'string' || shard === '' || isAbsolute(shard) || normalize(shard).split(sep).includes('..'))
      throw new FileFormatError(index, `tensor '${name}' maps to ${JSON.stringify(shard)}, not a file name inside the checkpoint folder`);
    const file = join(dir, shard);
    if (!shards.has(file)) shards.set(file, []);
    shards.get(file)!.push(name);
  }
  if (shards.size === 0) throw new FileFormatError(index, 'weight_map is empty');
  return shards;
}

export function readHfHeader(path: string): TransformerConfig {
  const { configFile } = hfLayout(path);
  const { file, json } = readHfConfigJson(configFile);
  return hfConfigFromJson(file, json);
}

export function loadHfCheckpoint(path: string): Checkpoint {
  const layout = hfLayout(path);
  const { file, json } = readHfConfigJson(layout.configFile);
  const config = hfConfigFromJson(file, json);
  const raw = new Map<string, HostTensor>();
  const origin = new Map<string, string>();
  for (const [shard, names] of layout.shards) {
    if (!existsSync(shard)) throw new FileFormatError(shard, `missing shard (listed in ${INDEX_FILE})`);
    const { tensors } = readSafetensors(shard, names === 'all' ? {} : { names });
    for (const [name, t] of tensors) {
      if (raw.has(name)) throw new FileFormatError(shard, `tensor '${name}' also appears in ${origin.get(name)}`);
      raw.set(name, t);
      origin.set(name, shard);
    }
  }
  const tensors = new Map<string, HostTensor>();
  const transposed: string[] = [];
  for (const [stored, t] of raw) {
    let name = stored;
    if (config.family === 'gpt2' && !name.startsWith('transformer.') && !name.startsWith('lm_head.')) name = `transformer.${name}`;
    if (isIgnorableBuffer(name)) continue;
    // A tied head may still be saved; the model reads the embedding, so the copy is dropped.
    if (name === 'lm_head.weight' && config.tiedEmbeddings) continue;
    origin.set(name, origin.get(stored)!);
    if (config.family === 'gpt2' && isGpt2Conv1D(name)) {
      tensors.set(name, transpose2d(t));
      transposed.push(name);
    } else {
      tensors.set(name, t);
    }
  }
  const problem = checkTensorSet(tensors, expectedTensors(config));
  if (problem) {
    const name = /'([^']+)'/.exec(problem)?.[1];
    const where = name && origin.get(name) ? origin.get(name)! : layout.dir;
    throw new FileFormatError(where, problem);
  }
  return { format: 'hf', path: layout.dir, config, tensors, ...(transposed.length ? { transposed } : {}) };
}

export function transpose2d(t: HostTensor): HostTensor {
  const [r, c] = t.shape;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
  return { shape: [c, r], data: out };
}
