"""H200 harness for the generated CUDA kernels (runs on the GPU machine; PyTorch + Triton there, no Node needed).

1. Correctness: every CUDA variant of generated/kernels/kernels.json, every op, on fresh random inputs
   (T not a multiple of Q, with and without initial state), against float64 references computed with PyTorch:
   the naive recurrence (and autograd through it for the backward), the materialised matrix (autograd for its
   backward). Outputs and workspace are poisoned with NaN bytes before each run; a NaN left means an unwritten
   element. Tolerance: max|ours - ref| / max|ref| <= 1e-5 (f32), 1e-2 (bf16).
2. Ceilings: device copy bandwidth (read + write), 8192^3 matmul in fp32 (no TF32), TF32 and bf16.
3. Benchmarks at the Phi-Mamba/Llamba shape (b 8, T 2048, H 32, P 64, N 64, G 32, Q 128): our forward vs
   mamba_chunk_scan_combined (state-spaces/mamba Triton) in the same run, the decode step (b 256) vs the copy
   bandwidth and vs Triton's selective_state_update, our backward (for the record).

Usage: python3 harness.py --lib LIB.so --table kernels.json --vendor DIR_WITH_mamba_ssm --out DIR [--only-fwd]
"""
import argparse, ctypes, json, math, os, sys, time, traceback

import torch
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--lib", required=True)
ap.add_argument("--table", required=True)
ap.add_argument("--vendor", default="")
ap.add_argument("--out", default=".")
ap.add_argument("--only-fwd", action="store_true", help="run the benchmark-shape forward a few times (for ncu) and exit")
ap.add_argument("--copy-only", action="store_true", help="measure only the copy bandwidth among the ceilings (matmuls known)")
args = ap.parse_args()

dev = "cuda"
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
TABLE = json.load(open(args.table))["variants"]
LIB = ctypes.CDLL(args.lib)
RES = {"checks": [], "bench": {}, "errors": []}
TOL = {"f32": 1e-5, "bf16": 1e-2, "f16": 1e-2}
TDT = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}


def log(*a):
    print(*a, flush=True)


def ev(expr, d):
    return sum(math.prod(d[f] if isinstance(f, str) else f for f in term) for term in expr)


def shape_of(shape, d):
    return [ev(e, d) for e in shape]


class Op:
    """An extern "C" entry point with its plan: call(inputs) -> outputs (fresh NaN-poisoned tensors)."""

    def __init__(self, entry, op):
        self.entry, self.op = entry, op
        self.plan = entry["ops"][op]
        ep = entry["cuda"]["entryPoints"][op]
        self.fn = getattr(LIB, ep["symbol"])
        self.fn.restype = ctypes.c_int
        self.ws = getattr(LIB, ep["workspaceSymbol"])
        self.ws.restype = ctypes.c_size_t
        self.ws.argtypes = [ctypes.c_int, ctypes.c_int]

    def dims(self, batch, seq):
        return {"batch": batch, "seqLen": seq, "chunks": -(-seq // self.entry["q"])}

    def prepare(self, inputs, batch, seq):
        d = self.dims(batch, seq)
        outs = {}
        for o in self.plan["outputs"]:
            outs[o["name"]] = torch.full(shape_of(o["shape"], d), float("nan"), device=dev, dtype=TDT[o["dtype"]])
        ws = torch.full((max(1, self.ws(batch, seq)),), 255, device=dev, dtype=torch.uint8)
        ptrs = [ctypes.c_int(batch), ctypes.c_int(seq)]
        for spec in self.plan["inputs"]:
            t = inputs.get(spec["name"])
            if t is not None:
                assert t.is_contiguous() and t.dtype == TDT[spec["dtype"]] and t.numel() == ev(spec["size"], d), spec["name"]
            ptrs.append(ctypes.c_void_p(t.data_ptr() if t is not None else None))
        for o in self.plan["outputs"]:
            ptrs.append(ctypes.c_void_p(outs[o["name"]].data_ptr()))
        ptrs.append(ctypes.c_void_p(ws.data_ptr()))
        ptrs.append(ctypes.c_void_p(torch.cuda.current_stream().cuda_stream))
        return outs, ws, ptrs

    def __call__(self, inputs, batch, seq):
        outs, ws, ptrs = self.prepare(inputs, batch, seq)
        rc = self.fn(*ptrs)
        if rc != 0:
            raise RuntimeError(f"{self.entry['key']} {self.op}: cudaError {rc}")
        torch.cuda.synchronize()
        return outs


# ---------------------------------------------------------------- float64 references (PyTorch, autograd)

def decay_terms(dec, hp, decay):
    D, dtb, alog = hp[0], hp[1], hp[2]
    if decay == "discrete":
        return -F.softplus(dec), torch.ones_like(dec)
    d = F.softplus(dec + dtb)
    return -d * torch.exp(alog), d


def ssd_ref(x, dec, B, C, hp, s0, decay):
    b, T, H, P = x.shape
    G, N = B.shape[2], B.shape[3]
    logA, sc = decay_terms(dec, hp, decay)
    Bh = B.repeat_interleave(H // G, dim=2)
    Ch = C.repeat_interleave(H // G, dim=2)
    S = s0 if s0 is not None else torch.zeros(b, H, P, N, dtype=x.dtype, device=x.device)
    ys = []
    for t in range(T):
        S = torch.exp(logA[:, t])[..., None, None] * S + (sc[:, t, :, None] * x[:, t])[..., None] * Bh[:, t, :, None, :]
        ys.append(torch.einsum("bhpn,bhn->bhp", S, Ch[:, t]))
    return torch.stack(ys, 1) + hp[0][None, None, :, None] * x, S


def mat_ref(dec, B, C, hp, decay, H):
    logA, sc = decay_terms(dec, hp, decay)  # b T H
    G = B.shape[2]
    Bh = B.repeat_interleave(H // G, dim=2)
    Ch = C.repeat_interleave(H // G, dim=2)
    L = torch.cumsum(logA, 1).transpose(1, 2)  # b H T, float64: differences keep ~1e-13
    T = L.shape[-1]
    mask = torch.ones(T, T, dtype=torch.bool, device=L.device).tril()
    seg = (L[..., :, None] - L[..., None, :]).masked_fill(~mask, -float("inf"))
    M = torch.einsum("bthn,bshn->bhts", Ch, Bh) * torch.exp(seg) * sc.transpose(1, 2)[:, :, None, :]
    return M + torch.diag_embed(hp[0][None, :, None].expand(M.shape[0], H, T))


def rel(a, b):
    a = a.double()
    b = b.double()
    den = b.abs().max().item()
    num = (a - b).abs().max().item()
    return num / den if den > 0 else num


def rand_inputs(e, b, T, gen, with_s0):
    H, P, G, N = e["h"], e["p"], e["g"], e["n"]
    io = TDT[e["dtype"]]
    r = lambda *s, scale=1.0: (torch.randn(*s, device=dev, generator=gen, dtype=torch.float64) * scale)
    hp = torch.stack([r(H), torch.rand(H, device=dev, generator=gen, dtype=torch.float64) * 2 - 1,
                      torch.rand(H, device=dev, generator=gen, dtype=torch.float64) * 1.5 - 1])
    raw = dict(x=r(b, T, H, P).to(io), dec=r(b, T, H).float(), B=r(b, T, G, N, scale=N ** -0.5).to(io),
               C=r(b, T, G, N, scale=N ** -0.5).to(io), hp=hp.float(), s0=(r(b, H, P, N, scale=0.5).float() if with_s0 else None))
    return raw


def record(key, case, name, ours, ref_, dtype):
    err = rel(ours, ref_)
    finite = bool(torch.isfinite(ours.float()).all().item())
    ok = finite and err <= TOL[dtype]
    RES["checks"].append(dict(key=key, case=case, output=name, err=err, finite=finite, ok=ok))
    return ok


def check_variant(e, seed):
    key, dtype, decay = e["key"], e["dtype"], e["decay"]
    big = e["h"] * e["p"] * e["n"] > 8192
    gen = torch.Generator(device=dev).manual_seed(seed)
    kern = e["kernel"]
    f64 = lambda t: None if t is None else t.double()
    if kern == "ssd_fwd":
        op = Op(e, "forward")
        b, T = (2, 2 * e["q"] + 44) if big else (3, 2 * e["q"] + 37)
        for with_s0 in (True, False):
            r = rand_inputs(e, b, T, gen, with_s0)
            out = op(dict(xBuf=r["x"], decBuf=r["dec"], bBuf=r["B"], cBuf=r["C"], hpBuf=r["hp"], s0Buf=r["s0"]), b, T)
            y, S = ssd_ref(f64(r["x"]), f64(r["dec"]), f64(r["B"]), f64(r["C"]), f64(r["hp"]), f64(r["s0"]), decay)
            c = "with initial state" if with_s0 else "zero initial state"
            record(key, c, "y", out["y"], y, dtype)
            record(key, c, "finalState", out["finalState"], S, "f32")
    elif kern == "ssd_bwd":
        op = Op(e, "backward")
        b, T = (2, 2 * e["q"] + 44) if big else (3, 2 * e["q"] + 37)
        for full in (True, False):
            r = rand_inputs(e, b, T, gen, full)
            dy = torch.randn(r["x"].shape, device=dev, generator=gen, dtype=torch.float64).to(TDT[dtype])
            dsf = torch.randn(b, e["h"], e["p"], e["n"], device=dev, generator=gen, dtype=torch.float64).float() if full else None
            out = op(dict(xBuf=r["x"], decBuf=r["dec"], bBuf=r["B"], cBuf=r["C"], hpBuf=r["hp"], s0Buf=r["s0"], dyBuf=dy, dsfBuf=dsf), b, T)
            leaves = {k: (f64(v).requires_grad_() if v is not None else None) for k, v in r.items()}
            y, S = ssd_ref(leaves["x"], leaves["dec"], leaves["B"], leaves["C"], leaves["hp"], leaves["s0"], decay)
            loss = (y * dy.double()).sum() + ((S * dsf.double()).sum() if dsf is not None else 0)
            loss.backward()
            c = "initial state and dS_final" if full else "neither"
            record(key, c, "dx", out["dx"], leaves["x"].grad, "f32")
            record(key, c, "ddec", out["ddec"], leaves["dec"].grad, "f32")
            record(key, c, "dB", out["dB"], leaves["B"].grad, "f32")
            record(key, c, "dC", out["dC"], leaves["C"].grad, "f32")
            if full:
                record(key, c, "dS0", out["dS0"], leaves["s0"].grad, "f32")
            if decay == "continuous":
                record(key, c, "sum dAlogPart = dA_log", out["dAlogPart"].double().sum((0, 1)), leaves["hp"].grad[2], "f32")
                record(key, c, "sum ddec = d dt_bias", out["ddec"].double().sum((0, 1)), leaves["hp"].grad[1], "f32")
    elif kern == "ssd_step":
        op = Op(e, "forward")
        b = 5
        r = rand_inputs(e, b, 1, gen, True)
        x, dec, B, C = r["x"][:, 0].contiguous(), r["dec"][:, 0].contiguous(), r["B"][:, 0].contiguous(), r["C"][:, 0].contiguous()
        state = r["s0"]
        out = op(dict(stateBuf=state, xBuf=x, decBuf=dec, bBuf=B, cBuf=C, hpBuf=r["hp"]), b, 1)
        y, S = ssd_ref(f64(x)[:, None], f64(dec)[:, None], f64(B)[:, None], f64(C)[:, None], f64(r["hp"]), f64(state), decay)
        record(key, "one token", "state", out["state"], S, "f32")
        record(key, "one token", "y", out["y"], y[:, 0], "f32")
        # In place: state in and state out may be the same buffer.
        st = state.clone()
        outs, ws, ptrs = op.prepare(dict(stateBuf=st, xBuf=x, decBuf=dec, bBuf=B, cBuf=C, hpBuf=r["hp"]), b, 1)
        ptrs[2 + len(op.plan["inputs"])] = ctypes.c_void_p(st.data_ptr())
        assert op.fn(*ptrs) == 0
        torch.cuda.synchronize()
        record(key, "one token, in place", "state", st, S, "f32")
    else:
        b, T = (2, e["q"] + 72) if big else (3, e["q"] + 37)
        r = rand_inputs(e, b, T, gen, False)
        fwd, bwd = Op(e, "forward"), Op(e, "backward")
        out = fwd(dict(decBuf=r["dec"], bBuf=r["B"], cBuf=r["C"], hpBuf=r["hp"]), b, T)
        leaves = {k: (f64(v).requires_grad_() if v is not None else None) for k, v in r.items()}
        M = mat_ref(leaves["dec"], leaves["B"], leaves["C"], leaves["hp"], decay, e["h"])
        record(key, "matrix", "M", out["M"], M, dtype)
        dM = torch.randn(M.shape, device=dev, generator=gen, dtype=torch.float64).to(TDT[dtype])
        (M * dM.double()).sum().backward()
        g = bwd(dict(decBuf=r["dec"], bBuf=r["B"], cBuf=r["C"], hpBuf=r["hp"], dmBuf=dM), b, T)
        record(key, "matrix backward", "dB", g["dB"], leaves["B"].grad, "f32")
        record(key, "matrix backward", "dC", g["dC"], leaves["C"].grad, "f32")
        record(key, "matrix backward", "ddec", g["ddec"], leaves["dec"].grad, "f32")
        record(key, "matrix backward", "sum dDPart = dD", g["dDPart"].double().sum(0), leaves["hp"].grad[0], "f32")
        if decay == "continuous":
            record(key, "matrix backward", "sum dAlogPart = dA_log", g["dAlogPart"].double().sum((0, 1)), leaves["hp"].grad[2], "f32")


# ---------------------------------------------------------------- benchmarks

def do_bench(fn):
    import triton.testing as tt
    return tt.do_bench(fn, warmup=100, rep=500, return_mode="median")


def ceilings():
    a = torch.empty(2 ** 28, device=dev)
    b = torch.empty_like(a)
    a.normal_()
    ms = do_bench(lambda: b.copy_(a))
    RES["bench"]["copy_GBps"] = round(2 * a.numel() * 4 / ms / 1e6)
    del a, b
    if args.copy_only:
        return
    n = 8192
    for name, dt, tf32 in (("fp32_TFLOPs", torch.float32, False), ("tf32_TFLOPs", torch.float32, True), ("bf16_TFLOPs", torch.bfloat16, False)):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        x = torch.randn(n, n, device=dev, dtype=dt)
        y = torch.randn(n, n, device=dev, dtype=dt)
        ms = do_bench(lambda: x @ y)
        RES["bench"][name] = round(2 * n ** 3 / ms / 1e9, 1)
    torch.backends.cuda.matmul.allow_tf32 = False


BS = dict(b=8, T=2048, H=32, P=64, N=64, G=32, Q=128)


def bench_inputs(dtype, gen):
    b, T, H, P, N, G = BS["b"], BS["T"], BS["H"], BS["P"], BS["N"], BS["G"]
    io = TDT[dtype]
    x = torch.randn(b, T, H, P, device=dev, generator=gen).to(io)
    dt = torch.randn(b, T, H, device=dev, generator=gen)
    B = (torch.randn(b, T, G, N, device=dev, generator=gen) / 8).to(io)
    C = (torch.randn(b, T, G, N, device=dev, generator=gen) / 8).to(io)
    hp = torch.stack([torch.randn(H, device=dev, generator=gen), torch.zeros(H, device=dev), torch.zeros(H, device=dev)])
    return x, dt, B, C, hp


def floor_numbers(dtype):
    b, T, H, P, N, G, Q = (BS[k] for k in "b T H P N G Q".split())
    es = 4 if dtype == "f32" else 2
    byts = (b * T * H * P * 2 + b * T * G * N * 2) * es + b * T * H * 4
    dense = 2 * b * H * T * Q * (N + P) + 4 * b * H * T * N * P
    causal = 2 * b * H * T * (Q + 1) / 2 * (N + P) + 4 * b * H * T * N * P
    return byts, dense, causal


def time_graph(make):
    """Median time of one call replayed from a CUDA graph (no launch gaps); make(stream) returns the call that
    launches on that stream. None when capture fails."""
    try:
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            warm = make(s.cuda_stream)
            for _ in range(3):
                warm()
        torch.cuda.current_stream().wait_stream(s)
        torch.cuda.synchronize()
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            make(torch.cuda.current_stream().cuda_stream)()
        return do_bench(lambda: g.replay())
    except Exception as ex:  # noqa: BLE001 - report and go on
        RES["errors"].append(f"graph capture: {ex!r}"[:300])
        return None


def bench_forward(mamba):
    gen = torch.Generator(device=dev).manual_seed(1)
    ours_y = {}
    b, T = BS["b"], BS["T"]
    for dtype in ("f32", "bf16"):
        x, dt, B, C, hp = bench_inputs(dtype, gen)
        byts, dense, causal = floor_numbers(dtype)
        for decay in ("discrete", "continuous"):
            key = f"ssd_fwd_{decay}_n64_p64_h32_g32_q128_{dtype}"
            if key not in TABLE:
                continue
            op = Op(TABLE[key], "forward")
            outs, ws, ptrs = op.prepare(dict(xBuf=x, decBuf=dt, bBuf=B, cBuf=C, hpBuf=hp, s0Buf=None), b, T)
            call = lambda: op.fn(*ptrs)
            assert call() == 0
            torch.cuda.synchronize()
            ms = do_bench(call)
            gms = time_graph(lambda st: (lambda: op.fn(*ptrs[:-1], ctypes.c_void_p(st))))
            RES["bench"][key] = dict(ms=round(ms, 4), graph_ms=None if gms is None else round(gms, 4),
                                     GBps=round(byts / ms / 1e6), dense_TFLOPs=round(dense / ms / 1e9, 1), causal_TFLOPs=round(causal / ms / 1e9, 1))
            log("ours", key, RES["bench"][key])
            if decay == "continuous":
                ours_y[dtype] = outs["y"]
        if mamba is None:
            continue
        A = -torch.exp(hp[2])
        f = lambda: mamba(x, dt, A, B, C, BS["Q"], D=hp[0], dt_bias=hp[1], dt_softplus=True)
        y_t = f()
        ms = do_bench(f)
        f0 = lambda: mamba(x, dt, A, B, C, BS["Q"], dt_softplus=True)
        ms0 = do_bench(f0)
        tk = f"triton_fwd_{dtype}"
        RES["bench"][tk] = dict(ms=round(ms, 4), ms_without_D=round(ms0, 4), GBps=round(byts / ms / 1e6), dense_TFLOPs=round(dense / ms / 1e9, 1))
        if dtype in ours_y:
            RES["bench"][tk]["ours_vs_triton_rel"] = rel(ours_y[dtype], y_t)
        log("triton", dtype, RES["bench"][tk])


def bench_step(ssu):
    gen = torch.Generator(device=dev).manual_seed(2)
    bd, H, P, N, G = 256, BS["H"], BS["P"], BS["N"], BS["G"]
    copy = RES["bench"]["copy_GBps"]
    for key in ("ssd_step_discrete_n64_p64_h32_g32_q128_f32", "ssd_step_continuous_n64_p64_h32_g32_q128_f32", "ssd_step_discrete_n64_p64_h32_g32_q128_bf16"):
        if key not in TABLE:
            continue
        e = TABLE[key]
        io = TDT[e["dtype"]]
        state = torch.randn(bd, H, P, N, device=dev, generator=gen)
        x = torch.randn(bd, H, P, device=dev, generator=gen).to(io)
        dec = torch.randn(bd, H, device=dev, generator=gen)
        B = torch.randn(bd, G, N, device=dev, generator=gen).to(io)
        C = torch.randn(bd, G, N, device=dev, generator=gen).to(io)
        hp = torch.stack([torch.randn(H, device=dev, generator=gen), torch.zeros(H, device=dev), torch.zeros(H, device=dev)])
        op = Op(e, "forward")
        outs, ws, ptrs = op.prepare(dict(stateBuf=state, xBuf=x, decBuf=dec, bBuf=B, cBuf=C, hpBuf=hp), bd, 1)
        ptrs[2 + len(op.plan["inputs"])] = ctypes.c_void_p(state.data_ptr())  # in place, as decoding runs
        call = lambda: op.fn(*ptrs)
        ms = do_bench(call)
        gms = time_graph(lambda st: (lambda: op.fn(*ptrs[:-1], ctypes.c_void_p(st))))
        byts = state.numel() * 4 * 2
        best = min(ms, gms) if gms else ms
        RES["bench"][key] = dict(batch=bd, ms=round(ms, 4), graph_ms=None if gms is None else round(gms, 4), state_GBps=round(byts / best / 1e6),
                                 fraction_of_copy=round(byts / best / 1e6 / copy, 3))
        log("ours", key, RES["bench"][key])
    if ssu is not None:
        state = torch.randn(bd, H, P, N, device=dev, generator=gen)
        x = torch.randn(bd, H, P, device=dev, generator=gen)
        dtt = torch.randn(bd, H, P, device=dev, generator=gen)
        A3 = -torch.ones(H, P, N, device=dev)
        B1 = torch.randn(bd, G, N, device=dev, generator=gen)
        C1 = torch.randn(bd, G, N, device=dev, generator=gen)
        Dz = torch.zeros(H, P, device=dev)
        dtb = torch.zeros(H, P, device=dev)
        ms = do_bench(lambda: ssu(state, x, dtt, A3, B1, C1, D=Dz, dt_bias=dtb, dt_softplus=True))
        byts = state.numel() * 4 * 2
        RES["bench"]["triton_step_f32"] = dict(batch=bd, ms=round(ms, 4), state_GBps=round(byts / ms / 1e6), fraction_of_copy=round(byts / ms / 1e6 / copy, 3))
        log("triton step", RES["bench"]["triton_step_f32"])


def bench_backward():
    gen = torch.Generator(device=dev).manual_seed(3)
    key = "ssd_bwd_discrete_n64_p64_h32_g32_q128_f32"
    if key not in TABLE:
        return
    b, T = BS["b"], BS["T"]
    x, dt, B, C, hp = bench_inputs("f32", gen)
    dy = torch.randn_like(x)
    op = Op(TABLE[key], "backward")
    outs, ws, ptrs = op.prepare(dict(xBuf=x, decBuf=dt, bBuf=B, cBuf=C, hpBuf=hp, s0Buf=None, dyBuf=dy, dsfBuf=None), b, T)
    call = lambda: op.fn(*ptrs)
    assert call() == 0
    RES["bench"][key] = dict(ms=round(do_bench(call), 4))
    log("ours", key, RES["bench"][key])


def main():
    torch.cuda.init()
    RES["device"] = torch.cuda.get_device_name(0)
    mamba = ssu = None
    if args.vendor:
        sys.path.insert(0, args.vendor)
        try:
            from mamba_ssm.ops.triton.ssd_combined import mamba_chunk_scan_combined as mamba
            from mamba_ssm.ops.triton.selective_state_update import selective_state_update as ssu
        except Exception as ex:  # noqa: BLE001
            RES["errors"].append(f"triton import: {ex!r}"[:500])
    if args.only_fwd:
        gen = torch.Generator(device=dev).manual_seed(1)
        x, dt, B, C, hp = bench_inputs("f32", gen)
        op = Op(TABLE["ssd_fwd_discrete_n64_p64_h32_g32_q128_f32"], "forward")
        for _ in range(3):
            op(dict(xBuf=x, decBuf=dt, bBuf=B, cBuf=C, hpBuf=hp, s0Buf=None), BS["b"], BS["T"])
        return
    t0 = time.time()
    for i, key in enumerate(sorted(k for k, e in TABLE.items() if "cuda" in e)):
        try:
            check_variant(TABLE[key], 1000 + i)
        except Exception as ex:  # noqa: BLE001 - one broken variant must not hide the others
            RES["checks"].append(dict(key=key, case="run", output="-", err=float("inf"), finite=False, ok=False, error=repr(ex)[:300]))
            traceback.print_exc()
    RES["check_seconds"] = round(time.time() - t0, 1)
    for stage in (ceilings, lambda: bench_forward(mamba), lambda: bench_step(ssu), bench_backward):
        try:
            stage()
        except Exception as ex:  # noqa: BLE001
            RES["errors"].append(repr(ex)[:500])
            traceback.print_exc()


try:
    main()
finally:
    if not args.only_fwd:
        json.dump(RES, open(os.path.join(args.out, "h200.json"), "w"), indent=1, default=str)
        bad = [c for c in RES["checks"] if not c["ok"]]
        log(f"\ncorrectness: {len(RES['checks']) - len(bad)}/{len(RES['checks'])} outputs within tolerance "
            f"({len({c['key'] for c in RES['checks']})} variants, {RES.get('check_seconds')} s)")
        for c in bad[:25]:
            log("  FAIL", c["key"], c["case"], c["output"], f"err={c['err']:.2e}", "finite" if c["finite"] else "NaN/unwritten", c.get("error", ""))
        worst = {}
        for c in RES["checks"]:
            k = c["key"]
            worst[k] = max(worst.get(k, 0.0), c["err"])
        for k in sorted(worst):
            log(f"  {k:48s} worst rel err {worst[k]:.2e}")
        bn = RES["bench"]
        log("\nbench (H200, b 8, T 2048, H 32, P 64, N 64, Q 128):")
        for k in sorted(bn):
            log(f"  {k}: {bn[k]}")
        for e in RES["errors"]:
            log("  ERROR", e)
