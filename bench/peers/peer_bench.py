"""PyTorch peer of the stories260K MOHAWK distillation steps, for side-by-side tokens/s (docs/performance.md).

Adapted from the project's shared peer harness `shared/bench/peer_bench.py` (project material: the teacher,
its run.c check, the Discrete Mamba-2 student with the einsum chunked SSD); changed here to run the SAME steps
as our generated program for specs/stories260k-llamba.mohawk: all three stages (the shared harness has no
stage 2), micro-batches of 8 sequences x 256 tokens accumulated 8 times per optimizer step (16,384 tokens),
the stage objectives of runtime/stages (stage 1: unsquared Frobenius per (batch, head), mean, summed over
layers; stage 2: unsquared L2 over the hidden size of block outputs, mean over tokens, summed over layers;
stage 3: soft-label CE), grad-norm clipping at 1 and AdamW(0.9, 0.95, wd 0.1) over the stage's trainable set.

Usage: python3 peer_bench.py --data DIR [--device cpu|cuda] [--threads 2] [--micro 8] [--accum 8] [--seq 256]
                             [--steps 3] [--warm 1] [--stages 1,2,3] [--json OUT]
DIR holds stories260K/stories260K.bin (and golden/once_upon_a_time_pos32_logits.f32 + .json for the check).
"""
import argparse, json, math, os, struct, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def load_llama2c(path):
    raw = open(path, "rb").read()
    dim, hidden, nl, nh, nkv, vocab, seq = struct.unpack("<7i", raw[:28])
    w = np.frombuffer(raw[28:], dtype="<f4")
    kv = dim * nkv // nh
    o = 0

    def take(*shape):
        nonlocal o
        n = int(np.prod(shape)); a = w[o:o + n].reshape(shape); o += n
        return torch.tensor(a.copy())

    p = dict(cfg=dict(dim=dim, hidden=hidden, nl=nl, nh=nh, nkv=nkv, vocab=abs(vocab), seq=seq))
    p["emb"] = take(abs(vocab), dim); p["rms_att"] = take(nl, dim)
    p["wq"] = take(nl, dim, dim); p["wk"] = take(nl, kv, dim); p["wv"] = take(nl, kv, dim); p["wo"] = take(nl, dim, dim)
    p["rms_ffn"] = take(nl, dim); p["w1"] = take(nl, hidden, dim); p["w2"] = take(nl, dim, hidden); p["w3"] = take(nl, hidden, dim)
    p["rms_final"] = take(dim)
    return p


def rms(x, w, eps=1e-5):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope(x, hs):  # x (b, T, heads, hs), adjacent pairs as in run.c
    T = x.shape[1]
    i = torch.arange(0, hs, 2, device=x.device, dtype=torch.float32)
    freq = 1.0 / (10000.0 ** (i / hs))
    ang = torch.arange(T, device=x.device, dtype=torch.float32)[:, None] * freq[None]
    c, s = ang.cos()[None, :, None, :], ang.sin()[None, :, None, :]
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack([x0 * c - x1 * s, x0 * s + x1 * c], -1).flatten(-2)


def mlp(p, l, h):
    return (F.silu(h @ p["w1"][l].T) * (h @ p["w3"][l].T)) @ p["w2"][l].T


class Teacher(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.c = p["cfg"]
        self.p = nn.ParameterDict({k: nn.Parameter(v, requires_grad=False) for k, v in p.items() if k != "cfg"})

    def forward(self, tok, want=False, logits=True):
        c, p = self.c, self.p
        b, T = tok.shape; nh, nkv, d = c["nh"], c["nkv"], c["dim"]; hs = d // nh
        x = p["emb"][tok]; hid, att = [x], []
        mask = torch.ones(T, T, dtype=torch.bool, device=tok.device).tril()
        for l in range(c["nl"]):
            h = rms(x, p["rms_att"][l])
            q = rope((h @ p["wq"][l].T).view(b, T, nh, hs), hs)
            k = rope((h @ p["wk"][l].T).view(b, T, nkv, hs), hs)
            v = (h @ p["wv"][l].T).view(b, T, nkv, hs)
            k = k.repeat_interleave(nh // nkv, 2); v = v.repeat_interleave(nh // nkv, 2)
            s = torch.einsum("bthd,bshd->bhts", q, k) / math.sqrt(hs)
            a = s.masked_fill(~mask, float("-inf")).softmax(-1)
            o = torch.einsum("bhts,bshd->bthd", a, v).reshape(b, T, d)
            if want: att.append(a)
            x = x + o @ p["wo"][l].T
            x = x + mlp(p, l, rms(x, p["rms_ffn"][l]))
            hid.append(x)
        out = rms(x, p["rms_final"]) @ p["emb"].T if logits else None
        return (out, hid, att) if want else out


def segsum(x):  # x (..., T) -> (..., T, T), stable
    T = x.shape[-1]
    x = x[..., None].expand(*x.shape, T)
    m1 = torch.ones(T, T, dtype=torch.bool, device=x.device).tril(-1)
    x = x.masked_fill(~m1, 0).cumsum(-2)
    m0 = torch.ones(T, T, dtype=torch.bool, device=x.device).tril(0)
    return x.masked_fill(~m0, float("-inf"))


def ssd_chunked(X, logd, B, C, Q):  # X (b,T,H,P), logd (b,T,H), B,C (b,T,H,N)
    b, T, H, P = X.shape
    c = T // Q
    X, logd, B, C = [t.reshape(b, c, Q, *t.shape[2:]) for t in (X, logd, B, C)]
    A = logd.permute(0, 3, 1, 2)  # b H c Q
    Acs = A.cumsum(-1)
    L = torch.exp(segsum(A))
    Yd = torch.einsum("bclhn,bcshn,bhcls,bcshp->bclhp", C, B, L, X)
    ds = torch.exp(Acs[..., -1:] - Acs)
    st = torch.einsum("bclhn,bhcl,bclhp->bchpn", B, ds, X)
    st = torch.cat([torch.zeros_like(st[:, :1]), st], 1)
    dc = torch.exp(segsum(F.pad(Acs[..., -1], (1, 0))))
    st = torch.einsum("bhzc,bchpn->bzhpn", dc, st)[:, :-1]
    Yo = torch.einsum("bclhn,bchpn,bhcl->bclhp", C, st, torch.exp(Acs))
    return (Yd + Yo).reshape(b, T, H, P)


class DM2(nn.Module):
    def __init__(self, d, H, P, N, K=4, Q=64):
        super().__init__()
        self.d, self.H, self.P, self.N, self.Q = d, H, P, N, Q
        di = H * P
        self.inp = nn.Linear(d, 2 * di + 2 * H * N + H, bias=False)
        self.conv = nn.Conv1d(di + 2 * H * N, di + 2 * H * N, K, groups=di + 2 * H * N, padding=K - 1)
        self.D = nn.Parameter(torch.ones(H)); self.zb = nn.Parameter(torch.full((di,), 1.278464542761))
        self.out = nn.Linear(di, d, bias=False)

    def parts(self, u):
        b, T, _ = u.shape; H, P, N = self.H, self.P, self.N; di = H * P
        xbc, z, a = torch.split(self.inp(u), [di + 2 * H * N, di, H], -1)
        xbc = self.conv(xbc.transpose(1, 2))[..., :T].transpose(1, 2)
        x, B, C = torch.split(xbc, [di, H * N, H * N], -1)
        return x.view(b, T, H, P), B.view(b, T, H, N), C.view(b, T, H, N), z, a

    def forward(self, u):
        x, B, C, z, a = self.parts(u)
        y = ssd_chunked(x, -F.softplus(a), B, C, self.Q) + self.D[:, None] * x
        b, T = u.shape[:2]
        return self.out(y.reshape(b, T, -1) * F.silu(z + self.zb))

    def matrix(self, u):
        _, B, C, _, a = self.parts(u)
        L = torch.exp(segsum((-F.softplus(a)).permute(0, 2, 1)))  # b H T T
        M = torch.einsum("bthn,bshn->bhts", C, B) * L
        return M + torch.diag_embed(self.D[None, :, None].expand(M.shape[0], -1, M.shape[-1]))


class Student(nn.Module):
    def __init__(self, t):
        super().__init__()
        c, p = t.c, t.p
        self.c = c
        hs = c["dim"] // c["nh"]
        self.mix = nn.ModuleList([DM2(c["dim"], c["nh"], hs, hs) for _ in range(c["nl"])])
        self.p = nn.ParameterDict({k: nn.Parameter(p[k].detach().clone()) for k in ["emb", "rms_att", "rms_ffn", "w1", "w2", "w3", "rms_final"]})

    def block(self, l, x):
        p = self.p
        x = x + self.mix[l](rms(x, p["rms_att"][l]))
        return x + mlp(p, l, rms(x, p["rms_ffn"][l]))

    def forward(self, tok):
        x = self.p["emb"][tok]
        for l in range(len(self.mix)):
            x = self.block(l, x)
        return rms(x, self.p["rms_final"]) @ self.p["emb"].T


def sync(dev):
    if dev == "cuda": torch.cuda.synchronize()


def bench(args, dev):
    torch.manual_seed(0)
    t = Teacher(load_llama2c(os.path.join(args.data, "stories260K", "stories260K.bin"))).to(dev)
    s = Student(t).to(dev)
    L = t.c["nl"]
    g = torch.Generator(device="cpu").manual_seed(1)
    batches = [torch.randint(0, 512, (args.micro, args.seq), generator=g).to(dev) for _ in range(args.accum)]

    def step(loss_fn, params, opt):
        opt.zero_grad(set_to_none=True)
        for tok in batches:
            (loss_fn(tok) / args.accum).backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    def stage1(tok):
        with torch.no_grad():
            _, hid, att = t(tok, want=True, logits=False)
        loss = 0
        for l, m in enumerate(s.mix):
            M = m.matrix(rms(hid[l], t.p["rms_att"][l]))
            loss = loss + torch.linalg.matrix_norm(M - att[l]).mean()
        return loss

    def stage2(tok):
        with torch.no_grad():
            _, hid, _ = t(tok, want=True, logits=False)
        loss = 0
        for l in range(L):
            loss = loss + (s.block(l, hid[l]) - hid[l + 1]).norm(dim=-1).mean()
        return loss

    def stage3(tok):
        with torch.no_grad():
            tl = t(tok)
        sl = s(tok)
        return -(tl.softmax(-1) * sl.log_softmax(-1)).sum(-1).mean()

    mixers = list(s.mix.parameters())
    everything = list(s.parameters())
    stages = {"1": ("orient", stage1, mixers), "2": ("align", stage2, everything), "3": ("distil", stage3, everything)}
    out = {}
    for k in args.stages.split(","):
        name, fn, params = stages[k]
        opt = torch.optim.AdamW(params, lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1)
        for _ in range(args.warm): step(fn, params, opt)
        sync(dev); t0 = time.perf_counter(); c0 = time.process_time()
        for _ in range(args.steps): step(fn, params, opt)
        sync(dev); dt = time.perf_counter() - t0; dc = time.process_time() - c0
        tokens = args.steps * args.accum * args.micro * args.seq
        out[name] = dict(tokens_per_s=round(tokens / dt), seconds_per_step=round(dt / args.steps, 4), cpu_s_per_step=round(dc / args.steps, 4))
        print(f"{dev} {name}: {out[name]}", flush=True)
    return out


def check_teacher(args):
    gold = os.path.join(args.data, "golden")
    meta_path = os.path.join(gold, "once_upon_a_time_pos32.json")
    if not os.path.exists(meta_path):
        return None
    t = Teacher(load_llama2c(os.path.join(args.data, "stories260K", "stories260K.bin")))
    meta = json.load(open(meta_path))
    logits = t(torch.tensor([meta["tokens_fed"]]))[0].detach().numpy()
    ref = np.fromfile(os.path.join(gold, "once_upon_a_time_pos32_logits.f32"), "<f4").reshape(32, 512)
    return float(np.abs(logits - ref).max())


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--micro", type=int, default=8)
    ap.add_argument("--accum", type=int, default=8)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warm", type=int, default=1)
    ap.add_argument("--stages", default="1,2,3")
    ap.add_argument("--json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    res = dict(device=args.device, threads=args.threads, micro=args.micro, accum=args.accum, seq=args.seq, steps=args.steps,
               torch=torch.__version__, teacher_vs_runc_max_abs_logit=check_teacher(args))
    if args.device == "cuda": res["gpu"] = torch.cuda.get_device_name(0)
    res["stages"] = bench(args, args.device)
    print(json.dumps(res), flush=True)
    if args.json: json.dump(res, open(args.json, "w"), indent=1)
