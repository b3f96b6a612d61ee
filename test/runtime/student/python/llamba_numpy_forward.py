"""Independent check of a Llamba export: reads model.safetensors + config.json with plain Python/numpy and runs
the forward pass of cartesia-ai/edge's LlambaLMHeadModel (cartesia_pytorch/Llamba: llamba.py, modeling_llama.py,
mixers/discrete_mamba2.py) in float64, with PyTorch's layer conventions written out (nn.Linear: x @ W.T,
nn.Embedding: row lookup, nn.Conv1d(groups=channels, padding=K-1)[..., :T]: causal depthwise conv).

usage: python3 llamba_numpy_forward.py EXPORT_DIR IDS_JSON OUT_JSON   (writes {"logits": [[...], ...]})
"""
import json
import struct
import sys

import numpy as np


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        if e["dtype"] != "F32":
            raise SystemExit(f"{name}: dtype {e['dtype']} (expected F32)")
        a, b = e["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype="<f4").reshape(e["shape"]).astype(np.float64)
    return out


def rms_norm(x, w, eps):
    return w * (x / np.sqrt((x * x).mean(-1, keepdims=True) + eps))


def silu(x):
    return x / (1.0 + np.exp(-x))


def softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def discrete_mamba2(W, p, u, cfg, d_model):
    ssm = cfg["ssm_cfg"]
    d_inner = ssm.get("expand", 1) * d_model
    H, G, N, K = ssm["n_v_heads"], ssm["n_qk_heads"], ssm["d_state"], ssm.get("d_conv", 4)
    P = d_inner // H
    T = u.shape[0]
    proj = u @ W[p + "in_proj.weight"].T
    if ssm.get("bias", False):
        proj = proj + W[p + "in_proj.bias"]
    conv_dim = d_inner + 2 * G * N
    xBC, z, a = proj[:, :conv_dim], proj[:, conv_dim : conv_dim + d_inner], proj[:, conv_dim + d_inner :]
    cw = W[p + "conv1d.weight"][:, 0, :]  # [conv_dim, K]
    padded = np.concatenate([np.zeros((K - 1, conv_dim)), xBC], 0)
    conv = np.stack([(padded[t : t + K] * cw.T).sum(0) for t in range(T)]) + W[p + "conv1d.bias"]
    x = conv[:, :d_inner].reshape(T, H, P)
    B = conv[:, d_inner : d_inner + G * N].reshape(T, G, N)
    C = conv[:, d_inner + G * N :].reshape(T, G, N)
    # The official kernel call: dt = a (softplus), A = -1, input x / softplus(a): decay exp(-softplus(a)), input x.
    decay = np.exp(-softplus(a))  # [T, H]
    S = np.zeros((H, P, N))
    y = np.zeros((T, H, P))
    for t in range(T):
        for h in range(H):
            g = h // (H // G)
            S[h] = decay[t, h] * S[h] + np.outer(x[t, h], B[t, g])
            y[t, h] = S[h] @ C[t, g]
    y = y + W[p + "D"][None, :, None] * x
    zb = 0 if ssm.get("bias", False) else W[p + "z_bias"]
    out = (y.reshape(T, d_inner) * silu(z + zb)) @ W[p + "out_proj.weight"].T
    if ssm.get("bias", False):
        out = out + W[p + "out_proj.bias"]
    return out


def main():
    export_dir, ids_file, out_file = sys.argv[1:4]
    cfg = json.load(open(f"{export_dir}/config.json"))
    if cfg.get("model_type") != "llamba":
        raise SystemExit(f"model_type {cfg.get('model_type')!r} is not llamba")
    W = load_safetensors(f"{export_dir}/model.safetensors")
    ids = json.load(open(ids_file))
    d = cfg["d_model"]
    h = W["backbone.embedding.weight"][ids]
    for i in range(cfg["n_layer"]):
        p = f"backbone.layers.{i}."
        res = h
        h = discrete_mamba2(W, p + "mixer.", rms_norm(h, W[p + "input_layernorm.weight"], 1e-5), cfg, d) + res
        res = h
        x = rms_norm(h, W[p + "post_attention_layernorm.weight"], 1e-5)
        mlp = (silu(x @ W[p + "mlp.gate_proj.weight"].T) * (x @ W[p + "mlp.up_proj.weight"].T)) @ W[p + "mlp.down_proj.weight"].T
        h = res + mlp
    h = rms_norm(h, W["backbone.final_layernorm.weight"], cfg["norm_epsilon"])
    head = W["backbone.embedding.weight"] if cfg["tie_embeddings"] else W["lm_head.weight"]
    logits = h @ head.T
    json.dump({"logits": logits.tolist()}, open(out_file, "w"))


if __name__ == "__main__":
    main()
