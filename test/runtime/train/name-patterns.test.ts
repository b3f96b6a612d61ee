import { describe, expect, it } from 'vitest';
import { matchesAny, matchesPattern } from '../../../runtime/train/name-patterns.ts';

const NAMES = [
  'model.embed_tokens.weight',
  'model.layers.0.input_layernorm.weight',
  'model.layers.0.mixer.in_proj.weight',
  'model.layers.0.mixer.z_bias',
  'model.layers.0.mixer.conv1d.weight',
  'model.layers.0.mixer.conv1d.bias',
  'model.layers.0.mixer.D',
  'model.layers.0.mixer.out_proj.weight',
  'model.layers.1.mlp.gate_proj.weight',
  'model.layers.10.mlp.up_proj.weight',
  'model.layers.1.post_attention_layernorm.weight',
  'model.norm.weight',
  'lm_head.weight',
];

const select = (patterns: string[]) => NAMES.filter((n) => matchesAny(n, patterns));

describe('parameter-name patterns', () => {
  it('the default no-decay set (D, norms, biases) picks exactly those parameters', () => {
    expect(select(['D', 'norm', 'bias'])).toEqual([
      'model.layers.0.input_layernorm.weight',
      'model.layers.0.mixer.z_bias',
      'model.layers.0.mixer.conv1d.bias',
      'model.layers.0.mixer.D',
      'model.layers.1.post_attention_layernorm.weight',
      'model.norm.weight',
    ]);
    expect(select([])).toEqual([]);
  });

  it('freeze-style patterns match by substring, numbers only whole', () => {
    expect(select(['mlp'])).toEqual(['model.layers.1.mlp.gate_proj.weight', 'model.layers.10.mlp.up_proj.weight']);
    expect(select(['embed'])).toEqual(['model.embed_tokens.weight']);
    expect(select(['layers.1.'])).toEqual([
      'model.layers.1.mlp.gate_proj.weight',
      'model.layers.1.post_attention_layernorm.weight',
    ]);
    expect(matchesPattern('model.layers.10.mlp.up_proj.weight', 'layers.1')).toBe(false);
    expect(matchesPattern('model.layers.1.mlp.up_proj.weight', 'layers.1')).toBe(true);
    expect(matchesPattern('model.layers.21.mixer.D', '1.mixer')).toBe(false);
  });

  it('globs match the whole name', () => {
    expect(select(['model.layers.*.mixer.D'])).toEqual(['model.layers.0.mixer.D']);
    expect(select(['*.weight']).length).toBe(10);
    expect(matchesPattern('model.norm.weight', 'norm*')).toBe(false);
    expect(matchesPattern('a.b(c)', 'a.b(*')).toBe(true);
    expect(matchesPattern('axb', 'a.b')).toBe(false);
  });

  it('is case-sensitive and never matches the empty pattern', () => {
    expect(matchesPattern('model.layers.0.mixer.dt_bias', 'D')).toBe(false);
    expect(matchesPattern('model.norm.weight', '')).toBe(false);
  });
});
