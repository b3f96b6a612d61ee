/**
 * Exporting a student as Hugging Face-style files: `model.safetensors` (float32, [out, in] linear weights)
 * and `config.json`, in one of two layouts:
 *
 *  - 'llamba': a pure Discrete Mamba-2 student of a Llama teacher, named and configured as Cartesia's Llamba
 *    (`backbone.embedding.weight`, `backbone.layers.{i}.mixer.*`, `backbone.final_layernorm.weight`, ...;
 *    config fields of LlambaConfig), so `LlambaLMHeadModel` loads it.
 *  - 'mambainllama': a Mamba-2 student (hybrid or not) of a Llama teacher in jxiw/MambaInLlama's layout: the
 *    teacher's HF names and config.json, SSM layers as `model.layers.{i}.mamba.*` (their Mamba2 with G = H and
 *    N = P; x and B at d_xb = kvHeads·P when GQA-aware), and `mamba_config.json` (their MambaConfig).
 *  - 'mohawk': any student. The teacher's own Hugging Face names and config.json (so every non-mixer part
 *    loads exactly as the teacher's would), plus `model.layers.{i}.mixer.*` for SSM layers and a `mohawk`
 *    section in config.json saying which layers are SSMs and with which mixer settings. Kept attention of an
 *    adjacent-pair RoPE teacher (llama2.c, GGUF) is written in HF's rotate-half row order, as HF expects.
 *
 * `readStudentExport` + `assignStudentWeights` bring an export back into a StudentLM.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MixerIR, StudentIR } from '../../compiler/ir/types.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { readSafetensors, writeSafetensors } from '../io/safetensors.ts';
import { isGpt2Conv1D } from '../io/tensor-names.ts';
import type { HostTensor, TransformerConfig } from '../io/types.ts';
import { FileFormatError } from '../io/types.ts';
import { toCompute, toHost } from '../mixers/layout.ts';
import { tf } from '../tensor/backend.ts';
import { StudentLayoutError, type BuiltStudent, type ParamLayout } from './build.ts';
import { hfConfigJson } from './hf-config-json.ts';

export type ExportFormat = 'mohawk' | 'llamba' | 'mambainllama';
export const EXPORT_VERSION = 1;

/** All parameters as host tensors in HF layout under the student's names (fused row ranges joined). */
export async function studentHostTensors(built: BuiltStudent): Promise<Map<string, HostTensor>> {
  const pieces = new Map<string, { rows: [number, number]; t: HostTensor }[]>();
  const out = new Map<string, HostTensor>();
  for (const [key, t] of built.model.params) {
    const lay = built.layout.get(key);
    if (!lay) throw new StudentLayoutError(`parameter '${key}' has no export layout`);
    const host = await toHost({ name: lay.name, shape: lay.shape, role: lay.role }, t);
    if (!lay.rows) out.set(lay.name, host);
    else pieces.set(lay.name, [...(pieces.get(lay.name) ?? []), { rows: lay.rows, t: host }]);
  }
  for (const [name, parts] of pieces) {
    parts.sort((a, b) => a.rows[0] - b.rows[0]);
    const rows = parts.reduce((n, p) => n + p.t.shape[0], 0);
    const data = new Float32Array(parts.reduce((n, p) => n + p.t.data.length, 0));
    let at = 0;
    for (const p of parts) {
      data.set(p.t.data, at);
      at += p.t.data.length;
    }
    out.set(name, { shape: [rows, ...parts[0].t.shape.slice(1)], data });
  }
  return out;
}

/** Why a student cannot be exported as Llamba, or undefined when it can. */
export function llambaIneligibility(cfg: TransformerConfig, ir: StudentIR): string | undefined {
  if (cfg.family !== 'llama') return `Llamba students have a Llama teacher (this one is ${cfg.family})`;
  if (ir.layers.some((l) => l.kind !== 'ssm')) return 'Llamba has no attention layers';
  const m = ir.layers[0].mixer!;
  if (ir.layers.some((l) => JSON.stringify(l.mixer) !== JSON.stringify(m))) return 'Llamba uses one mixer configuration for every layer';
  if (m.kind !== 'discrete_mamba2') return 'Llamba mixers are discrete_mamba2';
  if (m.kvHeads !== undefined) return 'Llamba has no GQA-aware mixer';
  if (cfg.mlpBias || cfg.attnBias) return 'Llamba has no MLP or attention biases';
  return undefined;
}

/** Why a student cannot be exported in MambaInLlama's layout, or undefined when it can. */
export function mambaInLlamaIneligibility(cfg: TransformerConfig, ir: StudentIR): string | undefined {
  if (cfg.family !== 'llama') return `MambaInLlama students have a Llama teacher (this one is ${cfg.family})`;
  const ssm = ir.layers.filter((l) => l.kind === 'ssm');
  if (ssm.length === 0) return 'the student has no SSM layer';
  const m = ssm[0].mixer!;
  if (ssm.some((l) => JSON.stringify(l.mixer) !== JSON.stringify(m))) return 'MambaInLlama uses one mixer configuration for every SSM layer';
  if (m.kind !== 'mamba2') return 'MambaInLlama mixers are mamba2';
  if (m.groups !== m.heads || m.dState !== m.headDim) return 'MambaInLlama needs groups = heads and d_state = head_dim';
  if (mixerBias(ir, cfg, m) || cfg.mlpBias) return 'MambaInLlama mixers and MLPs have no biases';
  return undefined;
}

export interface ExportOptions {
  format?: 'auto' | ExportFormat;
}

/** Writes model.safetensors and config.json into dir; returns the layout used. */
export async function exportStudent(built: BuiltStudent, ir: StudentIR, dir: string, opts: ExportOptions = {}): Promise<{ format: ExportFormat; files: string[] }> {
  const cfg = built.model.config;
  const why = { llamba: llambaIneligibility(cfg, ir), mambainllama: mambaInLlamaIneligibility(cfg, ir), mohawk: undefined };
  const format: ExportFormat =
    opts.format === 'auto' || opts.format === undefined ? (!why.llamba ? 'llamba' : !why.mambainllama ? 'mambainllama' : 'mohawk') : opts.format;
  if (why[format]) throw new StudentLayoutError(`cannot export as ${format}: ${why[format]}`);
  const native = await studentHostTensors(built);
  let tensors: Map<string, HostTensor>;
  let config: Record<string, unknown>;
  if (format === 'llamba') {
    tensors = new Map([...native].map(([k, t]) => [toLlambaName(k), t]));
    config = llambaConfig(cfg, ir);
  } else {
    tensors = toHfConventions(native, cfg, ir, 'out');
    if (format === 'mambainllama') tensors = new Map([...tensors].map(([k, t]) => [k.replace(MIXER_RE, '$1.mamba.'), t]));
    config = { ...hfConfigJson(cfg), mohawk: mohawkSection(ir, cfg) };
  }
  mkdirSync(dir, { recursive: true });
  const weights = join(dir, 'model.safetensors');
  const configFile = join(dir, 'config.json');
  writeSafetensors(weights, tensors, { format: 'pt', mohawk_export: format });
  const files = [weights, configFile];
  writeJson(configFile, config);
  if (format === 'mambainllama') {
    files.push(join(dir, 'mamba_config.json'));
    writeJson(files[2], mambaConfig(cfg, ir));
  }
  return { format, files };
}

export interface StudentExport {
  format: ExportFormat;
  config: Record<string, unknown>;
  /** Under the student's names, in the conventions of a model built from a teacher with `cfg`. */
  tensors: Map<string, HostTensor>;
}

/** Reads an export back, mapping names and conventions to those of a student built on a teacher with `cfg`. */
export function readStudentExport(dir: string, cfg: TransformerConfig): StudentExport {
  const configFile = join(dir, 'config.json');
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(readFileSync(configFile, 'utf8'));
  } catch (e) {
    throw new FileFormatError(configFile, `cannot read the student config: ${(e as Error).message}`);
  }
  const read = readSafetensors(join(dir, 'model.safetensors'));
  let tensors = read.tensors;
  const metadata = read.metadata;
  const format = metadata.mohawk_export as ExportFormat | undefined;
  if (format === 'llamba') return { format, config, tensors: new Map([...tensors].map(([k, t]) => [fromLlambaName(k), t])) };
  if (format === 'mambainllama') tensors = new Map([...tensors].map(([k, t]) => [k.replace(MAMBA_RE, '$1.mixer.'), t]));
  else if (format !== 'mohawk') throw new FileFormatError(join(dir, 'model.safetensors'), `not a mohawk student export (metadata mohawk_export = ${JSON.stringify(format)})`);
  const section = config.mohawk as { layers?: string[] } | undefined;
  if (!section?.layers) throw new FileFormatError(configFile, "missing the 'mohawk' section with the layer layout");
  const ir = { layers: section.layers.map((kind, index) => ({ index, kind })) } as unknown as StudentIR;
  return { format, config, tensors: toHfConventions(tensors, cfg, ir, 'in') };
}

/** Loads host tensors (student names, HF layout, the model's conventions) into the student's Variables. */
export function assignStudentWeights(built: BuiltStudent, tensors: Map<string, HostTensor>, source = 'student export'): void {
  for (const [key, param] of built.model.params) {
    const lay = built.layout.get(key)!;
    const host = tensors.get(lay.name);
    if (!host) throw new FileFormatError(source, `missing tensor '${lay.name}'`);
    const piece = lay.rows ? rowsOf(host, lay.rows) : host;
    const want = lay.shape;
    if (piece.shape.length !== want.length || piece.shape.some((d, i) => d !== want[i]))
      throw new FileFormatError(source, `tensor '${lay.name}' has shape [${piece.shape}], expected [${want}]`);
    if (!(param instanceof tf.Variable)) throw new StudentLayoutError('assignStudentWeights needs a trainable (Variable) student');
    const value = toCompute({ name: lay.name, shape: want, role: lay.role }, piece);
    param.assign(value);
    value.dispose();
  }
}

function rowsOf(t: HostTensor, [r0, r1]: [number, number]): HostTensor {
  const cols = t.shape.length === 2 ? t.shape[1] : 1;
  return { shape: t.shape.length === 2 ? [r1 - r0, cols] : [r1 - r0], data: t.data.slice(r0 * cols, r1 * cols) };
}

/**
 * Between our checkpoint conventions and Hugging Face's: q/k rows of kept attention layers of an
 * adjacent-pair RoPE teacher ↔ rotate-half order; GPT-2's Conv1D weights ↔ [in, out] on disk.
 */
function toHfConventions(src: Map<string, HostTensor>, cfg: TransformerConfig, ir: StudentIR, dir: 'out' | 'in'): Map<string, HostTensor> {
  const out = new Map(src);
  if (cfg.positions === 'rope' && cfg.ropeLayout === 'adjacent' && cfg.family === 'llama') {
    for (const l of ir.layers) {
      if (l.kind !== 'attention') continue;
      for (const [proj, heads] of [['q_proj', cfg.heads], ['k_proj', cfg.kvHeads]] as const) {
        for (const suffix of ['weight', 'bias']) {
          const name = `model.layers.${l.index}.self_attn.${proj}.${suffix}`;
          const t = out.get(name);
          if (t) out.set(name, permuteRopeRows(t, heads, cfg.rotaryDim ?? cfg.headDim, cfg.headDim, dir));
        }
      }
    }
  }
  if (cfg.family === 'gpt2') for (const [name, t] of out) if (isGpt2Conv1D(name)) out.set(name, transpose(t));
  return out;
}

/** Within each head: 'out' maps adjacent pair (2i, 2i+1) rows to rotate-half rows (i, i + rd/2); 'in' undoes it. */
function permuteRopeRows(t: HostTensor, heads: number, rd: number, hd: number, dir: 'out' | 'in'): HostTensor {
  const cols = t.shape.length === 2 ? t.shape[1] : 1;
  const data = new Float32Array(t.data.length);
  for (let h = 0; h < heads; h++)
    for (let j = 0; j < hd; j++) {
      // Row j of the rotate-half layout holds row `adj` of the adjacent layout (rows past rd are not rotated).
      const adj = j >= rd ? j : j < rd / 2 ? 2 * j : 2 * (j - rd / 2) + 1;
      const [to, from] = dir === 'out' ? [j, adj] : [adj, j];
      data.set(t.data.subarray((h * hd + from) * cols, (h * hd + from + 1) * cols), (h * hd + to) * cols);
    }
  return { shape: [...t.shape], data };
}

function transpose(t: HostTensor): HostTensor {
  const [r, c] = t.shape;
  const data = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[j * r + i] = t.data[i * c + j];
  return { shape: [c, r], data };
}

function ssmCfg(m: MixerIR, bias: boolean): Record<string, unknown> {
  return {
    kind: m.kind,
    d_state: m.dState,
    n_v_heads: m.heads,
    n_qk_heads: m.groups,
    headdim: m.headDim,
    expand: m.expand,
    d_conv: m.convWidth,
    chunk_size: m.chunk,
    activation: m.kind === 'discrete_mamba2' ? 'identity' : 'silu',
    bias,
    conv_bias: true,
    ...(m.kvHeads !== undefined ? { kv_heads: m.kvHeads } : {}),
  };
}

function mixerBias(ir: StudentIR, cfg: TransformerConfig, m: MixerIR): boolean {
  return (m.kind === 'discrete_mamba2' && ir.decayInit !== undefined) || (ir.init === 'from_attention' && cfg.attnBias);
}

function mohawkSection(ir: StudentIR, cfg: TransformerConfig): Record<string, unknown> {
  return {
    export_version: EXPORT_VERSION,
    student: ir.name,
    init: ir.init,
    layers: ir.layers.map((l) => l.kind),
    frozen_attention_layers: ir.layers.filter((l) => l.kind === 'attention' && l.frozen).map((l) => l.index),
    mixer_name: 'mixer',
    /** Per layer: the mixer settings (null for kept attention). */
    ssm_cfg: ir.layers.map((l) => (l.mixer ? ssmCfg(l.mixer, mixerBias(ir, cfg, l.mixer)) : null)),
  };
}

function llambaConfig(cfg: TransformerConfig, ir: StudentIR): Record<string, unknown> {
  const m = ir.layers[0].mixer!;
  return {
    model_type: 'llamba',
    vocab_size: cfg.vocab,
    d_model: cfg.dModel,
    tie_embeddings: cfg.tiedEmbeddings,
    pad_vocab_size_multiple: cfg.vocab % 8 === 0 ? 8 : 1,
    lm_head_bias: false,
    n_layer: cfg.layers,
    resid_dropout: 0,
    norm_epsilon: cfg.normEps,
    mlp_cfg: { intermediate_size: cfg.ffnHidden, bias: false, act_fn: 'silu' },
    ssm_cfg: ssmCfg(m, mixerBias(ir, cfg, m)),
    mohawk: mohawkSection(ir, cfg),
  };
}

const MIXER_RE = /^(model\.layers\.\d+)\.mixer\./;
const MAMBA_RE = /^(model\.layers\.\d+)\.mamba\./;

function writeJson(file: string, value: unknown): void {
  writeFileAtomic(file, [Buffer.from(JSON.stringify(value, null, 2) + '\n', 'utf8')]);
}

/** jxiw/MambaInLlama's MambaConfig (mamba2/hybrid_mamba_config.py) for a student that passed the check. */
function mambaConfig(cfg: TransformerConfig, ir: StudentIR): Record<string, unknown> {
  const m = ir.layers.find((l) => l.kind === 'ssm')!.mixer!;
  return {
    d_model: cfg.dModel,
    ssm_cfg: { d_state: m.dState, d_conv: m.convWidth, ngroups: m.groups, headdim: m.headDim, chunk_size: m.chunk },
    rms_norm_eps: cfg.normEps,
    vocab_size: cfg.vocab,
    d_inner: m.dInner,
    d_xb: (m.kvHeads ?? m.heads) * m.headDim,
    intermediate_size: cfg.ffnHidden,
    hidden_act: 'silu',
    n_layer: cfg.layers,
    attn_layers: ir.layers.filter((l) => l.kind === 'attention').map((l) => l.index),
  };
}

const LLAMBA_RENAMES: [RegExp, string][] = [
  [/^model\.embed_tokens\.weight$/, 'backbone.embedding.weight'],
  [/^model\.norm\.weight$/, 'backbone.final_layernorm.weight'],
  [/^model\.layers\./, 'backbone.layers.'],
];

function toLlambaName(name: string): string {
  for (const [re, to] of LLAMBA_RENAMES) if (re.test(name)) return name.replace(re, to);
  return name;
}

function fromLlambaName(name: string): string {
  if (name === 'backbone.embedding.weight') return 'model.embed_tokens.weight';
  if (name === 'backbone.final_layernorm.weight') return 'model.norm.weight';
  return name.replace(/^backbone\.layers\./, 'model.layers.');
}

export type { ParamLayout };
