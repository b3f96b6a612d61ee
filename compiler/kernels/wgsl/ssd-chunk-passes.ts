/**
 * WGSL passes that work inside one chunk: the forward chunk scan (method.md §5.2 steps 1, 4, 5) and the
 * backward main pass.
 *
 * Backward identities (per head; ℓ = log α, x̄ = scale·x, dS the gradient of a state, λ_i = ℓ_0+…+ℓ_i and
 * ρ_i = ℓ_{i+1}+…+ℓ_{Q−1} inside a chunk):
 *   dx̄_i = Σ_{j≥i} (B_i·C_j) e^{λ_j−λ_i} dy_j + e^{ρ_i} dS_out·B_i
 *   dB_i = Σ_h dS_iᵀ x̄_i,   dC_i = Σ_h S_iᵀ dy_i                              (summed over the group's heads)
 *   dℓ_i = ⟨dS_i, α_i S_{i−1}⟩ = e^{λ_{Q−1}}⟨dS_out, S_in⟩ + Σ_{j<i} e^{ρ_j} x̄_j·(dS_out B_j)
 *          + Σ_{m≥i} e^{λ_m} dy_m·(S_in C_m) + Σ_{m≥i>j} e^{λ_m−λ_j} (dy_m·x̄_j)(C_m·B_j)
 * The last term is a rectangle sum of the masked attention-like matrix, taken from row prefix sums. Every sum
 * adds real contributions: the shorter telescoped form Σ_{m≥i}(dy_m·y_m − x̄_m·dx̄_m) cancels, and its error
 * grew with T (4.7e-6 relative at T = 150 for N = P = 64).
 */

/** Shared prologue: per-token ℓ, scale, e^{λ_i} (from the chunk start) and e^{ρ_i} (to the chunk end). */
const tokenDecays = (head: string) => `    let dtb = hpBuf[H + ${head}];
    let alog = hpBuf[2 * H + ${head}];
    var lam: f32 = 0.0;
    for (var i = 0; i < Q; i++) {
      let t = t0 + i;
      if (t < T) {
        let d = mk_decay(decBuf[(bi * T + t) * H + ${head}], dtb, alog);
        ellS[i] = d.x;
        scS[i] = d.y;
        lam += d.x;
      } else {
        ellS[i] = 0.0;
        scS[i] = 0.0;
      }
      eLamS[i] = exp(lam);
    }
    var rho: f32 = 0.0;
    for (var i = Q - 1; i >= 0; i--) {
      eRhoS[i] = exp(rho);
      rho += ellS[i];
    }`;

/** chunk_scan: y_i = Σ_{j≤i} (C_i·B_j)·e^{ℓ_{j+1}+…+ℓ_i}·x̄_j + e^{λ_i}·S_in·C_i + D·x_i. */
export const chunkScanCode = `var<workgroup> ellS: array<f32, Q>;
var<workgroup> scS: array<f32, Q>;
var<workgroup> eLamS: array<f32, Q>;
var<workgroup> eRhoS: array<f32, Q>;
var<workgroup> tileS: array<f32, RQ>;

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
${tokenDecays('h')}
  }
  workgroupBarrier();
  let nRows = min(Q, T - t0);
  let dh = hpBuf[h];
  let sBase = ((k * nb + bi) * H + h) * P * N;
  for (var r0 = 0; r0 < Q; r0 += R) {
    for (var e = tid; e < RQ; e += WG) {
      let i = r0 + e / Q;
      let j = e % Q;
      var cb: f32 = 0.0;
      if (i < nRows && j <= i) {
        let cOff = ((bi * T + t0 + i) * G + g) * N;
        let bOff = ((bi * T + t0 + j) * G + g) * N;
        for (var n = 0; n < N; n++) {
          cb += f32(cBuf[cOff + n]) * f32(bBuf[bOff + n]);
        }
      }
      tileS[e] = cb;
    }
    workgroupBarrier();
    // The decay mask, summed outward from the diagonal along each row.
    for (var r = tid; r < R; r += WG) {
      let i = r0 + r;
      if (i < nRows) {
        var seg: f32 = 0.0;
        for (var j = i; j >= 0; j--) {
          tileS[r * Q + j] *= exp(seg) * scS[j];
          seg += ellS[j];
        }
      }
    }
    workgroupBarrier();
    for (var e = tid; e < R * P; e += WG) {
      let r = e / P;
      let p = e % P;
      let i = r0 + r;
      if (i < nRows) {
        let t = t0 + i;
        var acc: f32 = 0.0;
        for (var j = 0; j <= i; j++) {
          acc += tileS[r * Q + j] * f32(xBuf[((bi * T + t0 + j) * H + h) * P + p]);
        }
        var off: f32 = 0.0;
        let cOff = ((bi * T + t) * G + g) * N;
        for (var n = 0; n < N; n++) {
          off += statesBuf[sBase + p * N + n] * f32(cBuf[cOff + n]);
        }
        let xo = ((bi * T + t) * H + h) * P + p;
        result[xo] = io_t(acc + eLamS[i] * off + dh * f32(xBuf[xo]));
      }
    }
    workgroupBarrier();
  }
}
`;

/**
 * bwd_main, one workgroup per (chunk, group, batch), looping over the group's heads so that dB and dC are summed
 * without atomics. Tiles per row i of a block: dotS = B_i·C_j (j ≥ i) or C_i·B_j (j ≤ i) — equal on the
 * diagonal; decS = the decay between i and j; xyS = x_i·dy_j (j ≥ i) or dy_i·x_j (j ≤ i).
 * Output (f32): [dx (b,T,H,P) | dB (b,T,G,N) | dC (b,T,G,N) | d(decay input) (b,T,H) | dA_log terms (b,T,H)];
 * the host sums the dA_log terms (and the dt gradient, for dt_bias) over batch and time.
 */
export const bwdMainCode = (continuous: boolean) => `var<workgroup> ellS: array<f32, Q>;
var<workgroup> scS: array<f32, Q>;
var<workgroup> eLamS: array<f32, Q>;
var<workgroup> eRhoS: array<f32, Q>;
var<workgroup> dotS: array<f32, RQ>;
var<workgroup> decS: array<f32, RQ>;
var<workgroup> xyS: array<f32, RQ>;
var<workgroup> rectS: array<f32, Q>;
var<workgroup> uS: array<f32, Q>;
var<workgroup> vS: array<f32, Q>;
var<workgroup> qS: array<f32, Q>;
var<workgroup> constS: f32;

fn main(index: i32) {
  let k = i32(workgroupId.x);
  let g = i32(workgroupId.y);
  let bi = i32(workgroupId.z);
  let T = uniforms.seqLen;
  let nb = uniforms.batch;
  let nc = uniforms.chunks;
  let tid = i32(localIndex);
  let t0 = k * Q;
  let nRows = min(Q, T - t0);
  let slot = nb * H * P * N;
  let offDB = nb * T * H * P;
  let offDC = offDB + nb * T * G * N;
  let offDdec = offDC + nb * T * G * N;
  let offDalog = offDdec + nb * T * H;
  for (var hh = 0; hh < HPG; hh++) {
    let h = g * HPG + hh;
    let sIn = k * slot + (bi * H + h) * P * N;
    let dSo = (nc + 1) * slot + k * slot + (bi * H + h) * P * N;
    if (tid == 0) {
${tokenDecays('h')}
      var ss: f32 = 0.0;
      for (var e = 0; e < P * N; e++) {
        ss += bothBuf[dSo + e] * bothBuf[sIn + e];
      }
      constS = eLamS[Q - 1] * ss;
    }
    for (var i = tid; i < Q; i += WG) {
      rectS[i] = 0.0;
    }
    workgroupBarrier();
    let dh = hpBuf[h];
    for (var r0 = 0; r0 < Q; r0 += R) {
      for (var e = tid; e < RQ; e += WG) {
        let i = r0 + e / Q;
        let j = e % Q;
        var dv: f32 = 0.0;
        var xy: f32 = 0.0;
        if (i < nRows && j < nRows) {
          let ti = bi * T + t0 + i;
          let tj = bi * T + t0 + j;
          if (j >= i) {
            for (var n = 0; n < N; n++) {
              dv += f32(bBuf[(ti * G + g) * N + n]) * f32(cBuf[(tj * G + g) * N + n]);
            }
            for (var p = 0; p < P; p++) {
              xy += f32(xBuf[(ti * H + h) * P + p]) * f32(dyBuf[(tj * H + h) * P + p]);
            }
          } else {
            for (var n = 0; n < N; n++) {
              dv += f32(cBuf[(ti * G + g) * N + n]) * f32(bBuf[(tj * G + g) * N + n]);
            }
            for (var p = 0; p < P; p++) {
              xy += f32(dyBuf[(ti * H + h) * P + p]) * f32(xBuf[(tj * H + h) * P + p]);
            }
          }
        }
        dotS[e] = dv;
        xyS[e] = xy;
        decS[e] = 0.0;
      }
      workgroupBarrier();
      // Decays between i and j, summed outward from the diagonal in both directions.
      for (var r = tid; r < R; r += WG) {
        let i = r0 + r;
        if (i < nRows) {
          var seg: f32 = 0.0;
          for (var j = i; j >= 0; j--) {
            decS[r * Q + j] = exp(seg);
            seg += ellS[j];
          }
          seg = 0.0;
          for (var j = i + 1; j < nRows; j++) {
            seg += ellS[j];
            decS[r * Q + j] = exp(seg);
          }
        }
      }
      workgroupBarrier();
      // dx_i = scale_i·dx̄_i + D·dy_i
      for (var e = tid; e < R * P; e += WG) {
        let r = e / P;
        let p = e % P;
        let i = r0 + r;
        if (i < nRows) {
          let ti = bi * T + t0 + i;
          var acc: f32 = 0.0;
          for (var j = i; j < nRows; j++) {
            acc += dotS[r * Q + j] * decS[r * Q + j] * f32(dyBuf[((bi * T + t0 + j) * H + h) * P + p]);
          }
          var sb: f32 = 0.0;
          for (var n = 0; n < N; n++) {
            sb += bothBuf[dSo + p * N + n] * f32(bBuf[(ti * G + g) * N + n]);
          }
          let xo = (ti * H + h) * P + p;
          result[xo] = scS[i] * (acc + eRhoS[i] * sb) + dh * f32(dyBuf[xo]);
        }
      }
      // dB_i += scale_i·(Σ_{j≥i} dec·(x_i·dy_j)·C_j + e^{ρ_i}·dS_outᵀ x_i); dC_i += Σ_{j≤i} dec·scale_j·(dy_i·x_j)·B_j + e^{λ_i}·S_inᵀ dy_i
      for (var e = tid; e < R * N; e += WG) {
        let r = e / N;
        let n = e % N;
        let i = r0 + r;
        if (i < nRows) {
          let ti = bi * T + t0 + i;
          var ab: f32 = 0.0;
          for (var j = i; j < nRows; j++) {
            ab += decS[r * Q + j] * xyS[r * Q + j] * f32(cBuf[((bi * T + t0 + j) * G + g) * N + n]);
          }
          var ac: f32 = 0.0;
          for (var j = 0; j <= i; j++) {
            ac += decS[r * Q + j] * scS[j] * xyS[r * Q + j] * f32(bBuf[((bi * T + t0 + j) * G + g) * N + n]);
          }
          var sx: f32 = 0.0;
          var sy: f32 = 0.0;
          for (var p = 0; p < P; p++) {
            sx += bothBuf[dSo + p * N + n] * f32(xBuf[(ti * H + h) * P + p]);
            sy += bothBuf[sIn + p * N + n] * f32(dyBuf[(ti * H + h) * P + p]);
          }
          let db = scS[i] * (ab + eRhoS[i] * sx);
          let dc = ac + eLamS[i] * sy;
          let ob = offDB + (ti * G + g) * N + n;
          let oc = offDC + (ti * G + g) * N + n;
          if (hh == 0) {
            result[ob] = db;
            result[oc] = dc;
          } else {
            result[ob] = result[ob] + db;
            result[oc] = result[oc] + dc;
          }
        }
      }
      // Per-row scalars: q_i = x_i·dx̄_i, u_i = e^{ρ_i} x̄_i·(dS_out B_i), v_i = e^{λ_i} dy_i·(S_in C_i).
      for (var r = tid; r < R; r += WG) {
        let i = r0 + r;
        if (i < nRows) {
          let ti = bi * T + t0 + i;
          var qa: f32 = 0.0;
          for (var j = i; j < nRows; j++) {
            qa += dotS[r * Q + j] * decS[r * Q + j] * xyS[r * Q + j];
          }
          var qs: f32 = 0.0;
          var ys: f32 = 0.0;
          for (var p = 0; p < P; p++) {
            var sb: f32 = 0.0;
            var sc: f32 = 0.0;
            for (var n = 0; n < N; n++) {
              sb += bothBuf[dSo + p * N + n] * f32(bBuf[(ti * G + g) * N + n]);
              sc += bothBuf[sIn + p * N + n] * f32(cBuf[(ti * G + g) * N + n]);
            }
            qs += f32(xBuf[(ti * H + h) * P + p]) * sb;
            ys += f32(dyBuf[(ti * H + h) * P + p]) * sc;
          }
          qS[i] = qa + eRhoS[i] * qs;
          uS[i] = scS[i] * eRhoS[i] * qs;
          vS[i] = eLamS[i] * ys;
        }
      }
      workgroupBarrier();
      // Rectangle sums: exclusive row prefixes of W[i,j] = dec·scale_j·(C_i·B_j)(dy_i·x_j), j < i (into dotS) ...
      for (var r = tid; r < R; r += WG) {
        let i = r0 + r;
        if (i < nRows) {
          var acc: f32 = 0.0;
          for (var j = 0; j <= i; j++) {
            let w = dotS[r * Q + j] * decS[r * Q + j] * scS[j] * xyS[r * Q + j];
            dotS[r * Q + j] = acc;
            acc += w;
          }
        }
      }
      workgroupBarrier();
      // ... then rect_c += Σ over this block's rows m ≥ c of prefix_m(c).
      for (var c = tid; c < Q; c += WG) {
        var acc: f32 = 0.0;
        for (var r = 0; r < R; r++) {
          let m = r0 + r;
          if (m < nRows && m >= c) {
            acc += dotS[r * Q + c];
          }
        }
        rectS[c] += acc;
      }
      workgroupBarrier();
    }
    let dtb = hpBuf[H + h];
    let alog = hpBuf[2 * H + h];
    for (var i = tid; i < nRows; i += WG) {
      var dl = constS + rectS[i];
      for (var j = 0; j < i; j++) {
        dl += uS[j];
      }
      for (var m = i; m < nRows; m++) {
        dl += vS[m];
      }
      let idx = (bi * T + t0 + i) * H + h;
      let v = decBuf[idx];
${
  continuous
    ? `      let z = v + dtb;
      let a = -exp(alog);
      result[offDdec + idx] = (dl * a + qS[i]) * mk_sigmoid(z);
      result[offDalog + idx] = dl * mk_softplus(z) * a;`
    : `      result[offDdec + idx] = -dl * mk_sigmoid(v);
      result[offDalog + idx] = 0.0;`
}
    }
    workgroupBarrier();
  }
}
`;
