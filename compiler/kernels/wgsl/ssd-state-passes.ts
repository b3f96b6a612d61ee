/**
 * WGSL passes that carry states between chunks (method.md §5.2 steps 2–3), forward and reverse.
 *
 * Layouts (row-major, f32): chunk buffers hold c slots of [b][H][P·N] states followed by c·b·H chunk
 * log-decay totals; the states buffer holds c+1 slots of [b][H][P·N] (slot k enters chunk k, slot c is the
 * final state), so each slot is contiguous across the batch.
 *
 * Decays inside a chunk are summed outward from where they are applied (reverse sums for weights to the chunk
 * end, forward sums from the chunk start), never as a difference of two long cumulative sums: with strong
 * decay those are large and their difference loses the digits that matter.
 */

/** chunk_state: S_loc[k] = Σ_j exp(Σ_{k>j} ℓ_k)·x̄_j ⊗ B_j, one workgroup per (chunk, head, batch). */
export const chunkStateCode = `var<workgroup> wS: array<f32, Q>;
var<workgroup> totS: f32;

fn main(index: i32) {
  let k = i32(workgroupId.x);
  let h = i32(workgroupId.y);
  let bi = i32(workgroupId.z);
  let T = uniforms.seqLen;
  let nb = uniforms.batch;
  let g = h / HPG;
  let tid = i32(localIndex);
  let t0 = k * Q;
  if (tid == 0) {
    let dtb = hpBuf[H + h];
    let alog = hpBuf[2 * H + h];
    var rho: f32 = 0.0;
    for (var j = Q - 1; j >= 0; j--) {
      let t = t0 + j;
      if (t < T) {
        let d = mk_decay(decBuf[(bi * T + t) * H + h], dtb, alog);
        wS[j] = exp(rho) * d.y;
        rho += d.x;
      } else {
        wS[j] = 0.0;
      }
    }
    totS = rho;
  }
  workgroupBarrier();
  let base = ((k * nb + bi) * H + h) * (P * N);
  for (var e = tid; e < P * N; e += WG) {
    let p = e / N;
    let n = e % N;
    var acc: f32 = 0.0;
    for (var j = 0; j < Q; j++) {
      let t = t0 + j;
      if (t >= T) {
        break;
      }
      acc += wS[j] * f32(xBuf[((bi * T + t) * H + h) * P + p]) * f32(bBuf[((bi * T + t) * G + g) * N + n]);
    }
    result[base + e] = acc;
  }
  if (tid == 0) {
    result[uniforms.chunks * nb * H * P * N + (k * nb + bi) * H + h] = totS;
  }
}
`;

/** state_pass: S_in[0] = S0, S_in[k+1] = exp(tot_k)·S_in[k] + S_loc[k]; one thread per state element. */
export const statePassCode = `fn main(index: i32) {
  let e = i32(workgroupId.x) * WG + i32(localIndex);
  let h = i32(workgroupId.y);
  let bi = i32(workgroupId.z);
  if (e >= P * N) {
    return;
  }
  let nb = uniforms.batch;
  let nc = uniforms.chunks;
  let slot = nb * H * P * N;
  let off = (bi * H + h) * P * N + e;
  var s: f32 = 0.0;
  if ((uniforms.flags & 1) != 0) {
    s = s0Buf[off];
  }
  for (var k = 0; k < nc; k++) {
    result[k * slot + off] = s;
    let tot = chunkBuf[nc * slot + (k * nb + bi) * H + h];
    s = exp(tot) * s + chunkBuf[k * slot + off];
  }
  result[nc * slot + off] = s;
}
`;

/** rev_chunk_state: dS_loc[k] = Σ_s exp(Σ_{k≤s} ℓ_k)·dy_s ⊗ C_s (the gradient a chunk sends to the state entering it). */
export const revChunkStateCode = `var<workgroup> wS: array<f32, Q>;
var<workgroup> totS: f32;

fn main(index: i32) {
  let k = i32(workgroupId.x);
  let h = i32(workgroupId.y);
  let bi = i32(workgroupId.z);
  let T = uniforms.seqLen;
  let nb = uniforms.batch;
  let g = h / HPG;
  let tid = i32(localIndex);
  let t0 = k * Q;
  if (tid == 0) {
    let dtb = hpBuf[H + h];
    let alog = hpBuf[2 * H + h];
    var lam: f32 = 0.0;
    for (var j = 0; j < Q; j++) {
      let t = t0 + j;
      if (t < T) {
        lam += mk_decay(decBuf[(bi * T + t) * H + h], dtb, alog).x;
        wS[j] = exp(lam);
      } else {
        wS[j] = 0.0;
      }
    }
    totS = lam;
  }
  workgroupBarrier();
  let base = ((k * nb + bi) * H + h) * (P * N);
  for (var e = tid; e < P * N; e += WG) {
    let p = e / N;
    let n = e % N;
    var acc: f32 = 0.0;
    for (var j = 0; j < Q; j++) {
      let t = t0 + j;
      if (t >= T) {
        break;
      }
      acc += wS[j] * f32(dyBuf[((bi * T + t) * H + h) * P + p]) * f32(cBuf[((bi * T + t) * G + g) * N + n]);
    }
    result[base + e] = acc;
  }
  if (tid == 0) {
    result[uniforms.chunks * nb * H * P * N + (k * nb + bi) * H + h] = totS;
  }
}
`;

/**
 * rev_state_pass: dS_out[c−1] = dS_final, dS_out[k−1] = exp(tot_k)·dS_out[k] + dS_loc[k], dS0 = dS_out[−1].
 * Writes [forward states copy | dS_out slots 0..c−1 | dS0] so the next pass reads both through one binding
 * (a tfjs-webgpu device allows 8 storage buffers per pass).
 */
export const revStatePassCode = `fn main(index: i32) {
  let e = i32(workgroupId.x) * WG + i32(localIndex);
  let h = i32(workgroupId.y);
  let bi = i32(workgroupId.z);
  if (e >= P * N) {
    return;
  }
  let nb = uniforms.batch;
  let nc = uniforms.chunks;
  let slot = nb * H * P * N;
  let off = (bi * H + h) * P * N + e;
  let total = (nc + 1) * slot;
  for (var k = 0; k <= nc; k++) {
    result[k * slot + off] = statesBuf[k * slot + off];
  }
  var ds: f32 = 0.0;
  if ((uniforms.flags & 2) != 0) {
    ds = dsfBuf[off];
  }
  for (var k = nc - 1; k >= 0; k--) {
    result[total + k * slot + off] = ds;
    let tot = dchunkBuf[nc * slot + (k * nb + bi) * H + h];
    ds = exp(tot) * ds + dchunkBuf[k * slot + off];
  }
  result[total + nc * slot + off] = ds;
}
`;
