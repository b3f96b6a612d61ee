/**
 * Hugging Face `config.json` → TransformerConfig for the three teacher families (Llama, Phi, GPT-2).
 * Field names and defaults follow `transformers` (LlamaConfig, PhiConfig, GPT2Config); transformers 5 moves
 * `rope_theta` (and Phi's `partial_rotary_factor`) into `rope_parameters`, older files keep them top-level.
 * Settings that would change the forward pass in ways TransformerConfig cannot express (RoPE scaling, Phi's
 * qk_layernorm, GPT-2's per-layer attention scaling) are refused rather than silently ignored.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TeacherFamily } from '../../compiler/ir/types.ts';
import type { TransformerConfig } from './types.ts';
import { FileFormatError } from './types.ts';

/** model_type → (architecture class, family). */
export const HF_ARCHITECTURES: Record<string, { architecture: string; family: TeacherFamily }> = {
  llama: { architecture: 'LlamaForCausalLM', family: 'llama' },
  phi: { architecture: 'PhiForCausalLM', family: 'phi' },
  gpt2: { architecture: 'GPT2LMHeadModel', family: 'gpt2' },
};

type Json = Record<string, unknown>;

/** Resolves a folder or a config.json path to the config.json file. */
export function hfConfigPath(dirOrFile: string): string {
  let isDir = false;
  try {
    isDir = statSync(dirOrFile).isDirectory();
  } catch (e) {
    throw new FileFormatError(dirOrFile, `cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return isDir ? join(dirOrFile, 'config.json') : dirOrFile;
}

export function readHfConfigJson(dirOrFile: string): { file: string; json: Json } {
  const file = hfConfigPath(dirOrFile);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FileFormatError(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new FileFormatError(file, `not valid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new FileFormatError(file, 'config is not a JSON object');
  return { file, json: json as Json };
}

export function readHfConfig(dirOrFile: string): TransformerConfig {
  const { file, json } = readHfConfigJson(dirOrFile);
  return hfConfigFromJson(file, json);
}

export function hfConfigFromJson(file: string, json: Json): TransformerConfig {
  const f = new Fields(file, json);
  const modelType = json.model_type;
  const known = Object.keys(HF_ARCHITECTURES);
  if (typeof modelType !== 'string' || !(modelType in HF_ARCHITECTURES)) {
    throw new FileFormatError(
      file,
      `unsupported model_type ${JSON.stringify(modelType)} (supported: ${known.join(', ')})`,
    );
  }
  const { architecture } = HF_ARCHITECTURES[modelType];
  const archs = json.architectures;
  if (archs !== undefined && archs !== null) {
    if (!Array.isArray(archs) || !archs.includes(architecture))
      throw new FileFormatError(file, `architectures ${JSON.stringify(archs)} does not include ${architecture} (model_type '${modelType}')`);
  }
  switch (modelType) {
    case 'llama':
      return llama(f);
    case 'phi':
      return phi(f);
    default:
      return gpt2(f);
  }
}

/** Typed access to config fields with errors that name the field. */
class Fields {
  constructor(readonly file: string, readonly json: Json) {}
  fail(problem: string): never {
    throw new FileFormatError(this.file, problem);
  }
  has(key: string): boolean {
    return this.json[key] !== undefined && this.json[key] !== null;
  }
  int(key: string, fallback?: number): number {
    const v = this.json[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.fail(`missing required field '${key}'`);
    }
    if (!Number.isSafeInteger(v) || (v as number) <= 0) this.fail(`field '${key}' must be a positive integer, got ${JSON.stringify(v)}`);
    return v as number;
  }
  num(key: string, fallback?: number): number {
    const v = this.json[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.fail(`missing required field '${key}'`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(`field '${key}' must be a number, got ${JSON.stringify(v)}`);
    return v;
  }
  bool(key: string, fallback: boolean): boolean {
    const v = this.json[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(`field '${key}' must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }
  str(key: string, fallback: string): string {
    const v = this.json[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string') this.fail(`field '${key}' must be a string, got ${JSON.stringify(v)}`);
    return v;
  }
  /** A rope setting that may live in `rope_parameters` (transformers 5) or at the top level (older files). */
  rope(key: string, fallback: number): number {
    const rp = this.json.rope_parameters;
    if (rp && typeof rp === 'object' && !Array.isArray(rp) && (rp as Json)[key] !== undefined) {
      const v = (rp as Json)[key];
      if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(`rope_parameters.${key} must be a number, got ${JSON.stringify(v)}`);
      return v;
    }
    return this.num(key, fallback);
  }
  /** Refuses RoPE scaling variants (llama3, linear, dynamic, yarn …): they change the rotation frequencies. */
  plainRope(): void {
    for (const key of ['rope_parameters', 'rope_scaling']) {
      const rp = this.json[key];
      if (rp === undefined || rp === null) continue;
      if (typeof rp !== 'object' || Array.isArray(rp)) this.fail(`field '${key}' must be an object`);
      const type = (rp as Json).rope_type ?? (rp as Json).type;
      if (type !== undefined && type !== 'default')
        this.fail(`${key}.rope_type '${String(type)}' is not supported (only plain RoPE, rope_type 'default')`);
    }
  }
  heads(headsKey: string, kvKey: string): { heads: number; kvHeads: number } {
    const heads = this.int(headsKey);
    const kvHeads = this.int(kvKey, heads);
    if (heads % kvHeads !== 0) this.fail(`${headsKey} ${heads} is not a multiple of ${kvKey} ${kvHeads}`);
    return { heads, kvHeads };
  }
}

function llama(f: Fields): TransformerConfig {
  const dModel = f.int('hidden_size');
  const { heads, kvHeads } = f.heads('num_attention_heads', 'num_key_value_heads');
  if (!f.has('head_dim') && dModel % heads !== 0) f.fail(`hidden_size ${dModel} is not a multiple of num_attention_heads ${heads}`);
  const headDim = f.int('head_dim', dModel / heads);
  const act = f.str('hidden_act', 'silu');
  if (act !== 'silu') f.fail(`hidden_act '${act}' is not supported for llama (expected 'silu': SwiGLU)`);
  f.plainRope();
  if (f.int('pretraining_tp', 1) !== 1) f.fail('pretraining_tp > 1 is not supported');
  const attnBias = f.bool('attention_bias', false);
  return {
    family: 'llama',
    dModel,
    layers: f.int('num_hidden_layers'),
    heads,
    kvHeads,
    headDim,
    vocab: f.int('vocab_size'),
    maxSeqLen: f.int('max_position_embeddings'),
    ffnHidden: f.int('intermediate_size'),
    norm: 'rms',
    normEps: f.num('rms_norm_eps', 1e-6),
    positions: 'rope',
    ropeLayout: 'half',
    ropeTheta: f.rope('rope_theta', 10000),
    rotaryDim: headDim,
    mlp: 'swiglu',
    parallelBlock: false,
    tiedEmbeddings: f.bool('tie_word_embeddings', false),
    attnBias,
    mlpBias: f.bool('mlp_bias', false),
    lmHeadBias: false,
  };
}

function phi(f: Fields): TransformerConfig {
  const dModel = f.int('hidden_size');
  const { heads, kvHeads } = f.heads('num_attention_heads', 'num_key_value_heads');
  if (dModel % heads !== 0) f.fail(`hidden_size ${dModel} is not a multiple of num_attention_heads ${heads}`);
  const headDim = dModel / heads;
  const act = f.str('hidden_act', 'gelu_new');
  if (act !== 'gelu_new' && act !== 'gelu') f.fail(`hidden_act '${act}' is not supported for phi (expected 'gelu_new' or 'gelu')`);
  if (f.bool('qk_layernorm', false)) f.fail('qk_layernorm true is not supported');
  f.plainRope();
  const factor = f.rope('partial_rotary_factor', 0.5);
  if (!(factor > 0 && factor <= 1)) f.fail(`partial_rotary_factor ${factor} must be in (0, 1]`);
  // As transformers: int(head_dim · factor) rotary dimensions per head.
  const rotaryDim = Math.floor(headDim * factor);
  if (rotaryDim % 2 !== 0 || rotaryDim === 0) f.fail(`head_dim ${headDim} × partial_rotary_factor ${factor} gives ${rotaryDim} rotary dims (must be even and > 0)`);
  return {
    family: 'phi',
    dModel,
    layers: f.int('num_hidden_layers'),
    heads,
    kvHeads,
    headDim,
    vocab: f.int('vocab_size'),
    maxSeqLen: f.int('max_position_embeddings'),
    ffnHidden: f.int('intermediate_size'),
    norm: 'layer',
    normEps: f.num('layer_norm_eps', 1e-5),
    positions: 'rope',
    ropeLayout: 'half',
    ropeTheta: f.rope('rope_theta', 10000),
    rotaryDim,
    mlp: act === 'gelu' ? 'gelu' : 'gelu_new',
    parallelBlock: true,
    tiedEmbeddings: f.bool('tie_word_embeddings', false),
    attnBias: true,
    mlpBias: true,
    lmHeadBias: true,
  };
}

function gpt2(f: Fields): TransformerConfig {
  const dModel = f.int('n_embd');
  const heads = f.int('n_head');
  if (dModel % heads !== 0) f.fail(`n_embd ${dModel} is not a multiple of n_head ${heads}`);
  const act = f.str('activation_function', 'gelu_new');
  if (act !== 'gelu_new' && act !== 'gelu') f.fail(`activation_function '${act}' is not supported for gpt2 (expected 'gelu_new' or 'gelu')`);
  if (f.bool('scale_attn_by_inverse_layer_idx', false)) f.fail('scale_attn_by_inverse_layer_idx true is not supported');
  if (f.bool('reorder_and_upcast_attn', false)) f.fail('reorder_and_upcast_attn true is not supported');
  if (!f.bool('scale_attn_weights', true)) f.fail('scale_attn_weights false is not supported');
  return {
    family: 'gpt2',
    dModel,
    layers: f.int('n_layer'),
    heads,
    kvHeads: heads,
    headDim: dModel / heads,
    vocab: f.int('vocab_size'),
    maxSeqLen: f.int('n_positions'),
    ffnHidden: f.int('n_inner', 4 * dModel),
    norm: 'layer',
    normEps: f.num('layer_norm_epsilon', 1e-5),
    positions: 'learned',
    mlp: act === 'gelu' ? 'gelu' : 'gelu_new',
    parallelBlock: false,
    tiedEmbeddings: f.bool('tie_word_embeddings', true),
    attnBias: true,
    mlpBias: true,
    lmHeadBias: false,
  };
}
