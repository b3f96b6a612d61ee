import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readHfConfig } from '../../../runtime/io/hf-config.ts';
import { GOLDEN_DIR } from '../../helpers/paths.ts';
import { formatError, tempDir } from './helpers.ts';

const dir = tempDir();
const golden = (name: string) => join(GOLDEN_DIR, 'hf', name);
const goldenJson = (name: string) => JSON.parse(readFileSync(join(golden(name), 'config.json'), 'utf8'));
let n = 0;
function writeConfig(json: unknown): string {
  const file = join(dir, `config-${n++}.json`);
  writeFileSync(file, JSON.stringify(json));
  return file;
}

describe('readHfConfig', () => {
  it('reads the HF Llama golden (transformers 5 rope_parameters) as the stories260K shape, rotate-half', () => {
    expect(readHfConfig(golden('hf_llama_stories260K'))).toEqual({
      family: 'llama', dModel: 64, layers: 5, heads: 8, kvHeads: 4, headDim: 8, vocab: 512, maxSeqLen: 512,
      ffnHidden: 172, norm: 'rms', normEps: 1e-5, positions: 'rope', ropeLayout: 'half', ropeTheta: 10000,
      rotaryDim: 8, mlp: 'swiglu', parallelBlock: false, tiedEmbeddings: true, attnBias: false, mlpBias: false,
      lmHeadBias: false,
    });
  });

  it('reads the Phi golden: partial rotary, parallel block, LayerNorm, biases, untied head with bias', () => {
    const c = readHfConfig(join(golden('hf_phi_tiny'), 'config.json'));
    expect(c).toMatchObject({
      family: 'phi', dModel: 64, layers: 2, heads: 4, kvHeads: 4, headDim: 16, rotaryDim: 8, ffnHidden: 256,
      norm: 'layer', normEps: 1e-5, mlp: 'gelu_new', parallelBlock: true, tiedEmbeddings: false, attnBias: true,
      mlpBias: true, lmHeadBias: true, ropeLayout: 'half', ropeTheta: 10000, maxSeqLen: 128,
    });
  });

  it('reads the GPT-2 golden: learned positions, n_inner null → 4·n_embd, tied head', () => {
    expect(readHfConfig(golden('hf_gpt2_tiny'))).toEqual({
      family: 'gpt2', dModel: 64, layers: 2, heads: 4, kvHeads: 4, headDim: 16, vocab: 512, maxSeqLen: 128,
      ffnHidden: 256, norm: 'layer', normEps: 1e-5, positions: 'learned', mlp: 'gelu_new', parallelBlock: false,
      tiedEmbeddings: true, attnBias: true, mlpBias: true, lmHeadBias: false,
    });
  });

  it('accepts the older top-level rope_theta / partial_rotary_factor and missing num_key_value_heads', () => {
    const llama = goldenJson('hf_llama_stories260K');
    delete llama.rope_parameters;
    delete llama.num_key_value_heads;
    llama.rope_theta = 500000;
    const c = readHfConfig(writeConfig(llama));
    expect(c.ropeTheta).toBe(500000);
    expect(c.kvHeads).toBe(8);
    const phi = goldenJson('hf_phi_tiny');
    delete phi.rope_parameters;
    phi.partial_rotary_factor = 0.25;
    expect(readHfConfig(writeConfig(phi)).rotaryDim).toBe(4);
  });

  it('gives a clear error naming the file for unknown families, mismatched architectures and missing fields', () => {
    const mistral = { ...goldenJson('hf_llama_stories260K'), model_type: 'mistral', architectures: ['MistralForCausalLM'] };
    let f = writeConfig(mistral);
    expect(formatError(() => readHfConfig(f)).message).toBe(`${f}: unsupported model_type "mistral" (supported: llama, phi, gpt2)`);
    f = writeConfig({ ...goldenJson('hf_llama_stories260K'), architectures: ['LlamaForSequenceClassification'] });
    expect(formatError(() => readHfConfig(f)).message).toMatch(/does not include LlamaForCausalLM/);
    const noLayers = goldenJson('hf_gpt2_tiny');
    delete noLayers.n_layer;
    f = writeConfig(noLayers);
    expect(formatError(() => readHfConfig(f)).message).toBe(`${f}: missing required field 'n_layer'`);
    f = writeConfig({ ...goldenJson('hf_llama_stories260K'), hidden_size: '64' });
    expect(formatError(() => readHfConfig(f)).message).toMatch(/field 'hidden_size' must be a positive integer/);
    f = writeConfig({ ...goldenJson('hf_llama_stories260K'), num_key_value_heads: 3 });
    expect(formatError(() => readHfConfig(f)).message).toMatch(/num_attention_heads 8 is not a multiple of num_key_value_heads 3/);
  });

  it('refuses settings that would change the math silently (RoPE scaling, qk_layernorm, per-layer attn scaling)', () => {
    const llama3 = { ...goldenJson('hf_llama_stories260K'), rope_parameters: { rope_type: 'llama3', rope_theta: 5e5, factor: 8 } };
    const f1 = writeConfig(llama3);
    expect(formatError(() => readHfConfig(f1)).message).toMatch(/rope_type 'llama3' is not supported/);
    const f2 = writeConfig({ ...goldenJson('hf_phi_tiny'), qk_layernorm: true });
    expect(formatError(() => readHfConfig(f2)).message).toMatch(/qk_layernorm/);
    const f3 = writeConfig({ ...goldenJson('hf_gpt2_tiny'), scale_attn_by_inverse_layer_idx: true });
    expect(formatError(() => readHfConfig(f3)).message).toMatch(/scale_attn_by_inverse_layer_idx/);
  });

  it('reports unreadable and malformed config files', () => {
    const missing = join(dir, 'nope', 'config.json');
    expect(formatError(() => readHfConfig(missing)).message).toMatch(/cannot open: ENOENT/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"model_type": "llama",');
    expect(formatError(() => readHfConfig(bad)).message).toMatch(new RegExp(`^${bad}: not valid JSON`));
  });
});
