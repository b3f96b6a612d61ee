/**
 * Hand-written CUDA templates for the kernels that are benchmarked on the H200: the forward's chunk-state and
 * chunk-scan passes on tensor cores, and the decode step as a vectorised streaming kernel. The other passes
 * are translated from WGSL (translate.ts).
 *
 * Tensor cores in f32 without losing f32 accuracy: every product a·b is computed as a_hi·b_hi + a_hi·b_lo +
 * a_lo·b_hi with a = a_hi + a_lo split into two TF32 numbers (3xTF32, ~2^-22 relative, against ~2^-11 for
 * plain TF32, which would miss the 1e-5 tolerance). Operands that come from bf16 data are exact in TF32 and
 * skip their low part. Cumulative decays inside a chunk are summed in double, so exp(λ_i − λ_j) keeps its
 * digits even when λ is large.
 */
import type { KernelVariantIR } from '../../ir/types.ts';

export interface FastConfig {
  /** Tensor-core chunk_state and chunk_scan. */
  tcForward: boolean;
  /** Vectorised step. */
  vecStep: boolean;
  scanWarps: number;
  scanSmem: number;
  stateSmem: number;
  /**
   * f32 chunk_scan reads C strips and the entering state as TF32 fragments straight from global memory (L2/L1)
   * instead of staging them: 111 KB of shared memory instead of 159 KB, so two blocks share an SM.
   */
  scanDirect: boolean;
}

const STATE_WARPS = 8;

/** Shared memory per SM and the largest block allocation, by architecture (CUDA programming guide). */
const SMEM_PER_SM: Record<number, number> = { 80: 164, 86: 100, 87: 164, 89: 100, 90: 228, 100: 228, 120: 100 };

export function fastConfig(v: KernelVariantIR, sm = 90): FastConfig {
  const perSm = (SMEM_PER_SM[sm] ?? 100) * 1024;
  const maxBlock = perSm - 1024;
  const twoPerSm = Math.floor(perSm / 2) - 1024;
  const ldn = v.n + 4;
  const ldp = v.p + 4;
  const lds = Math.max(v.p + 4, 20);
  const nw = v.q / 16;
  const stagedSmem = 4 * (2 * v.q * ldn + v.q * ldp + v.p * ldn + nw * 16 * lds + 2 * v.q) + 8 * (v.q + nw);
  const directSmem = 4 * (v.q * ldn + v.q * ldp + nw * 16 * lds + 16 * ldn + 2 * v.q) + 8 * (v.q + nw);
  const scanDirect = v.dtype === 'f32' && directSmem <= twoPerSm;
  const scanSmem = scanDirect ? directSmem : stagedSmem;
  const stateSmem = 4 * (v.q * (ldp + ldn) + v.q + 2) + 8 * STATE_WARPS;
  // WMMA TF32 needs sm_80 or newer.
  const shapeOk = sm >= 80 && v.n % 16 === 0 && v.p % 16 === 0 && v.q % 16 === 0 && v.q <= 256;
  const nv = v.n / 4;
  return {
    tcForward: shapeOk && scanSmem <= maxBlock && stateSmem <= maxBlock,
    vecStep: v.n % 4 === 0 && nv <= 32 && 32 % nv === 0,
    scanWarps: nw,
    scanSmem,
    stateSmem,
    scanDirect,
  };
}

/** Shared device helpers of the tensor-core kernels. */
export function tcHelpers(dtype: string): string {
  const exact = dtype !== 'f32';
  return `using namespace nvcuda;
typedef wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> FragARow;
typedef wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::col_major> FragACol;
typedef wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> FragBRow;
typedef wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::col_major> FragBCol;
typedef wmma::fragment<wmma::accumulator, 16, 16, 8, float> FragC;
// Operands from ${exact ? `${dtype} data are exact in TF32` : 'f32 data need a low part'}.
constexpr bool IO_EXACT = ${exact ? 'true' : 'false'};

template <class F>
__device__ __forceinline__ void split_tf32(F& hi, F& lo) {
#pragma unroll
  for (int i = 0; i < hi.num_elements; i++) {
    const float v = hi.x[i];
    const float h = wmma::__float_to_tf32(v);
    hi.x[i] = h;
    lo.x[i] = wmma::__float_to_tf32(v - h);
  }
}

// c += a·b with 3xTF32; an exact operand skips its low part.
template <bool A_EXACT, bool B_EXACT, class FA, class FB>
__device__ __forceinline__ void mma3(FragC& c, const FA& ah, const FA& al, const FB& bh, const FB& bl) {
  if (!A_EXACT) wmma::mma_sync(c, al, bh, c);
  if (!B_EXACT) wmma::mma_sync(c, ah, bl, c);
  wmma::mma_sync(c, ah, bh, c);
}

// Inclusive prefix sum over the block (every thread calls it; wsum holds one double per warp).
__device__ __forceinline__ double block_incl_scan(double v, double* wsum) {
  const int lane = threadIdx.x & 31;
  const int w = threadIdx.x >> 5;
#pragma unroll
  for (int o = 1; o < 32; o <<= 1) {
    const double n = __shfl_up_sync(0xffffffffu, v, o);
    if (lane >= o) v += n;
  }
  if (lane == 31) wsum[w] = v;
  __syncthreads();
  double add = 0.0;
  for (int i = 0; i < w; i++) add += wsum[i];
  __syncthreads();
  return v + add;
}

`;
}

/** 16-byte loads and stores of four values (bf16 data widened to f32). */
export function loadHelpers(dtype: string): string {
  return `__device__ __forceinline__ float4 load4(const float* p) { return *reinterpret_cast<const float4*>(p); }
${
  dtype === 'f16'
    ? `__device__ __forceinline__ float4 load4(const __half* p) {
  const uint2 raw = *reinterpret_cast<const uint2*>(p);
  const float2 a = __half22float2(*reinterpret_cast<const __half2*>(&raw.x));
  const float2 b = __half22float2(*reinterpret_cast<const __half2*>(&raw.y));
  return make_float4(a.x, a.y, b.x, b.y);
}`
    : ''
}${
  dtype === 'bf16'
    ? `__device__ __forceinline__ float4 load4(const __nv_bfloat16* p) {
  const uint2 raw = *reinterpret_cast<const uint2*>(p);
  const float2 a = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&raw.x));
  const float2 b = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&raw.y));
  return make_float4(a.x, a.y, b.x, b.y);
}`
    : ''
}
__device__ __forceinline__ void store4(float* p, float4 v) { *reinterpret_cast<float4*>(p) = v; }
`;
}

/** chunk_state on tensor cores: S_loc[k] (P×N) = X̃ᵀ·B with X̃_j = exp(Σ_{k>j} ℓ_k)·scale_j·x_j. */
export function tcChunkState(cfg: FastConfig): string {
  return `namespace pass_chunk_state_tc {
constexpr int NW = ${STATE_WARPS};
constexpr int NT = NW * 32;
constexpr int LDP = P + 4;
constexpr int LDN = N + 4;
constexpr int TILES = (P / 16) * (N / 16);
constexpr size_t SMEM = ${cfg.stateSmem};

__global__ void __launch_bounds__(NT) kernel(Uniforms uniforms, float* __restrict__ result, const io_t* __restrict__ xBuf,
                                             const float* __restrict__ decBuf, const io_t* __restrict__ bBuf,
                                             const float* __restrict__ hpBuf) {
  extern __shared__ __align__(128) float sm[];
  float* Xs = sm;
  float* Bs = Xs + Q * LDP;
  float* wS = Bs + Q * LDN;
  float* totS = wS + Q;
  double* wsum = reinterpret_cast<double*>(sm + Q * (LDP + LDN) + Q + 2);
  const int k = blockIdx.x, h = blockIdx.y, bi = blockIdx.z, g = h / HPG;
  const int T = uniforms.seqLen, nb = uniforms.batch, t0 = k * Q;
  const int nRows = min(Q, T - t0);
  const int tid = threadIdx.x;
  // Weights to the chunk end: reverse sums of ℓ in double (thread tid holds position Q-1-tid).
  {
    const int j = Q - 1 - tid;
    double l = 0.0;
    float sc = 0.0f;
    if (j >= 0 && j < nRows) {
      const float2 d = mk_decay(decBuf[(size_t)(bi * T + t0 + j) * H + h], hpBuf[H + h], hpBuf[2 * H + h]);
      l = d.x;
      sc = d.y;
    }
    const double incl = block_incl_scan(tid < Q ? l : 0.0, wsum);
    if (j >= 0) wS[j] = j < nRows ? expf((float)(incl - l)) * sc : 0.0f;
    if (tid == Q - 1) *totS = (float)incl;
  }
  __syncthreads();
  // Every thread issues all its global loads before the first shared store: with few blocks per SM, a
  // load-store-load loop would expose the memory latency once per iteration.
  {
    constexpr int IX = (Q * (P / 4) + NT - 1) / NT;
    constexpr int IB = (Q * (N / 4) + NT - 1) / NT;
    float4 rx[IX], rb[IB];
#pragma unroll
    for (int it = 0; it < IX; it++) {
      const int e = tid + it * NT, r = e / (P / 4), c = 4 * (e % (P / 4));
      rx[it] = make_float4(0.f, 0.f, 0.f, 0.f);
      if (e < Q * (P / 4) && r < nRows) rx[it] = load4(xBuf + ((size_t)(bi * T + t0 + r) * H + h) * P + c);
    }
#pragma unroll
    for (int it = 0; it < IB; it++) {
      const int e = tid + it * NT, r = e / (N / 4), c = 4 * (e % (N / 4));
      rb[it] = make_float4(0.f, 0.f, 0.f, 0.f);
      if (e < Q * (N / 4) && r < nRows) rb[it] = load4(bBuf + ((size_t)(bi * T + t0 + r) * G + g) * N + c);
    }
#pragma unroll
    for (int it = 0; it < IX; it++) {
      const int e = tid + it * NT, r = e / (P / 4), c = 4 * (e % (P / 4));
      if (e < Q * (P / 4)) {
        const float w = r < Q ? wS[r] : 0.0f;
        float4 v = rx[it];
        v.x *= w; v.y *= w; v.z *= w; v.w *= w;
        store4(Xs + r * LDP + c, v);
      }
    }
#pragma unroll
    for (int it = 0; it < IB; it++) {
      const int e = tid + it * NT, r = e / (N / 4), c = 4 * (e % (N / 4));
      if (e < Q * (N / 4)) store4(Bs + r * LDN + c, rb[it]);
    }
  }
  __syncthreads();
  const int warp = tid >> 5;
  float* out = result + ((size_t)(k * nb + bi) * H + h) * (P * N);
  if constexpr (TILES == 2 * NW && NW % (N / 16) == 0) {
    // Two output tiles per warp in the same column: one B fragment feeds two independent accumulator chains.
    const int tn = warp % (N / 16), tp0 = warp / (N / 16), tp1 = (warp + NW) / (N / 16);
    FragC c0, c1;
    wmma::fill_fragment(c0, 0.0f);
    wmma::fill_fragment(c1, 0.0f);
#pragma unroll 2
    for (int kk = 0; kk < Q / 8; kk++) {
      FragACol a0h, a0l, a1h, a1l;
      FragBRow bh, bl;
      wmma::load_matrix_sync(bh, Bs + kk * 8 * LDN + tn * 16, LDN);
      wmma::load_matrix_sync(a0h, Xs + kk * 8 * LDP + tp0 * 16, LDP);
      wmma::load_matrix_sync(a1h, Xs + kk * 8 * LDP + tp1 * 16, LDP);
      split_tf32(bh, bl);
      split_tf32(a0h, a0l);
      split_tf32(a1h, a1l);
      mma3<false, IO_EXACT>(c0, a0h, a0l, bh, bl);
      mma3<false, IO_EXACT>(c1, a1h, a1l, bh, bl);
    }
    wmma::store_matrix_sync(out + tp0 * 16 * N + tn * 16, c0, N, wmma::mem_row_major);
    wmma::store_matrix_sync(out + tp1 * 16 * N + tn * 16, c1, N, wmma::mem_row_major);
  } else {
    for (int tile = warp; tile < TILES; tile += NW) {
      const int tp = tile / (N / 16), tn = tile % (N / 16);
      FragC c;
      wmma::fill_fragment(c, 0.0f);
#pragma unroll 4
      for (int kk = 0; kk < Q / 8; kk++) {
        FragACol ah, al;
        FragBRow bh, bl;
        wmma::load_matrix_sync(ah, Xs + kk * 8 * LDP + tp * 16, LDP);
        wmma::load_matrix_sync(bh, Bs + kk * 8 * LDN + tn * 16, LDN);
        split_tf32(ah, al);
        split_tf32(bh, bl);
        mma3<false, IO_EXACT>(c, ah, al, bh, bl);
      }
      wmma::store_matrix_sync(out + tp * 16 * N + tn * 16, c, N, wmma::mem_row_major);
    }
  }
  if (tid == 0) result[(size_t)uniforms.chunks * nb * H * P * N + (size_t)(k * nb + bi) * H + h] = *totS;
}
}  // namespace pass_chunk_state_tc
`;
}

/**
 * chunk_scan on tensor cores, one warp per 16-row strip of the chunk:
 *   acc = C_strip·S_inᵀ, rows scaled by e^{λ_i};  acc += Σ_{column tiles ≤ strip} (C_strip·B_tileᵀ ⊙ L)·X_tile;
 *   y = acc + D·x.
 * Column tiles go two at a time (one C fragment, two independent accumulator chains).
 */
export function tcChunkScan(cfg: FastConfig): string {
  const direct = cfg.scanDirect;
  return `namespace pass_chunk_scan_tc {
constexpr int NW = ${cfg.scanWarps};
constexpr int NT = NW * 32;
constexpr int LDN = N + 4;
constexpr int LDP = P + 4;
constexpr int LDS = (P + 4) > 20 ? (P + 4) : 20;
constexpr int LDG = 20;
constexpr size_t SMEM = ${cfg.scanSmem};
// ${direct ? 'C strips and S_in are read as fragments from global memory; only a partial last strip is staged.' : 'C and S_in are staged in shared memory.'}
constexpr bool DIRECT = ${direct};

__global__ void __launch_bounds__(NT, ${direct ? 2 : 1}) kernel(Uniforms uniforms, io_t* __restrict__ result, const io_t* __restrict__ xBuf,
                                                const float* __restrict__ decBuf, const io_t* __restrict__ bBuf,
                                                const io_t* __restrict__ cBuf, const float* __restrict__ hpBuf,
                                                const float* __restrict__ statesBuf) {
  extern __shared__ __align__(128) float sm[];
  float* Bs = sm;
  float* Xs = Bs + Q * LDN;
  float* strips = Xs + Q * LDP;
  float* Cs = strips + NW * 16 * LDS;  // DIRECT: 16 rows (the partial strip); else Q rows
  float* Ss = Cs + (DIRECT ? 16 : Q) * LDN;  // unused when DIRECT
  float* scS = Ss + (DIRECT ? 0 : P * LDN);
  float* eLam = scS + Q;
  double* lamD = reinterpret_cast<double*>(eLam + Q);
  double* wsum = lamD + Q;
  const int k = blockIdx.x, h = blockIdx.y, bi = blockIdx.z, g = h / HPG;
  const int T = uniforms.seqLen, nb = uniforms.batch, t0 = k * Q;
  const int nRows = min(Q, T - t0);
  const int tid = threadIdx.x;
  {
    double l = 0.0;
    float sc = 0.0f;
    if (tid < nRows) {
      const float2 d = mk_decay(decBuf[(size_t)(bi * T + t0 + tid) * H + h], hpBuf[H + h], hpBuf[2 * H + h]);
      l = d.x;
      sc = d.y;
    }
    const double lam = block_incl_scan(l, wsum);
    if (tid < Q) {
      lamD[tid] = lam;
      scS[tid] = sc;
      eLam[tid] = expf((float)lam);
    }
  }
  // All global loads of a phase are issued before its shared stores: two exposed latencies per block.
  const float* sIn = statesBuf + ((size_t)(k * nb + bi) * H + h) * (P * N);
  // Rows of C staged: all of them, or (DIRECT) the 16 rows of a strip that runs past the end of the sequence.
  const int cRow0 = DIRECT ? (nRows / 16) * 16 : 0;
  const int cRows = DIRECT ? ((nRows % 16) ? 16 : 0) : Q;
  {
    constexpr int IB = (Q * (N / 4) + NT - 1) / NT;
    float4 rb[IB], rc[IB];
#pragma unroll
    for (int it = 0; it < IB; it++) {
      const int e = tid + it * NT, r = e / (N / 4), c = 4 * (e % (N / 4));
      rb[it] = make_float4(0.f, 0.f, 0.f, 0.f);
      rc[it] = rb[it];
      if (e < Q * (N / 4) && r < nRows) rb[it] = load4(bBuf + ((size_t)(bi * T + t0 + r) * G + g) * N + c);
      if (e < cRows * (N / 4) && cRow0 + r < nRows) rc[it] = load4(cBuf + ((size_t)(bi * T + t0 + cRow0 + r) * G + g) * N + c);
    }
#pragma unroll
    for (int it = 0; it < IB; it++) {
      const int e = tid + it * NT, r = e / (N / 4), c = 4 * (e % (N / 4));
      if (e < Q * (N / 4)) store4(Bs + r * LDN + c, rb[it]);
      if (e < cRows * (N / 4)) store4(Cs + r * LDN + c, rc[it]);
    }
  }
  {
    constexpr int IX = (Q * (P / 4) + NT - 1) / NT;
    constexpr int IS = DIRECT ? 1 : (P * (N / 4) + NT - 1) / NT;
    float4 rx[IX], rs[IS];
#pragma unroll
    for (int it = 0; it < IX; it++) {
      const int e = tid + it * NT, r = e / (P / 4), c = 4 * (e % (P / 4));
      rx[it] = make_float4(0.f, 0.f, 0.f, 0.f);
      if (e < Q * (P / 4) && r < nRows) rx[it] = load4(xBuf + ((size_t)(bi * T + t0 + r) * H + h) * P + c);
    }
    if (!DIRECT) {
#pragma unroll
      for (int it = 0; it < IS; it++) {
        const int e = tid + it * NT;
        if (e < P * (N / 4)) rs[it] = load4(sIn + 4 * e);
      }
    }
#pragma unroll
    for (int it = 0; it < IX; it++) {
      const int e = tid + it * NT, r = e / (P / 4), c = 4 * (e % (P / 4));
      if (e < Q * (P / 4)) store4(Xs + r * LDP + c, rx[it]);
    }
    if (!DIRECT) {
#pragma unroll
      for (int it = 0; it < IS; it++) {
        const int e = tid + it * NT, r = e / (N / 4), c = 4 * (e % (N / 4));
        if (e < P * (N / 4)) store4(Ss + r * LDN + c, rs[it]);
      }
    }
  }
  __syncthreads();
  const int w = tid >> 5, lane = tid & 31;
  const int r0 = w * 16;
  if (r0 >= nRows) return;
  float* strip = strips + w * 16 * LDS;
  // The A operand (this strip's rows of C) and the entering state as a column-major B operand.
  const bool staged = !DIRECT || r0 + 16 > nRows;
  const float* cA = staged ? Cs + (DIRECT ? 0 : r0 * LDN) : reinterpret_cast<const float*>(cBuf) + ((size_t)(bi * T + t0 + r0) * G + g) * N;
  const int ldA = staged ? LDN : G * N;
  const float* sB = DIRECT ? sIn : Ss;
  const int ldS = DIRECT ? N : LDN;
  FragC acc[P / 16];
#pragma unroll
  for (int pt = 0; pt < P / 16; pt++) wmma::fill_fragment(acc[pt], 0.0f);
  for (int kk = 0; kk < N / 8; kk++) {
    FragARow ah, al;
    wmma::load_matrix_sync(ah, cA + kk * 8, ldA);
    split_tf32(ah, al);
#pragma unroll
    for (int pt = 0; pt < P / 16; pt++) {
      FragBCol bh, bl;
      wmma::load_matrix_sync(bh, sB + pt * 16 * ldS + kk * 8, ldS);
      split_tf32(bh, bl);
      mma3<IO_EXACT, false>(acc[pt], ah, al, bh, bl);
    }
  }
#pragma unroll
  for (int pt = 0; pt < P / 16; pt++) wmma::store_matrix_sync(strip + pt * 16, acc[pt], LDS, wmma::mem_row_major);
  __syncwarp();
  for (int e = lane; e < 16 * P; e += 32) strip[(e / P) * LDS + e % P] *= eLam[r0 + e / P];
  __syncwarp();
#pragma unroll
  for (int pt = 0; pt < P / 16; pt++) wmma::load_matrix_sync(acc[pt], strip + pt * 16, LDS, wmma::mem_row_major);
  __syncwarp();
  // Inside the chunk: the strip's free space holds two 16×16 tiles of the masked C·Bᵀ at a time.
  float* gt0 = strip;
  float* gt1 = strip + 16 * LDG;
  for (int ct = 0; ct <= w; ct += 2) {
    const bool two = ct + 1 <= w;
    FragC g0, g1;
    wmma::fill_fragment(g0, 0.0f);
    wmma::fill_fragment(g1, 0.0f);
    for (int kk = 0; kk < N / 8; kk++) {
      FragARow ah, al;
      FragBCol b0h, b0l, b1h, b1l;
      wmma::load_matrix_sync(ah, cA + kk * 8, ldA);
      wmma::load_matrix_sync(b0h, Bs + ct * 16 * LDN + kk * 8, LDN);
      if (two) wmma::load_matrix_sync(b1h, Bs + (ct + 1) * 16 * LDN + kk * 8, LDN);
      split_tf32(ah, al);
      split_tf32(b0h, b0l);
      mma3<IO_EXACT, IO_EXACT>(g0, ah, al, b0h, b0l);
      if (two) {
        split_tf32(b1h, b1l);
        mma3<IO_EXACT, IO_EXACT>(g1, ah, al, b1h, b1l);
      }
    }
    wmma::store_matrix_sync(gt0, g0, LDG, wmma::mem_row_major);
    if (two) wmma::store_matrix_sync(gt1, g1, LDG, wmma::mem_row_major);
    __syncwarp();
    for (int e = lane; e < (two ? 512 : 256); e += 32) {
      const int tt = e >> 8, r = (e >> 4) & 15, c = e & 15;
      float* gt = tt ? gt1 : gt0;
      const int i = r0 + r, j = (ct + tt) * 16 + c;
      const float v = gt[r * LDG + c];
      gt[r * LDG + c] = (j <= i && i < nRows) ? v * expf((float)(lamD[i] - lamD[j])) * scS[j] : 0.0f;
    }
    __syncwarp();
    for (int tt = 0; tt < (two ? 2 : 1); tt++) {
#pragma unroll
      for (int kk = 0; kk < 2; kk++) {
        FragARow ah, al;
        wmma::load_matrix_sync(ah, (tt ? gt1 : gt0) + kk * 8, LDG);
        split_tf32(ah, al);
#pragma unroll
        for (int pt = 0; pt < P / 16; pt++) {
          FragBRow bh, bl;
          wmma::load_matrix_sync(bh, Xs + ((ct + tt) * 16 + kk * 8) * LDP + pt * 16, LDP);
          split_tf32(bh, bl);
          mma3<false, IO_EXACT>(acc[pt], ah, al, bh, bl);
        }
      }
    }
    __syncwarp();
  }
#pragma unroll
  for (int pt = 0; pt < P / 16; pt++) wmma::store_matrix_sync(strip + pt * 16, acc[pt], LDS, wmma::mem_row_major);
  __syncwarp();
  const float dh = hpBuf[h];
  for (int e = lane; e < 16 * P; e += 32) {
    const int r = e / P, p = e % P;
    const int i = r0 + r;
    if (i < nRows) result[((size_t)(bi * T + t0 + i) * H + h) * P + p] = from_f(strip[r * LDS + p] + dh * Xs[i * LDP + p]);
  }
}
}  // namespace pass_chunk_scan_tc
`;
}

/**
 * The decode step as a streaming kernel: each thread owns UNROLL float4 pieces of state rows, issues all loads
 * first, updates in registers, streams the state back (in place allowed), and the N/4 threads of a row reduce
 * y with shuffles.
 */
export function vecStep(): string {
  return `namespace pass_step_vec {
constexpr int NV = N / 4;
constexpr int NT = 256;
constexpr int UNROLL = 4;

__global__ void __launch_bounds__(NT) kernel(int batch, float* stateOut, float* __restrict__ yOut, const float* stateIn,
                                             const io_t* __restrict__ xBuf, const float* __restrict__ decBuf,
                                             const io_t* __restrict__ bBuf, const io_t* __restrict__ cBuf,
                                             const float* __restrict__ hpBuf) {
  const long long total = (long long)batch * H * P * NV;
  const long long base = (long long)blockIdx.x * NT * UNROLL + threadIdx.x;
  float4 s[UNROLL];
#pragma unroll
  for (int u = 0; u < UNROLL; u++) {
    const long long e = base + (long long)u * NT;
    s[u] = e < total ? __ldcs(reinterpret_cast<const float4*>(stateIn) + e) : make_float4(0.f, 0.f, 0.f, 0.f);
  }
#pragma unroll
  for (int u = 0; u < UNROLL; u++) {
    const long long e = base + (long long)u * NT;
    const bool ok = e < total;
    const long long row = ok ? e / NV : 0;
    const int part = (int)(e % NV);
    const int bi = (int)(row / (H * P));
    const int hp = (int)(row % (H * P));
    const int h = hp / P, g = h / HPG;
    const float2 d = mk_decay(decBuf[bi * H + h], hpBuf[H + h], hpBuf[2 * H + h]);
    const float alpha = expf(d.x);
    const float xv = to_f(xBuf[row]);
    const float xb = d.y * xv;
    const float4 b4 = load4(bBuf + (size_t)(bi * G + g) * N + 4 * part);
    const float4 c4 = load4(cBuf + (size_t)(bi * G + g) * N + 4 * part);
    float4 v = s[u];
    v.x = alpha * v.x + xb * b4.x;
    v.y = alpha * v.y + xb * b4.y;
    v.z = alpha * v.z + xb * b4.z;
    v.w = alpha * v.w + xb * b4.w;
    if (ok) __stcs(reinterpret_cast<float4*>(stateOut) + e, v);
    float y = v.x * c4.x + v.y * c4.y + v.z * c4.z + v.w * c4.w;
#pragma unroll
    for (int o = NV / 2; o > 0; o >>= 1) y += __shfl_xor_sync(0xffffffffu, y, o);
    if (ok && part == 0) yOut[row] = y + hpBuf[h] * xv;
  }
}
}  // namespace pass_step_vec
`;
}
