/**
 * An independent float64 forward pass written from the Hugging Face model definitions (LlamaForCausalLM,
 * PhiForCausalLM, GPT2LMHeadModel) with plain loops over Float64Array. It reads the tensors exactly as they
 * are stored on disk (GPT-2 Conv1D [in, out], everything else [out, in]) and shares no code with
 * runtime/models: a test writes a checkpoint, loads it through runtime/io + runtime/models, and compares.
 */
export type Family = 'llama' | 'phi' | 'gpt2';

export interface RefConfig {
  family: Family;
  d: number;
  layers: number;
  heads: number;
  kvHeads: number;
  vocab: number;
  ffn: number;
  maxPos: number;
  eps: number;
  theta: number;
  /** Rotary dims per head (phi partial rotary); llama rotates all. */
  rotaryDim: number;
  tied: boolean;
  /** llama attention_bias. */
  attnBias: boolean;
}

type W = Map<string, { shape: number[]; data: Float32Array }>;

/** y[n, out] = x[n, in] · Wᵀ (+ b) for W stored [out, in]; or x · W for W stored [in, out] (Conv1D). */
function linear(x: Float64Array, n: number, w: { shape: number[]; data: Float32Array }, b: Float32Array | undefined, conv1d = false): Float64Array {
  const [r, c] = w.shape;
  const inp = conv1d ? r : c;
  const out = conv1d ? c : r;
  const y = new Float64Array(n * out);
  for (let i = 0; i < n; i++)
    for (let o = 0; o < out; o++) {
      let s = b ? b[o] : 0;
      for (let k = 0; k < inp; k++) s += x[i * inp + k] * (conv1d ? w.data[k * out + o] : w.data[o * inp + k]);
      y[i * out + o] = s;
    }
  return y;
}

function rms(x: Float64Array, n: number, d: number, w: Float32Array, eps: number): Float64Array {
  const y = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let ss = 0;
    for (let k = 0; k < d; k++) ss += x[i * d + k] ** 2;
    const s = 1 / Math.sqrt(ss / d + eps);
    for (let k = 0; k < d; k++) y[i * d + k] = x[i * d + k] * s * w[k];
  }
  return y;
}

function ln(x: Float64Array, n: number, d: number, w: Float32Array, b: Float32Array, eps: number): Float64Array {
  const y = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let k = 0; k < d; k++) m += x[i * d + k];
    m /= d;
    let v = 0;
    for (let k = 0; k < d; k++) v += (x[i * d + k] - m) ** 2;
    v /= d;
    for (let k = 0; k < d; k++) y[i * d + k] = ((x[i * d + k] - m) / Math.sqrt(v + eps)) * w[k] + b[k];
  }
  return y;
}

const geluNew = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const silu = (x: number) => x / (1 + Math.exp(-x));

/** HF rotate-half on the first rd dims of one head vector (in place), at position p. */
function rope(v: Float64Array, off: number, rd: number, p: number, theta: number): void {
  const half = rd / 2;
  for (let i = 0; i < half; i++) {
    const ang = p / Math.pow(theta, (2 * i) / rd);
    const c = Math.cos(ang);
    const s = Math.sin(ang);
    const a = v[off + i];
    const b = v[off + i + half];
    v[off + i] = a * c - b * s;
    v[off + i + half] = b * c + a * s;
  }
}

/** Logits [T, V] (float64) of one sequence. */
export function referenceForward(cfg: RefConfig, w: W, ids: number[]): Float64Array {
  const { d, heads: H, kvHeads: KV, vocab: V } = cfg;
  const hd = d / H;
  const T = ids.length;
  const get = (n: string) => {
    const t = w.get(n);
    if (!t) throw new Error(`reference: no tensor ${n}`);
    return t;
  };
  const opt = (n: string) => w.get(n)?.data;
  const pre = cfg.family === 'gpt2' ? 'transformer.' : 'model.';
  const embName = cfg.family === 'gpt2' ? 'transformer.wte.weight' : 'model.embed_tokens.weight';
  const emb = get(embName).data;
  let x = new Float64Array(T * d);
  for (let t = 0; t < T; t++)
    for (let k = 0; k < d; k++) {
      x[t * d + k] = emb[ids[t] * d + k] + (cfg.family === 'gpt2' ? get('transformer.wpe.weight').data[t * d + k] : 0);
    }
  const norm = (h: Float64Array, name: string) =>
    cfg.family === 'llama' ? rms(h, T, d, get(`${name}.weight`).data, cfg.eps) : ln(h, T, d, get(`${name}.weight`).data, get(`${name}.bias`).data, cfg.eps);

  for (let l = 0; l < cfg.layers; l++) {
    const L = cfg.family === 'gpt2' ? `${pre}h.${l}.` : `${pre}layers.${l}.`;
    const u = norm(x, cfg.family === 'gpt2' ? `${L}ln_1` : `${L}input_layernorm`);
    let q: Float64Array, k: Float64Array, v: Float64Array;
    if (cfg.family === 'gpt2') {
      const qkv = linear(u, T, get(`${L}attn.c_attn.weight`), opt(`${L}attn.c_attn.bias`), true);
      q = new Float64Array(T * d);
      k = new Float64Array(T * d);
      v = new Float64Array(T * d);
      for (let t = 0; t < T; t++)
        for (let j = 0; j < d; j++) {
          q[t * d + j] = qkv[t * 3 * d + j];
          k[t * d + j] = qkv[t * 3 * d + d + j];
          v[t * d + j] = qkv[t * 3 * d + 2 * d + j];
        }
    } else {
      q = linear(u, T, get(`${L}self_attn.q_proj.weight`), opt(`${L}self_attn.q_proj.bias`));
      k = linear(u, T, get(`${L}self_attn.k_proj.weight`), opt(`${L}self_attn.k_proj.bias`));
      v = linear(u, T, get(`${L}self_attn.v_proj.weight`), opt(`${L}self_attn.v_proj.bias`));
      for (let t = 0; t < T; t++) {
        for (let h = 0; h < H; h++) rope(q, t * H * hd + h * hd, cfg.rotaryDim, t, cfg.theta);
        for (let h = 0; h < KV; h++) rope(k, t * KV * hd + h * hd, cfg.rotaryDim, t, cfg.theta);
      }
    }
    const ctx = new Float64Array(T * H * hd);
    const rep = H / KV;
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / rep);
      for (let t = 0; t < T; t++) {
        const s = new Float64Array(t + 1);
        let mx = -Infinity;
        for (let j = 0; j <= t; j++) {
          let dot = 0;
          for (let e = 0; e < hd; e++) dot += q[t * H * hd + h * hd + e] * k[j * KV * hd + g * hd + e];
          s[j] = dot / Math.sqrt(hd);
          mx = Math.max(mx, s[j]);
        }
        let z = 0;
        for (let j = 0; j <= t; j++) z += (s[j] = Math.exp(s[j] - mx));
        for (let e = 0; e < hd; e++) {
          let acc = 0;
          for (let j = 0; j <= t; j++) acc += (s[j] / z) * v[j * KV * hd + g * hd + e];
          ctx[t * H * hd + h * hd + e] = acc;
        }
      }
    }
    const oName = cfg.family === 'gpt2' ? `${L}attn.c_proj` : cfg.family === 'phi' ? `${L}self_attn.dense` : `${L}self_attn.o_proj`;
    const attnOut = linear(ctx, T, get(`${oName}.weight`), opt(`${oName}.bias`), cfg.family === 'gpt2');
    const mlpOf = (inp: Float64Array): Float64Array => {
      if (cfg.family === 'llama') {
        const g = linear(inp, T, get(`${L}mlp.gate_proj.weight`), undefined);
        const up = linear(inp, T, get(`${L}mlp.up_proj.weight`), undefined);
        for (let i = 0; i < g.length; i++) g[i] = silu(g[i]) * up[i];
        return linear(g, T, get(`${L}mlp.down_proj.weight`), undefined);
      }
      const [fc1, fc2] = cfg.family === 'phi' ? [`${L}mlp.fc1`, `${L}mlp.fc2`] : [`${L}mlp.c_fc`, `${L}mlp.c_proj`];
      const a = linear(inp, T, get(`${fc1}.weight`), opt(`${fc1}.bias`), cfg.family === 'gpt2');
      for (let i = 0; i < a.length; i++) a[i] = geluNew(a[i]);
      return linear(a, T, get(`${fc2}.weight`), opt(`${fc2}.bias`), cfg.family === 'gpt2');
    };
    const next = new Float64Array(T * d);
    if (cfg.family === 'phi') {
      const m = mlpOf(u);
      for (let i = 0; i < next.length; i++) next[i] = x[i] + attnOut[i] + m[i];
    } else {
      const mid = new Float64Array(T * d);
      for (let i = 0; i < mid.length; i++) mid[i] = x[i] + attnOut[i];
      const m = mlpOf(norm(mid, cfg.family === 'gpt2' ? `${L}ln_2` : `${L}post_attention_layernorm`));
      for (let i = 0; i < next.length; i++) next[i] = mid[i] + m[i];
    }
    x = next;
  }
  const finalName = cfg.family === 'gpt2' ? 'transformer.ln_f' : cfg.family === 'phi' ? 'model.final_layernorm' : 'model.norm';
  const hN = norm(x, finalName);
  const head = cfg.tied ? { shape: [V, d], data: emb } : get('lm_head.weight');
  return linear(hN, T, head, opt('lm_head.bias'));
}
