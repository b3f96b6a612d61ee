/**
 * WGSL passes for the one-token decode step and for the stage-1 mixing matrix and its gradient.
 *
 * The matrix M[t,s] = (C_t·B_s)·e^{ℓ_{s+1}+…+ℓ_t}·scale_s (+ D on the diagonal) is built row by row, the
 * segment sum growing outward from the diagonal, so no entry is a difference of two long cumulative sums.
 */

/** step: S ← α·S + x̄ ⊗ B, y = S·C + D·x; one thread per (head, p). Output [state (b,H,P,N) | y (b,H,P)]. */
export const stepCode = `fn main(index: i32) {
  let e = i32(workgroupId.x) * WG + i32(localIndex);
  let bi = i32(workgroupId.y);
  if (e >= H * P) {
    return;
  }
  let h = e / P;
  let p = e % P;
  let g = h / HPG;
  let nb = uniforms.batch;
  let d = mk_decay(decBuf[bi * H + h], hpBuf[H + h], hpBuf[2 * H + h]);
  let alpha = exp(d.x);
  let xv = f32(xBuf[(bi * H + h) * P + p]);
  let xb = d.y * xv;
  let sOff = ((bi * H + h) * P + p) * N;
  let gOff = (bi * G + g) * N;
  var y: f32 = 0.0;
  for (var n = 0; n < N; n++) {
    let s = alpha * stateBuf[sOff + n] + xb * f32(bBuf[gOff + n]);
    result[sOff + n] = s;
    y += s * f32(cBuf[gOff + n]);
  }
  result[nb * H * P * N + (bi * H + h) * P + p] = y + hpBuf[h] * xv;
}
`;

/** materialize: one thread per row t of M [b,H,T,T]; zeros above the diagonal. */
export const materializeCode = `fn main(index: i32) {
  let t = i32(workgroupId.x) * WG + i32(localIndex);
  let h = i32(workgroupId.y);
  let bi = i32(workgroupId.z);
  let T = uniforms.seqLen;
  if (t >= T) {
    return;
  }
  let g = h / HPG;
  let dtb = hpBuf[H + h];
  let alog = hpBuf[2 * H + h];
  let rowOff = ((bi * H + h) * T + t) * T;
  let cOff = ((bi * T + t) * G + g) * N;
  for (var s = t + 1; s < T; s++) {
    result[rowOff + s] = io_t(0.0);
  }
  var seg: f32 = 0.0;
  for (var s = t; s >= 0; s--) {
    let d = mk_decay(decBuf[(bi * T + s) * H + h], dtb, alog);
    let bOff = ((bi * T + s) * G + g) * N;
    var cb: f32 = 0.0;
    for (var n = 0; n < N; n++) {
      cb += f32(cBuf[cOff + n]) * f32(bBuf[bOff + n]);
    }
    var m = cb * exp(seg) * d.y;
    if (s == t) {
      m += hpBuf[h];
    }
    result[rowOff + s] = io_t(m);
    seg += d.x;
  }
}
`;

/**
 * mat_rows, one thread per (t, group, batch): dC_t = Σ_h Σ_{s≤t} dM·L·scale_s·B_s, and per head the exclusive
 * row prefixes pre_t(k) = Σ_{s<k} W[t,s] of W = dM ⊙ M̃ (M̃ without D), k ≤ t, for the decay gradient
 * dℓ_k = Σ_{t≥k} Σ_{s<k} W[t,s] (∂M̃[t,s]/∂ℓ_k = M̃[t,s]·[s < k ≤ t]) taken as sums of real contributions.
 * Output [dC (b,T,G,N) | prefixes (b,H,T,T)].
 */
export const matRowsCode = `fn main(index: i32) {
  let t = i32(workgroupId.x) * WG + i32(localIndex);
  let g = i32(workgroupId.y);
  let bi = i32(workgroupId.z);
  let T = uniforms.seqLen;
  let nb = uniforms.batch;
  if (t >= T) {
    return;
  }
  var acc: array<f32, N>;
  for (var n = 0; n < N; n++) {
    acc[n] = 0.0;
  }
  let cOff = ((bi * T + t) * G + g) * N;
  for (var hh = 0; hh < HPG; hh++) {
    let h = g * HPG + hh;
    let dtb = hpBuf[H + h];
    let alog = hpBuf[2 * H + h];
    let rowOff = ((bi * H + h) * T + t) * T;
    let preOff = nb * T * G * N + rowOff;
    var seg: f32 = 0.0;
    for (var s = t; s >= 0; s--) {
      let d = mk_decay(decBuf[(bi * T + s) * H + h], dtb, alog);
      let bOff = ((bi * T + s) * G + g) * N;
      let coef = f32(dmBuf[rowOff + s]) * exp(seg) * d.y;
      var cb: f32 = 0.0;
      for (var n = 0; n < N; n++) {
        let bv = f32(bBuf[bOff + n]);
        acc[n] += coef * bv;
        cb += f32(cBuf[cOff + n]) * bv;
      }
      result[preOff + s] = coef * cb;
      seg += d.x;
    }
    var pre: f32 = 0.0;
    for (var s = 0; s <= t; s++) {
      let w = result[preOff + s];
      result[preOff + s] = pre;
      pre += w;
    }
  }
  for (var n = 0; n < N; n++) {
    result[cOff + n] = acc[n];
  }
}
`;

/**
 * mat_cols, one thread per (s, group, batch): dB_s = Σ_h Σ_{t≥s} dM·L·scale_s·C_t, per head the rectangle sum
 * dℓ_s = Σ_{t≥s} pre_t(s), and colQ_s = Σ_{t≥s} dM·L·(C_t·B_s) (the gradient of scale_s).
 * Output [dB (b,T,G,N) | dℓ (b,T,H) | colQ (b,T,H)].
 */
export const matColsCode = `fn main(index: i32) {
  let s = i32(workgroupId.x) * WG + i32(localIndex);
  let g = i32(workgroupId.y);
  let bi = i32(workgroupId.z);
  let T = uniforms.seqLen;
  let nb = uniforms.batch;
  if (s >= T) {
    return;
  }
  var acc: array<f32, N>;
  for (var n = 0; n < N; n++) {
    acc[n] = 0.0;
  }
  let bOff = ((bi * T + s) * G + g) * N;
  for (var hh = 0; hh < HPG; hh++) {
    let h = g * HPG + hh;
    let dtb = hpBuf[H + h];
    let alog = hpBuf[2 * H + h];
    let sc = mk_decay(decBuf[(bi * T + s) * H + h], dtb, alog).y;
    var rect: f32 = 0.0;
    var colq: f32 = 0.0;
    var seg: f32 = 0.0;
    for (var t = s; t < T; t++) {
      if (t > s) {
        seg += mk_decay(decBuf[(bi * T + t) * H + h], dtb, alog).x;
      }
      let cOff = ((bi * T + t) * G + g) * N;
      let rowOff = ((bi * H + h) * T + t) * T;
      let dl = f32(dmBuf[rowOff + s]) * exp(seg);
      var cb: f32 = 0.0;
      for (var n = 0; n < N; n++) {
        let cv = f32(cBuf[cOff + n]);
        acc[n] += dl * sc * cv;
        cb += cv * f32(bBuf[bOff + n]);
      }
      colq += dl * cb;
      rect += rowsBuf[nb * T * G * N + rowOff + s];
    }
    result[nb * T * G * N + (bi * T + s) * H + h] = rect;
    result[nb * T * G * N + nb * T * H + (bi * T + s) * H + h] = colq;
  }
  for (var n = 0; n < N; n++) {
    result[bOff + n] = acc[n];
  }
}
`;

/**
 * mat_final, one thread per (head, batch): the chain rule from dℓ to the raw decay input, and dD = Σ_t dM[t,t].
 * Output [ddec (b,T,H) | dA_log terms (b,T,H) | dD per batch (b,H)].
 */
export const matFinalCode = (continuous: boolean) => `fn main(index: i32) {
  let h = i32(workgroupId.x) * WG + i32(localIndex);
  let bi = i32(workgroupId.y);
  if (h >= H) {
    return;
  }
  let T = uniforms.seqLen;
  let nb = uniforms.batch;
  let hsz = nb * T * H;
  let offL = nb * T * G * N;
  let dtb = hpBuf[H + h];
  let alog = hpBuf[2 * H + h];
  var dd: f32 = 0.0;
  for (var t = 0; t < T; t++) {
    let idx = (bi * T + t) * H + h;
    let dl = colsBuf[offL + idx];
    dd += f32(dmBuf[((bi * H + h) * T + t) * T + t]);
    let v = decBuf[idx];
${
  continuous
    ? `    let z = v + dtb;
    let a = -exp(alog);
    result[idx] = (dl * a + colsBuf[offL + hsz + idx]) * mk_sigmoid(z);
    result[hsz + idx] = dl * mk_softplus(z) * a;`
    : `    result[idx] = -dl * mk_sigmoid(v);
    result[hsz + idx] = 0.0;`
  }
  }
  result[2 * hsz + bi * H + h] = dd;
}
`;
