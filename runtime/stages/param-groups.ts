/**
 * Specs name parameter groups (`freeze = [mlp, embed]`, `no_decay = [D, norm, bias]`); the student's
 * parameters carry Hugging Face-style names. This maps one onto the other. A word that is not a group is a
 * parameter-name pattern as runtime/train/name-patterns.ts reads it.
 */
import type { StageIR } from '../../compiler/ir/types.ts';
import type { tf } from '../tensor/backend.ts';
import { matchesPattern } from '../train/name-patterns.ts';

const GROUP_TESTS: Record<string, (name: string) => boolean> = {
  embed: (n) => /(^|\.)(embed_tokens|embed_positions|wte|wpe)\./.test(n),
  // Block norms and the final norm; a Mamba-2 mixer's gated norm belongs to the mixer.
  norm: (n) => /norm[^.]*\.(weight|bias)$/.test(n) && !n.includes('.mixer.'),
  mlp: (n) => n.includes('.mlp.'),
  mixer: (n) => n.includes('.mixer.'),
  attention: (n) => /\.(self_attn|attn)\./.test(n),
  lm_head: (n) => n.startsWith('lm_head.'),
  D: (n) => /\.mixer\.D$/.test(n),
  bias: (n) => /(^|[._])bias$/.test(n),
  conv: (n) => n.includes('.conv1d.'),
};

export function inGroup(name: string, group: string): boolean {
  const test = GROUP_TESTS[group];
  return test ? test(name) : matchesPattern(name, group);
}

export function inAnyGroup(name: string, groups: readonly string[]): boolean {
  return groups.some((g) => inGroup(name, g));
}

/**
 * The parameters a stage trains: not frozen by its `freeze` groups nor by the student's layout (`frozen`),
 * and — for the per-layer stages — either outside every layer or in one of `stage.layers`.
 */
export function stageTrainable(
  stage: StageIR,
  params: ReadonlyMap<string, tf.Variable>,
  layerOf: (name: string) => number | undefined,
  frozen: ReadonlySet<string> = new Set(),
): Map<string, tf.Variable> {
  const layers = new Set(stage.layers);
  const perLayer = stage.kind !== 'end_to_end';
  const out = new Map<string, tf.Variable>();
  for (const [name, v] of params) {
    if (frozen.has(name) || inAnyGroup(name, stage.freeze)) continue;
    const l = layerOf(name);
    if (perLayer && l !== undefined && !layers.has(l)) continue;
    out.set(name, v);
  }
  return out;
}

/**
 * AdamW's no-decay list as exact parameter names (the optimizer matches name patterns; a full name matches
 * only itself among Hugging Face-style names).
 */
export function noDecayNames(names: Iterable<string>, groups: readonly string[]): string[] {
  return [...names].filter((n) => inAnyGroup(n, groups));
}
